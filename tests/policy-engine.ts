/**
 * The policy pack as the Pulumi engine runs it: started the way the Node.js language host starts an
 * analyzer plugin, configured the way the engine reconciles and validates policy config, and sent
 * resources shaped the way the engine shapes them. Only the engine is modelled; the pack, its SDK
 * (@pulumi/policy 1.21.0) and the protocol are the real ones.
 *
 * Upstream behaviour it follows (pulumi/pulumi at the SDK's version, pkg/ and sdk/ as cited):
 * - Start: `node <@pulumi/pulumi/cmd/run-policy-pack> <engine address> <absolute pack dir>` from the pack
 *   folder, PULUMI_CONFIG and PULUMI_NODEJS_{PROJECT,STACK,ORGANIZATION,DRY_RUN} set (sdk/nodejs/cmd/
 *   pulumi-language-nodejs/main.go RunPlugin, sdk/policy_proxy.go); the port is the first stdout line.
 * - Calls: ConfigureStack, GetAnalyzerInfo, config reconcile and validation, Configure, then Analyze per
 *   resource and AnalyzeStack at the end (pkg/engine/update.go, pkg/resource/plugin/analyzer_plugin.go).
 * - Config: each policy's schema defaults, then the config file; a missing required property fails the
 *   run before Configure with "validating policy config" (pkg/resource/analyzer/config.go).
 * - Analyze gets a resource's inputs after its provider's Check (pkg/resource/deploy/step_generator.go):
 *   secrets kept as secret values, unknowns as the engine's sentinels, resource references as their
 *   URN, internal `__` keys dropped. Components the provider constructs (remote components) reach
 *   analyzers with no properties (source_eval.go; pulumi/pulumi#10533). A Helm v3 Release's Check resolves
 *   its chart and sets `version` to the chart's exact version only when no input is unknown
 *   (pulumi-kubernetes provider/pkg/provider/helm_release.go Check).
 * - AnalyzeStack gets every resource's outputs (pkg/resource/analyzer: "called on the final outputs").
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type { ResourceRecord } from "../synth/records";
import { PROJECT_ROOT } from "../synth/stack-files";

type Json = Record<string, unknown>;

export const PACK_DIR = path.join(PROJECT_ROOT, "policy");
const RUN_POLICY_PACK = path.join(
  PROJECT_ROOT,
  "node_modules",
  "@pulumi",
  "pulumi",
  "cmd",
  "run-policy-pack",
);

const SIG = pulumi.runtime.specialSigKey;
/** The engine's sentinel for an unknown value (the string kind; sdk/go/common/resource/plugin/rpc.go). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;
export type EnforcementLevel = (typeof LEVELS)[number];

export interface Diagnostic {
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  readonly urn: string;
}

/** A resource as the engine would hand it to analyzers. */
export interface EngineResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  /** Analyze: inputs after the provider's Check. */
  readonly properties: Json;
  /** AnalyzeStack: outputs. */
  readonly outputs: Json;
  readonly protect: boolean;
  readonly parent?: string;
  readonly dependencies: readonly string[];
}

export class PolicyConfigError extends Error {}

/** The policies and config schemas the pack announces. */
interface PolicyInfo {
  readonly name: string;
  readonly level: EnforcementLevel;
  readonly properties: Json;
  readonly required: readonly string[];
}

/** A unary call of the analyzer client as a promise. */
function rpc<Res>(
  invoke: (callback: (error: grpc.ServiceError | null, response: Res) => void) => unknown,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => (error ? reject(error) : resolve(response)));
  });
}

export class PolicyEngine {
  private policies: PolicyInfo[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
    readonly stderr: () => string,
  ) {}

  /** Starts the pack as the language host does, and configures its stack. */
  static async start(stack: { stack: string; dryRun: boolean }): Promise<PolicyEngine> {
    const child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", PACK_DIR], {
      cwd: PACK_DIR,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // Not the test runner's TypeScript loader: the pack compiles the way Pulumi compiles it.
        NODE_OPTIONS: "",
        PULUMI_CONFIG: "{}",
        PULUMI_NODEJS_PROJECT: "idp",
        PULUMI_NODEJS_STACK: stack.stack,
        PULUMI_NODEJS_ORGANIZATION: "organization",
        PULUMI_NODEJS_DRY_RUN: String(stack.dryRun),
      },
    });
    let errors = "";
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const newline = out.indexOf("\n");
        if (newline >= 0) {
          child.stdout.off("data", onData);
          resolve(out.slice(0, newline).trim());
        }
      };
      child.stdout.on("data", onData);
      child.once("exit", (code) => reject(new Error(`the policy pack exited (${code}): ${errors}`)));
    });
    if (!/^\d+$/.test(port)) throw new Error(`the policy pack printed "${port}" instead of its port`);
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const engine = new PolicyEngine(child, client, () => errors);
    const configureStack = new analyzer.AnalyzerStackConfigureRequest();
    configureStack
      .setStack(stack.stack)
      .setProject("idp")
      .setOrganization("organization")
      .setDryRun(stack.dryRun);
    await rpc((cb) => client.configureStack(configureStack, cb));
    const info = await rpc<analyzer.AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
    engine.policies = info.getPoliciesList().map((p) => ({
      name: p.getName(),
      level: LEVELS[p.getEnforcementlevel()],
      properties: p.getConfigschema()?.getProperties()?.toJavaScript() ?? {},
      required: p.getConfigschema()?.getRequiredList() ?? [],
    }));
    return engine;
  }

  get policyNames(): string[] {
    return this.policies.map((p) => p.name);
  }

  /**
   * Reconciles the pack's config as the engine does (schema defaults, then the file) and validates it:
   * a missing required property stops the run with the engine's message, and Configure is never sent.
   */
  async configure(file: Readonly<Record<string, Json>>): Promise<void> {
    const problems: string[] = [];
    const request = new analyzer.ConfigureAnalyzerRequest();
    for (const policy of this.policies) {
      const config: Json = {};
      for (const [key, schema] of Object.entries(policy.properties)) {
        const fallback = (schema as { default?: unknown }).default;
        if (fallback !== undefined) config[key] = fallback;
      }
      const { enforcementLevel, ...properties } = file[policy.name] ?? {};
      Object.assign(config, properties);
      for (const key of policy.required) {
        if (config[key] === undefined) problems.push(`${policy.name}: ${key} is required`);
      }
      const entry = new analyzer.PolicyConfig();
      const level = typeof enforcementLevel === "string" ? enforcementLevel : policy.level;
      entry.setEnforcementlevel(LEVELS.indexOf(level as EnforcementLevel));
      entry.setProperties(Struct.fromJavaScript(config as never));
      request.getPolicyconfigMap().set(policy.name, entry);
    }
    if (problems.length > 0) {
      throw new PolicyConfigError(
        problems.map((p) => `validating policy config: idp-guardrails ${p}`).join("\n"),
      );
    }
    await rpc((cb) => this.client.configure(request, cb));
  }

  async analyze(resource: EngineResource): Promise<Diagnostic[]> {
    const request = new analyzer.AnalyzeRequest();
    request
      .setType(resource.type)
      .setUrn(resource.urn)
      .setName(resource.name)
      .setProperties(Struct.fromJavaScript(resource.properties as never))
      .setOptions(options(resource));
    const response = await rpc<analyzer.AnalyzeResponse>((cb) => this.client.analyze(request, cb));
    return diagnostics(response, resource.urn);
  }

  async analyzeStack(resources: readonly EngineResource[]): Promise<Diagnostic[]> {
    const request = new analyzer.AnalyzeStackRequest();
    request.setResourcesList(
      resources.map((r) => {
        const resource = new analyzer.AnalyzerResource();
        resource
          .setType(r.type)
          .setUrn(r.urn)
          .setName(r.name)
          .setProperties(Struct.fromJavaScript(r.outputs as never))
          .setOptions(options(r))
          .setParent(r.parent ?? "")
          .setDependenciesList([...r.dependencies]);
        return resource;
      }),
    );
    const response = await rpc<analyzer.AnalyzeResponse>((cb) => this.client.analyzeStack(request, cb));
    return diagnostics(response, "");
  }

  /** Every resource, then the stack: what one preview or update reports. */
  async run(resources: readonly EngineResource[]): Promise<Diagnostic[]> {
    const out: Diagnostic[] = [];
    for (const resource of resources) out.push(...(await this.analyze(resource)));
    out.push(...(await this.analyzeStack(resources)));
    return out;
  }

  close(): void {
    this.client.close();
    this.child.kill();
  }
}

function options(resource: EngineResource): analyzer.AnalyzerResourceOptions {
  const opts = new analyzer.AnalyzerResourceOptions();
  opts.setProtect(resource.protect).setParent(resource.parent ?? "");
  opts.setCustomtimeouts(new analyzer.AnalyzerResourceOptions.CustomTimeouts());
  return opts;
}

function diagnostics(response: analyzer.AnalyzeResponse, urn: string): Diagnostic[] {
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    level: LEVELS[d.getEnforcementlevel()],
    message: d.getMessage(),
    urn: d.getUrn() || urn,
  }));
}

// ---------------------------------------------------------------------------------------------
// From the synth's record to what the engine sends.

/** Types the Kubernetes provider constructs itself (remote components): analyzers get no properties. */
export const PROVIDER_BUILT = new Set([
  "kubernetes:helm.sh/v4:Chart",
  "kubernetes:yaml/v2:ConfigGroup",
  "kubernetes:yaml/v2:ConfigFile",
  "kubernetes:kustomize/v2:Directory",
]);

/**
 * A wire value as the engine marshals it for analyzers: secrets kept (the pack unwraps them), unknowns
 * as the sentinel, resource references as their URN, output values downgraded, `__` keys dropped.
 */
export function engineValue(value: unknown): unknown {
  if (value === pulumi.runtime.unknownValue) return UNKNOWN;
  if (Array.isArray(value)) return value.map(engineValue);
  if (value === null || typeof value !== "object") return value;
  const object = value as Json;
  const sig = object[SIG];
  if (sig === pulumi.runtime.specialSecretSig) return { [SIG]: sig, value: engineValue(object["value"]) };
  if (sig === pulumi.runtime.specialResourceSig) return object["urn"];
  if (sig === pulumi.runtime.specialOutputValueSig) {
    return "value" in object ? engineValue(object["value"]) : UNKNOWN;
  }
  return Object.fromEntries(
    Object.entries(object)
      .filter(([key]) => !key.startsWith("__"))
      .map(([key, item]) => [key, engineValue(item)]),
  );
}

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).some(containsUnknown);
}

/**
 * A Helm v3 Release after the provider's Check: defaults filled; with no unknown input the chart is
 * loaded and `version` becomes its exact version (`resolve` stands in for the chart registry here);
 * with an unknown anywhere, nothing is loaded and the version stays as written.
 */
export function checkedRelease(inputs: Json, resolve: (chart: string, version: string) => string): Json {
  const out: Json = { ...inputs };
  if (out["namespace"] === undefined || out["namespace"] === "") out["namespace"] = "default";
  if (!containsUnknown(inputs) && typeof out["chart"] === "string") {
    out["version"] = resolve(out["chart"], typeof out["version"] === "string" ? out["version"] : "");
  }
  return out;
}

/** Every resource of a synth as the engine would send it. */
export function engineResources(
  resources: readonly ResourceRecord[],
  resolve: (chart: string, version: string) => string = (_chart, version) => version,
): EngineResource[] {
  return resources
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((record) => {
      const inputs = engineValue(record.wireInputs) as Json;
      const properties = PROVIDER_BUILT.has(record.type)
        ? {}
        : record.type === "kubernetes:helm.sh/v3:Release"
          ? checkedRelease(inputs, resolve)
          : inputs;
      const outputs = record.custom
        ? (engineValue(record.wireOutputs ?? record.wireInputs) as Json)
        : (engineValue(record.componentOutputs ?? {}) as Json);
      return {
        type: record.type,
        urn: record.urn,
        name: record.name,
        properties,
        outputs:
          record.type === "kubernetes:helm.sh/v3:Release"
            ? { ...properties, ...outputs, version: properties["version"] }
            : outputs,
        protect: record.options.protect,
        ...(record.parent !== undefined ? { parent: record.parent } : {}),
        dependencies: record.dependencies,
      };
    });
}

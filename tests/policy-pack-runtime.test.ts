/**
 * `pulumi preview --policy-pack policy` works: the pack starts the way the Pulumi engine starts it (the
 * Node.js policy runner of @pulumi/pulumi, compiling policy/ with policy/tsconfig.json and type checks
 * on, resolving packages from the project's install), serves the analyzer protocol, and reports
 * violations through it. No engine, no network beyond loopback.
 */
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../synth/stack-files";

const PULUMI = path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi");

/** Modules of @pulumi/pulumi's install (the analyzer protocol and its gRPC runtime). */
function load<T>(id: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(id, { paths: [PULUMI] })) as T;
}

interface Message {
  getPolicyname(): string;
  getMessage(): string;
}
interface AnalyzerClient {
  getAnalyzerInfo(request: unknown, callback: (error: Error | null, response: unknown) => void): void;
  analyze(request: unknown, callback: (error: Error | null, response: unknown) => void): void;
  close(): void;
}

describe("policy pack runtime", function () {
  // ts-node compiles and type checks the pack on start; the machine may be busy.
  this.timeout(180_000);
  let child: ChildProcess;
  let client: AnalyzerClient;

  before(async () => {
    const grpc = load<{ credentials: { createInsecure(): unknown } }>("@grpc/grpc-js");
    const services = load<{ AnalyzerClient: new (address: string, credentials: unknown) => AnalyzerClient }>(
      path.join(PULUMI, "proto", "analyzer_grpc_pb.js"),
    );
    child = spawn(process.execPath, [path.join(PULUMI, "cmd", "run-policy-pack"), "127.0.0.1:1", "."], {
      cwd: path.join(PROJECT_ROOT, "policy"),
      stdio: ["ignore", "pipe", "pipe"],
      // Not the test runner's TypeScript loader: the pack must compile the way Pulumi compiles it.
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let errors = "";
    child.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`the policy pack exited (${code}): ${errors}`)));
    });
    assert.match(port, /^\d+$/);
    client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  function call<T>(method: "getAnalyzerInfo" | "analyze", request: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      client[method](request, (error, response) => (error ? reject(error) : resolve(response as T))),
    );
  }

  function analyzeRequest(properties: Record<string, unknown>): unknown {
    const messages = load<{
      AnalyzeRequest: new () => Record<string, (value: unknown) => void>;
      AnalyzerResourceOptions: new () => Record<string, (value: unknown) => void>;
    }>(path.join(PULUMI, "proto", "analyzer_pb.js"));
    const struct = load<{ Struct: { fromJavaScript(value: unknown): unknown } }>(
      "google-protobuf/google/protobuf/struct_pb",
    );
    const request = new messages.AnalyzeRequest();
    request["setType"]!("kubernetes:helm.sh/v3:Release");
    request["setUrn"]!("urn:pulumi:dev::idp::kubernetes:helm.sh/v3:Release::cm");
    request["setName"]!("cm");
    request["setProperties"]!(struct.Struct.fromJavaScript(properties));
    const options = new messages.AnalyzerResourceOptions();
    options["setProtect"]!(true);
    request["setOptions"]!(options);
    return request;
  }

  it("serves the idp-guardrails pack with every policy", async () => {
    const { POLICIES } = await import("../policy/policies");
    const empty = load<{ Empty: new () => unknown }>("google-protobuf/google/protobuf/empty_pb");
    const info = await call<{ getName(): string; getPoliciesList(): Array<{ getName(): string }> }>(
      "getAnalyzerInfo",
      new empty.Empty(),
    );
    assert.equal(info.getName(), "idp-guardrails");
    assert.deepEqual(
      info.getPoliciesList().map((policy) => policy.getName()),
      POLICIES.map((policy) => policy.name),
    );
  });

  it("reports violations of a resource, and none for a compliant one", async () => {
    const violating = await call<{ getDiagnosticsList(): Message[] }>(
      "analyze",
      analyzeRequest({
        chart: "oci://quay.io/jetstack/charts/cert-manager",
        version: "^1.0.0",
        namespace: "cert-manager",
        values: { auth: { password: "hunter2" } },
      }),
    );
    assert.deepEqual(
      violating.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getMessage().split("\n").pop()]),
      [
        [
          "helm-chart-version-pinned",
          'Chart cert-manager version "^1.0.0" is not an exact version: pin one release in components/versions.ts.',
        ],
        [
          "no-secrets-in-helm-values",
          "values.auth.password holds a literal password: put the secret in the secrets backend (Platform.secrets.put), create it with an ExternalSecret and name that Secret in the values.",
        ],
      ],
    );
    const compliant = await call<{ getDiagnosticsList(): Message[] }>(
      "analyze",
      analyzeRequest({
        chart: "oci://quay.io/jetstack/charts/cert-manager",
        version: "v1.21.1",
        namespace: "cert-manager",
        values: { crds: { enabled: true } },
      }),
    );
    assert.deepEqual(compliant.getDiagnosticsList(), []);
  });
});

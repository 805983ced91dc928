/**
 * Evaluates the Pulumi program under Pulumi's own mocks and records every registration with its
 * dependencies, options and wire-form inputs. Shared by `npm run synth`, the bench and the tests.
 *
 * The mocks are installed before the program module is first loaded, and a recording monitor wraps
 * the SDK's mock monitor so nothing the program does escapes the record.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RawStackConfig } from "../stacks/config";
import { PROJECT } from "../stacks/schema";
import { PlatformMocks, type MockContext } from "./mocks";
import type { ResourceRecord } from "./records";

export interface SynthOptions {
  readonly stack: string;
  readonly config: RawStackConfig;
  /** Evaluate as `pulumi preview` does: ids and computed outputs unknown. */
  readonly preview?: boolean;
  /** The program; defaults to the project's `index.ts`. */
  readonly program?: () => unknown;
  /** Receives each record as it is registered, also when the program fails. */
  readonly sink?: ResourceRecord[];
}

export interface SynthResult {
  readonly stack: string;
  readonly preview: boolean;
  /** Every registration in order, the stack first. */
  readonly resources: readonly ResourceRecord[];
  /** Stack outputs, wire form. */
  readonly stackOutputs: Readonly<Record<string, unknown>>;
  /** Warnings the program logged (`pulumi.log.warn`). */
  readonly warnings: readonly string[];
}

/** Minimal view of the mock monitor's RPC surface that the recorder wraps. */
interface MonitorRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getRemote(): boolean;
  getProvider(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getDeletedwith(): string;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getPropertydependenciesMap(): {
    forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (
  error: Error | null,
  response?: { getUrn(): string; getObject(): { toJavaScript(): Record<string, unknown> } | undefined },
) => void;
interface RecordableMonitor {
  registerResource(request: MonitorRequest, callback: Callback): Promise<void> | void;
  registerResourceOutputs(
    request: OutputsRequest,
    callback: (error: Error | null, response?: unknown) => void,
  ): void;
}

/** The project's program: `index.ts` exports a function, as Pulumi's Node.js host expects. */
function defaultProgram(): unknown {
  // Loaded lazily so that the mocks are in place before the program and its packages first load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const main = require("../index") as () => unknown;
  return main();
}

function mockContext(config: RawStackConfig, preview: boolean): MockContext {
  const object = (key: string): Record<string, unknown> => {
    try {
      const parsed = JSON.parse(config.values[`${PROJECT}:${key}`] ?? "{}") as unknown;
      return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const github = object("github");
  const aws = object("aws");
  return {
    githubOwner: typeof github["owner"] === "string" ? github["owner"] : "example-org",
    awsAccountId: typeof aws["accountId"] === "string" ? aws["accountId"] : "000000000000",
    awsRegion: typeof aws["region"] === "string" ? aws["region"] : "us-east-1",
    preview,
  };
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs one synth. Pulumi's runtime is process-global, so runs are serialized. */
export function synthesize(options: SynthOptions): Promise<SynthResult> {
  const run = queue.then(() => synthesizeNow(options));
  queue = run.catch(() => undefined);
  return run;
}

async function synthesizeNow(options: SynthOptions): Promise<SynthResult> {
  const preview = options.preview ?? false;
  await pulumi.runtime.setMocks(
    new PlatformMocks(mockContext(options.config, preview)),
    PROJECT,
    options.stack,
    preview,
  );
  pulumi.runtime.setAllConfig({ ...options.config.values }, [...options.config.secretKeys]);

  const resources: ResourceRecord[] = options.sink ?? [];
  const byUrn = new Map<string, ResourceRecord>();
  const monitor = pulumi.runtime.getMonitor() as unknown as RecordableMonitor;
  const registerResource = monitor.registerResource.bind(monitor);
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResource = (request, callback) =>
    registerResource(request, (error, response) => {
      if (!error && response) {
        const record = toRecord(request, response.getUrn());
        // What the engine would hold as the resource's outputs (the mocks echo inputs plus computed values).
        if (record.custom) record.wireOutputs = response.getObject()?.toJavaScript() ?? {};
        resources.push(record);
        byUrn.set(record.urn, record);
      }
      callback(error, response);
    });
  monitor.registerResourceOutputs = (request, callback) => {
    const record = byUrn.get(request.getUrn());
    if (record) record.componentOutputs = request.getOutputs()?.toJavaScript() ?? {};
    registerResourceOutputs(request, callback);
  };

  const warnings: string[] = [];
  const failures: unknown[] = [];
  const originalWarn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    if (text.startsWith("warning: [runtime] ")) warnings.push(text.slice("warning: [runtime] ".length));
    else originalWarn(...args);
  };
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  // Pulumi captures a full stack trace for every resource (source positions the engine shows). Under a
  // TypeScript loader each capture maps every frame through source maps, which the synth never reads:
  // capture raw frames while the program runs. Error stacks are formatted lazily, after this is undone.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  // Nor does it read the frames themselves: skip the capture (an unbounded Error stack per resource), and
  // leave out the stack the SDK attaches to each of its promises (four per output property of every
  // resource) for its leak report. Leaks are still tracked; errors keep their stacks.
  const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const callsites = resourceClass.callsites;
  resourceClass.callsites = () => [];
  const debuggable = debuggableModule();
  const debuggablePromise = debuggable?.debuggablePromise;
  if (debuggable !== undefined && debuggablePromise !== undefined) {
    debuggable.debuggablePromise = (promise, context) => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        return debuggablePromise(promise, context);
      } finally {
        Error.stackTraceLimit = limit;
      }
    };
  }
  try {
    const program = options.program ?? defaultProgram;
    await pulumi.runtime.runInPulumiStack(() => Promise.resolve(program()));
  } finally {
    // Drain in-flight registrations, also after a failure, so the record is complete either way.
    await pulumi.runtime.disconnect();
    process.setSourceMapsEnabled(sourceMaps);
    resourceClass.callsites = callsites;
    if (debuggable !== undefined && debuggablePromise !== undefined)
      debuggable.debuggablePromise = debuggablePromise;
    console.warn = originalWarn;
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length > 0) throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));

  const stackRecord = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  return {
    stack: options.stack,
    preview,
    resources,
    stackOutputs: stackRecord?.componentOutputs ?? {},
    warnings,
  };
}

interface DebuggableModule {
  debuggablePromise: (promise: Promise<unknown>, context: unknown) => Promise<unknown>;
}

/** The SDK's promise bookkeeping (an internal module), if this SDK version has it where it used to be. */
function debuggableModule(): DebuggableModule | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require("@pulumi/pulumi/runtime/debuggable") as Partial<DebuggableModule>;
    return typeof module.debuggablePromise === "function" ? (module as DebuggableModule) : undefined;
  } catch {
    return undefined;
  }
}

function toRecord(request: MonitorRequest, urn: string): ResourceRecord {
  const propertyDependencies: Record<string, string[]> = {};
  request.getPropertydependenciesMap().forEach((value, key) => {
    propertyDependencies[key] = value.getUrnsList();
  });
  const implied = new Set(Object.values(propertyDependencies).flat());
  const dependencies = request.getDependenciesList();
  const timeouts = request.getCustomtimeouts();
  const parent = request.getParent();
  const deletedWith = request.getDeletedwith();
  return {
    urn,
    type: request.getType(),
    name: request.getName(),
    ...(parent ? { parent } : {}),
    custom: request.getCustom(),
    ...(request.getRemote() ? { remote: true } : {}),
    provider: request.getProvider(),
    dependencies,
    propertyDependencies,
    explicitDependencies: dependencies.filter((dep) => !implied.has(dep)),
    options: {
      protect: request.getProtect(),
      retainOnDelete: request.getRetainondelete(),
      ignoreChanges: request.getIgnorechangesList(),
      replaceOnChanges: request.getReplaceonchangesList(),
      deleteBeforeReplace: request.getDeletebeforereplace(),
      ...(deletedWith ? { deletedWith } : {}),
      additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
      ...(timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
        ? {
            customTimeouts: {
              ...(timeouts.getCreate() ? { create: timeouts.getCreate() } : {}),
              ...(timeouts.getUpdate() ? { update: timeouts.getUpdate() } : {}),
              ...(timeouts.getDelete() ? { delete: timeouts.getDelete() } : {}),
            },
          }
        : {}),
    },
    wireInputs: request.getObject()?.toJavaScript() ?? {},
  };
}

/**
 * Drives the real engines the way Crossplane does, with no cluster and no Docker:
 *
 * - Functions run as local processes with `--insecure` on loopback: the Development runtime of
 *   `crossplane render`, which calls a function at a given address instead of starting its image.
 * - `crossplane internal render` (crossplane v2.3.4, cmd/crossplane/render/render.go) reads a protobuf
 *   RenderRequest on stdin, runs one real reconcile of the XR (the composite reconciler of
 *   internal/controller/apiextensions/composite, against an in-memory client) calling those functions
 *   over gRPC, and writes a RenderResponse on stdout. The messages are proto/render/v1alpha1/render.proto
 *   at that tag; they are encoded here field by field with google-protobuf (the only fields we set or
 *   read are listed below), and the objects travel as google.protobuf.Struct like everywhere in Crossplane.
 * - `crossplane beta validate` checks objects against CRDs and XRDs with the API server's own schema and
 *   CEL validation (k8s.io/apiextensions-apiserver), offline.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { BinaryReader, BinaryWriter } from "google-protobuf";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Functions.

export interface RunningFunction {
  readonly name: string;
  readonly address: string;
  readonly process: ChildProcess;
  /** What the function printed (its logs), for failure messages. */
  readonly output: () => string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, process: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`function exited (${process.exitCode}): ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`function did not listen on 127.0.0.1:${port} within 30 s: ${output()}`);
}

/** Starts a function binary on a free loopback port (`--insecure`: no mTLS, as `crossplane render` does). */
export async function startFunction(name: string, binary: string): Promise<RunningFunction> {
  const port = await freePort();
  // Logs go to a file, not a pipe: renders run with spawnSync, which blocks this process's event loop,
  // and a function whose undrained pipe fills up blocks on its next log line until the render times out.
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `idp-${name}-`)), "function.log");
  const fd = fs.openSync(logFile, "a");
  const child = spawn(binary, ["--insecure", `--address=127.0.0.1:${port}`], { stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  const output = () => {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
    return text.slice(-4000);
  };
  await waitForPort(port, child, output);
  return { name, address: `127.0.0.1:${port}`, process: child, output };
}

export function stopFunctions(functions: readonly RunningFunction[]): void {
  for (const fn of functions) fn.process.kill();
}

// ---------------------------------------------------------------------------------------------
// The render protocol (proto/render/v1alpha1/render.proto at crossplane v2.3.4).

const RENDER_REQUEST = { meta: 1, composite: 2 } as const;
const COMPOSITE_INPUT = {
  compositeResource: 1,
  composition: 2,
  functions: 3,
  observedResources: 4,
  compositeResourceDefinition: 8,
} as const;
const FUNCTION_INPUT = { name: 1, address: 2 } as const;
const RENDER_RESPONSE = { composite: 2 } as const;
const COMPOSITE_OUTPUT = {
  compositeResource: 1,
  composedResources: 2,
  deletedResources: 3,
  events: 4,
} as const;
const EVENT = { type: 1, reason: 2, message: 3 } as const;

function writeStruct(writer: BinaryWriter, field: number, value: Json): void {
  writer.writeMessage(field, Struct.fromJavaScript(value as never), (message: Struct, w: BinaryWriter) =>
    Struct.serializeBinaryToWriter(message, w),
  );
}

function readStruct(reader: BinaryReader): Json {
  const message = new Struct();
  reader.readMessage(message, (m: Struct, r: BinaryReader) => Struct.deserializeBinaryFromReader(m, r));
  return message.toJavaScript();
}

export interface RenderInput {
  readonly xr: Json;
  readonly composition: Json;
  readonly xrd?: Json;
  readonly functions: readonly RunningFunction[];
  /** Observed composed resources (with status), as a previous reconcile would have left them. */
  readonly observed?: readonly Json[];
}

export function encodeRenderRequest(input: RenderInput): Uint8Array {
  const writer = new BinaryWriter();
  writer.writeMessage(RENDER_REQUEST.meta, {}, () => undefined);
  writer.writeMessage(RENDER_REQUEST.composite, input, (value: RenderInput, w: BinaryWriter) => {
    writeStruct(w, COMPOSITE_INPUT.compositeResource, value.xr);
    writeStruct(w, COMPOSITE_INPUT.composition, value.composition);
    for (const fn of value.functions) {
      w.writeMessage(COMPOSITE_INPUT.functions, fn, (f: RunningFunction, fw: BinaryWriter) => {
        fw.writeString(FUNCTION_INPUT.name, f.name);
        fw.writeString(FUNCTION_INPUT.address, f.address);
      });
    }
    for (const observed of value.observed ?? []) writeStruct(w, COMPOSITE_INPUT.observedResources, observed);
    if (value.xrd !== undefined) writeStruct(w, COMPOSITE_INPUT.compositeResourceDefinition, value.xrd);
  });
  return writer.getResultBuffer();
}

export interface RenderEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
}

export interface RenderOutput {
  /** The XR with the status and conditions the reconciler set. */
  readonly xr: Json;
  /** Composed resources the reconciler would apply. */
  readonly composed: readonly Json[];
  readonly deleted: readonly Json[];
  /** Events the reconciler would emit: function Warning results arrive here. */
  readonly events: readonly RenderEvent[];
}

export function decodeRenderResponse(bytes: Uint8Array): RenderOutput {
  const out = { xr: {} as Json, composed: [] as Json[], deleted: [] as Json[], events: [] as RenderEvent[] };
  const reader = new BinaryReader(bytes);
  while (reader.nextField()) {
    if (reader.getFieldNumber() !== RENDER_RESPONSE.composite) {
      reader.skipField();
      continue;
    }
    reader.readMessage(out, (target: typeof out, r: BinaryReader) => {
      while (r.nextField()) {
        switch (r.getFieldNumber()) {
          case COMPOSITE_OUTPUT.compositeResource:
            target.xr = readStruct(r);
            break;
          case COMPOSITE_OUTPUT.composedResources:
            target.composed.push(readStruct(r));
            break;
          case COMPOSITE_OUTPUT.deletedResources:
            target.deleted.push(readStruct(r));
            break;
          case COMPOSITE_OUTPUT.events: {
            const event = { type: "", reason: "", message: "" };
            r.readMessage(event, (e: typeof event, er: BinaryReader) => {
              while (er.nextField()) {
                const field = er.getFieldNumber();
                if (field === EVENT.type) e.type = er.readString();
                else if (field === EVENT.reason) e.reason = er.readString();
                else if (field === EVENT.message) e.message = er.readString();
                else er.skipField();
              }
            });
            target.events.push(event);
            break;
          }
          default:
            r.skipField();
        }
      }
    });
  }
  return out;
}

export interface RenderResult extends RenderOutput {
  /** 0: rendered; 3: a function returned a Fatal result (partial output); other: failed. */
  readonly exitCode: number;
  readonly stderr: string;
}

/** One real reconcile of `input.xr` through `crossplane internal render`. */
export function render(crossplane: string, input: RenderInput): RenderResult {
  const run = spawnSync(crossplane, ["internal", "render", "--timeout=60s"], {
    input: encodeRenderRequest(input),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error !== undefined) throw run.error;
  const stdout = new Uint8Array(run.stdout);
  const output =
    stdout.length > 0 ? decodeRenderResponse(stdout) : { xr: {}, composed: [], deleted: [], events: [] };
  return { ...output, exitCode: run.status ?? -1, stderr: run.stderr.toString() };
}

// ---------------------------------------------------------------------------------------------
// `crossplane beta validate`.

export interface ValidationReport {
  readonly exitCode: number;
  /** Every line the validator printed ([✓] success, [x] failure, [!] missing schema, the total). */
  readonly lines: readonly string[];
  readonly failures: readonly string[];
  readonly missing: readonly string[];
}

export interface ValidateInput {
  /** Files or directories of CRDs and XRDs. */
  readonly extensions: readonly string[];
  /** Objects to validate. */
  readonly resources: readonly Json[];
  /** Validator cache (holds Crossplane's own CRDs under the image name, so nothing is downloaded). */
  readonly cacheDir: string;
  readonly crossplaneImage: string;
}

export function validate(crank: string, input: ValidateInput): ValidationReport {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "idp-validate-"));
  try {
    const file = path.join(dir, "resources.yaml");
    fs.writeFileSync(file, input.resources.map((r) => JSON.stringify(r)).join("\n---\n"));
    const run = spawnSync(
      crank,
      [
        "beta",
        "validate",
        input.extensions.join(","),
        file,
        "--cache-dir",
        input.cacheDir,
        "--crossplane-image",
        input.crossplaneImage,
        "--error-on-missing-schemas",
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    if (run.error !== undefined) throw run.error;
    const lines = `${run.stdout}${run.stderr}`.split("\n").filter((l) => l.trim() !== "");
    return {
      exitCode: run.status ?? -1,
      lines,
      failures: lines.filter((l) => l.startsWith("[x]")),
      missing: lines.filter((l) => l.startsWith("[!]")),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Seeds the validator's cache with Crossplane's own CRDs for `image` (crank keeps a package's schemas in
 * `<cache>/<image with : as @>/package.yaml`, cmd/crank/beta/validate/cache.go at v2.2.1), taken from
 * the crossplane module at the version the stacks install, so validation needs no registry.
 */
export function seedCrossplaneSchemas(cache: string, image: string, crdsDir: string): void {
  const target = path.join(cache, image.replace(/:/g, "@"));
  fs.mkdirSync(target, { recursive: true });
  const documents = fs
    .readdirSync(crdsDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => fs.readFileSync(path.join(crdsDir, f), "utf8"));
  fs.writeFileSync(path.join(target, "package.yaml"), documents.join("\n---\n"));
}

// ---------------------------------------------------------------------------------------------
// actionlint.

export interface LintReport {
  readonly exitCode: number;
  readonly findings: readonly string[];
}

/**
 * actionlint on workflow files (or, without `files`, on the git repository at `cwd`), ShellCheck from
 * PATH. Findings are one line each: file:line:column: message [kind].
 */
export function actionlint(binary: string, cwd: string, files: readonly string[] = []): LintReport {
  const format =
    "{{range $err := .}}{{$err.Filepath}}:{{$err.Line}}:{{$err.Column}}: {{$err.Message}} [{{$err.Kind}}]\n{{end}}";
  const run = spawnSync(binary, ["-no-color", "-format", format, ...files], { cwd, encoding: "utf8" });
  if (run.error !== undefined) throw run.error;
  const findings = run.stdout.split("\n").filter((l) => l.trim() !== "");
  if (run.status !== 0 && findings.length === 0) findings.push(run.stderr.trim());
  return { exitCode: run.status ?? -1, findings };
}

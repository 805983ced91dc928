/**
 * Installs the pinned Go tools (components/versions.ts GO_TOOLS) into a cache folder, from the Go module
 * proxy only: `go mod download` fetches the exact module version, and `go build` builds it inside its
 * own module so its go.sum pins every dependency. A tool already in the cache at its version is reused.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GO_TOOLS, type GoToolPin } from "../components/versions";

/** Where built tools live: $IDP_CONFORMANCE_CACHE, else ~/.cache/idp-conformance. */
export function cacheDir(): string {
  return process.env["IDP_CONFORMANCE_CACHE"] ?? path.join(os.homedir(), ".cache", "idp-conformance");
}

/** Path of a tool's binary for its pinned version. */
export function toolPath(pin: GoToolPin): string {
  return path.join(cacheDir(), "bin", `${pin.binary}-${pin.version}`);
}

export class MissingPrerequisite extends Error {}

/** The Go version, or a one-line error saying what to install. */
export function requireGo(): string {
  const run = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (run.error !== undefined || run.status !== 0) {
    throw new MissingPrerequisite(
      "npm run conformance needs Go 1.25 or newer on PATH to build the real engines (https://go.dev/dl, or apt-get install golang-go); npm test and npm run synth do not.",
    );
  }
  return run.stdout.trim();
}

/** ShellCheck on PATH (actionlint runs it on every `run:` script), or a one-line error. */
export function requireShellcheck(): string {
  const run = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
  if (run.error !== undefined || run.status !== 0) {
    throw new MissingPrerequisite(
      "npm run conformance needs ShellCheck on PATH for actionlint's script checks: apt-get install shellcheck (Debian/Ubuntu) or brew install shellcheck.",
    );
  }
  return /version: (\S+)/.exec(run.stdout)?.[1] ?? "unknown";
}

/** A module's directory after `go mod download` (read-only, in the module cache). */
export function moduleDir(module: string, version: string): string {
  const out = execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], {
    encoding: "utf8",
    env: goEnv(),
  });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (info.Dir === undefined) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? out}`);
  return info.Dir;
}

function goEnv(): NodeJS.ProcessEnv {
  // Module mode, no VCS stamping (a module zip has no .git), the toolchain on PATH.
  return { ...process.env, GO111MODULE: "on", GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "local" };
}

/** Builds one tool unless its binary is cached; returns its path and whether it was built now. */
export function installTool(pin: GoToolPin): { path: string; built: boolean; seconds: number } {
  const target = toolPath(pin);
  if (fs.existsSync(target)) return { path: target, built: false, seconds: 0 };
  const started = Date.now();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  let dir = moduleDir(pin.module, pin.version);
  let scratch: string | undefined;
  if (pin.replaceLocal !== undefined && pin.replaceLocal.length > 0) {
    // The module cache is read-only: build a writable copy whose local replaces point at downloads.
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), `${pin.binary}-src-`));
    fs.cpSync(dir, scratch, { recursive: true });
    execFileSync("chmod", ["-R", "u+w", scratch]);
    for (const module of pin.replaceLocal) {
      const replacement = moduleDir(module, pin.version);
      execFileSync("go", ["mod", "edit", `-replace=${module}=${replacement}`], {
        cwd: scratch,
        env: goEnv(),
      });
    }
    dir = scratch;
  }
  try {
    const partial = `${target}.partial`;
    execFileSync("go", ["build", "-trimpath", "-o", partial, pin.package], {
      cwd: dir,
      env: goEnv(),
      stdio: ["ignore", "inherit", "inherit"],
    });
    fs.renameSync(partial, target);
  } finally {
    if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { path: target, built: true, seconds: (Date.now() - started) / 1000 };
}

export type ToolPaths = { readonly [K in keyof typeof GO_TOOLS]: string };

/** Every pinned tool, built if needed, with a line per tool on `log`. */
export function installTools(log: (line: string) => void = () => undefined): ToolPaths {
  const paths: Record<string, string> = {};
  for (const [key, pin] of Object.entries(GO_TOOLS) as Array<[keyof typeof GO_TOOLS, GoToolPin]>) {
    const result = installTool(pin);
    paths[key] = result.path;
    log(
      result.built
        ? `built ${pin.binary} ${pin.version} from ${pin.module} in ${result.seconds.toFixed(0)} s`
        : `cached ${pin.binary} ${pin.version}`,
    );
  }
  return paths as ToolPaths;
}

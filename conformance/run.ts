/**
 * `npm run conformance`: builds the real engines at the pinned versions (components/versions.ts
 * GO_TOOLS) into a cache, then runs the conformance tests (conformance/*.test.ts) against them.
 * Without Go it stops with one line saying what to install. docs/conformance.md says what runs.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PROJECT_ROOT } from "../synth/stack-files";
import { cacheDir, installTools, MissingPrerequisite, requireGo, requireShellcheck } from "./tools";

function main(): number {
  const started = Date.now();
  try {
    const go = requireGo();
    const shellcheck = requireShellcheck();
    console.log(`conformance: ${go}, ShellCheck ${shellcheck}, tools in ${cacheDir()}`);
  } catch (error) {
    if (error instanceof MissingPrerequisite) {
      console.error(`conformance: ${error.message}`);
      return 1;
    }
    throw error;
  }
  installTools((line) => console.log(`conformance: ${line}`));
  console.log(`conformance: tools ready after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const mocha = spawnSync(
    process.execPath,
    [
      path.join(PROJECT_ROOT, "node_modules", "mocha", "bin", "mocha.js"),
      "--config",
      "conformance/.mocharc.json",
      ...process.argv.slice(2),
    ],
    { cwd: PROJECT_ROOT, stdio: "inherit" },
  );
  console.log(`conformance: finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return mocha.status ?? 1;
}

process.exitCode = main();

/**
 * The project's shape: layers point one way (stacks/ → components/ → helpers), relative imports form no
 * cycle, tracked files say what a thing is for instead of pointing at issue numbers, and the README stays a
 * front door.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "../synth/stack-files";

const SOURCE_DIRS = ["components", "stacks", "synth", "policy", "conformance", "tests"];
const IMPORT =
  /(?:import|export)[^"';]*?from\s+["'](\.[^"']+)["']|require\(\s*["'](\.[^"']+)["']\s*\)|import\(\s*["'](\.[^"']+)["']\s*\)/g;

function sourceFiles(): string[] {
  const files = [path.join(PROJECT_ROOT, "index.ts")];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === "fixtures") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(full);
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(PROJECT_ROOT, dir));
  return files;
}

/** Relative imports of a file, resolved to files (TypeScript's resolution for .ts/.js/index). */
function importsOf(file: string): string[] {
  // Comments hold JSDoc type references (`import("./x").T`), which are erased, not imports.
  const text = fs
    .readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const resolved: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = path.resolve(path.dirname(file), (match[1] ?? match[2] ?? match[3])!);
    const candidate = [`${target}.ts`, `${target}.js`, target, path.join(target, "index.ts")].find(
      (c) => fs.existsSync(c) && fs.statSync(c).isFile(),
    );
    if (candidate !== undefined) resolved.push(candidate);
  }
  return resolved;
}

/** Every cycle of a graph, each as the files along it (first file repeated at the end). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}

const relative = (file: string): string => path.relative(PROJECT_ROOT, file);

describe("layers", () => {
  const graph = new Map(sourceFiles().map((file) => [file, importsOf(file)]));

  it("finds a cycle when there is one (the check itself)", () => {
    assert.deepEqual(
      cycles(
        new Map([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
          ["d", ["a"]],
        ]),
      ),
      [["a", "b", "c", "a"]],
    );
    assert.deepEqual(
      cycles(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
      [],
    );
  });

  it("reads the project's imports", () => {
    const platform = path.join(PROJECT_ROOT, "components", "platform.ts");
    assert.ok(graph.get(platform)!.includes(path.join(PROJECT_ROOT, "components", "runners.ts")));
  });

  it("has no import cycle", () => {
    assert.deepEqual(
      cycles(graph).map((cycle) => cycle.map(relative).join(" → ")),
      [],
    );
  });

  it("components/ never imports from stacks/, synth/, policy/ or tests/", () => {
    const upward = [...graph]
      .filter(([file]) => relative(file).startsWith("components/"))
      .flatMap(([file, imports]) =>
        imports
          .filter((target) => /^(stacks|synth|policy|tests|conformance)\//.test(relative(target)))
          .map((target) => `${relative(file)} → ${relative(target)}`),
      );
    assert.deepEqual(upward, []);
  });

  it("stacks/ never imports from synth/, policy/ or tests/", () => {
    const upward = [...graph]
      .filter(([file]) => relative(file).startsWith("stacks/"))
      .flatMap(([file, imports]) =>
        imports
          .filter((target) => /^(synth|policy|tests|conformance)\//.test(relative(target)))
          .map((target) => `${relative(file)} → ${relative(target)}`),
      );
    assert.deepEqual(upward, []);
  });
});

describe("tracked files", () => {
  const tracked = (): string[] => {
    try {
      return execFileSync("git", ["ls-files"], { cwd: PROJECT_ROOT, encoding: "utf8" })
        .split("\n")
        .filter(Boolean);
    } catch {
      return [];
    }
  };

  it("refer to no issue numbers: they say what a thing is for", function () {
    const files = tracked().filter((file) => !/CHANGELOG|package-lock\.json$/i.test(file));
    if (files.length === 0) {
      console.log("      (skipped: not a git checkout)");
      this.skip();
    }
    const pattern = /\bissues? #?\d+\b/i;
    const hits = files.flatMap((file) => {
      const full = path.join(PROJECT_ROOT, file);
      if (!fs.existsSync(full) || !fs.statSync(full).isFile() || fs.statSync(full).size > 2_000_000)
        return [];
      return fs
        .readFileSync(full, "utf8")
        .split("\n")
        .flatMap((line, index) => (pattern.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : []));
    });
    assert.deepEqual(hits, []);
  });

  it("README.md is a front door: at most 12,500 bytes, with the two commands", () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    assert.ok(Buffer.byteLength(readme) <= 12_500, `README.md is ${Buffer.byteLength(readme)} bytes`);
    assert.match(readme, /npm test/);
    assert.match(readme, /npm run synth/);
  });
});

/**
 * What differs between two synthesized stacks: the promotion review. Resources are matched by their
 * stack-independent key (type and name below the stack), so only real differences show: resources
 * that exist in one stack only, and changed inputs, options, dependencies or stack outputs.
 */
import { isDeepStrictEqual } from "node:util";
import { describeResource } from "./render";
import { decodeWire, stackIndependentKey } from "./records";
import type { SynthResult } from "./run";

export interface StackDiff {
  readonly onlyIn: Readonly<Record<string, readonly string[]>>;
  readonly changed: ReadonlyArray<{ readonly key: string; readonly changes: readonly string[] }>;
  readonly outputs: readonly string[];
}

type Described = ReturnType<typeof describeResource>;

function describeAll(result: SynthResult): Map<string, Described> {
  const map = new Map<string, Described>();
  for (const record of result.resources) {
    if (record.type === "pulumi:pulumi:Stack") continue;
    map.set(stackIndependentKey(record.urn), describeResource(record, stackIndependentKey));
  }
  return map;
}

function show(value: unknown): string {
  const text = value === undefined ? "(unset)" : JSON.stringify(value);
  return text.length > 120 ? text.slice(0, 117) + "..." : text;
}

/** Leaf-level differences between two JSON values, as `path: a → b` lines. */
export function valueChanges(a: unknown, b: unknown, path: string): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const bothObjects =
    a !== null &&
    b !== null &&
    typeof a === "object" &&
    typeof b === "object" &&
    Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [`${path}: ${show(a)} → ${show(b)}`];
  if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) {
    // Lists of different length: name what was added and removed rather than every shifted index.
    const removed = a.filter((item) => !b.some((other) => isDeepStrictEqual(item, other)));
    const added = b.filter((item) => !a.some((other) => isDeepStrictEqual(item, other)));
    return [
      ...removed.map((item) => `${path}: - ${show(item)}`),
      ...added.map((item) => `${path}: + ${show(item)}`),
    ];
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) =>
    valueChanges(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`,
    ),
  );
}

export function diffStacks(a: SynthResult, b: SynthResult): StackDiff {
  const left = describeAll(a);
  const right = describeAll(b);
  const onlyIn = {
    [a.stack]: [...left.keys()].filter((key) => !right.has(key)).sort(),
    [b.stack]: [...right.keys()].filter((key) => !left.has(key)).sort(),
  };
  const changed: Array<{ key: string; changes: string[] }> = [];
  for (const [key, before] of left) {
    const after = right.get(key);
    if (after === undefined) continue;
    const { urn: _a, ...beforeRest } = before;
    const { urn: _b, ...afterRest } = after;
    const changes = valueChanges(beforeRest, afterRest, "").map((line) => line.replace(/^\./, ""));
    if (changes.length > 0) changed.push({ key, changes });
  }
  const outputs = valueChanges(
    decodeWire(a.stackOutputs, "redacted"),
    decodeWire(b.stackOutputs, "redacted"),
    "",
  ).map((line) => line.replace(/^\./, ""));
  return { onlyIn, changed: changed.sort((x, y) => x.key.localeCompare(y.key)), outputs };
}

export function formatDiff(a: SynthResult, b: SynthResult, diff: StackDiff): string {
  const lines = [`Differences from stack ${a.stack} to stack ${b.stack} (${a.stack} → ${b.stack}):`];
  for (const stack of [a.stack, b.stack]) {
    const keys = diff.onlyIn[stack] ?? [];
    if (keys.length === 0) continue;
    lines.push("", `Only in ${stack} (${keys.length}):`);
    for (const key of keys) lines.push(`  ${key}`);
  }
  if (diff.changed.length > 0) {
    lines.push("", `Changed (${diff.changed.length}):`);
    for (const { key, changes } of diff.changed) {
      lines.push(`  ${key}`);
      for (const change of changes) lines.push(`      ${change}`);
    }
  }
  if (diff.outputs.length > 0) {
    lines.push("", "Stack outputs:");
    for (const change of diff.outputs) lines.push(`  ${change}`);
  }
  const total =
    (diff.onlyIn[a.stack]?.length ?? 0) + (diff.onlyIn[b.stack]?.length ?? 0) + diff.changed.length;
  if (total === 0 && diff.outputs.length === 0) lines.push("", "No differences.");
  return lines.join("\n") + "\n";
}

/**
 * Writes a synth to disk for review: `out/<stack>/` with the resource list, the Kubernetes manifests
 * the program declares directly, Helm releases with their values, the files seeded into GitHub
 * repositories, a Mermaid graph and a summary. Secrets are redacted everywhere.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { criticalPath, githubWriteChain, isGitHubCommit, mermaid, resourcesPerPart } from "./graph";
import { decodeWire, secretPaths, stackIndependentKey, UNKNOWN_TEXT, type ResourceRecord } from "./records";
import type { SynthResult } from "./run";

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** Custom resources that are Kubernetes objects in their own right (not Helm releases, not providers). */
export function isKubernetesObject(record: ResourceRecord): boolean {
  return record.custom && record.type.startsWith("kubernetes:") && record.type !== HELM_RELEASE;
}

export function isHelmRelease(record: ResourceRecord): boolean {
  return record.type === HELM_RELEASE;
}

/** A serializable view of one resource, secrets redacted: what resources.json holds. */
export function describeResource(record: ResourceRecord, keyOf: (urn: string) => string = (u) => u) {
  const implied = new Set(Object.values(record.propertyDependencies).flat());
  return {
    urn: record.urn,
    type: record.type,
    name: record.name,
    custom: record.custom,
    ...(record.parent !== undefined ? { parent: keyOf(record.parent) } : {}),
    ...(record.provider ? { provider: keyOf(record.provider.replace(/::[^:]*$/, "")) } : {}),
    dependencies: {
      explicit: record.explicitDependencies.map(keyOf),
      implied: [...implied].map(keyOf),
    },
    options: {
      ...record.options,
      ...(record.options.deletedWith !== undefined ? { deletedWith: keyOf(record.options.deletedWith) } : {}),
    },
    inputs: withoutInternals(decodeWire(record.wireInputs, "redacted")),
    secretInputs: secretPaths(record.wireInputs),
  };
}

/** Drops serialized dynamic-provider code: it is an implementation detail, not configuration. */
function withoutInternals(inputs: unknown): unknown {
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs)) return inputs;
  const { __provider: _omitted, ...rest } = inputs as Record<string, unknown>;
  return rest;
}

/**
 * Files a resource seeds into a GitHub repository, as repo → path → content, with the file's rule when
 * the resource states one (`managed`: rewritten when it differs; `seed-once`: written only if absent).
 */
export function seededFiles(
  record: ResourceRecord,
): Array<{ repository: string; path: string; content: string; mode?: string }> {
  if (!isGitHubCommit(record)) return [];
  const inputs = decodeWire(record.wireInputs, "redacted") as Record<string, unknown>;
  const repository = typeof inputs["repository"] === "string" ? inputs["repository"] : UNKNOWN_TEXT;
  if (typeof inputs["file"] === "string") {
    return [{ repository, path: inputs["file"], content: asText(inputs["content"]) }];
  }
  const files = inputs["files"];
  if (files === null || typeof files !== "object") return [];
  return Object.entries(files as Record<string, unknown>).map(([file, value]) => {
    const spec = value as { content?: unknown; mode?: unknown } | null;
    return {
      repository,
      path: file,
      content: typeof value === "string" ? value : asText(spec?.content),
      ...(typeof spec?.mode === "string" ? { mode: spec.mode } : {}),
    };
  });
}

function asText(value: unknown): string {
  if (typeof value === "string") return value;
  return value === undefined || value === null ? "" : JSON.stringify(value);
}

function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_");
}

function manifestPath(record: ResourceRecord, object: Record<string, unknown>): string {
  const metadata = (object["metadata"] ?? {}) as Record<string, unknown>;
  const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "_cluster";
  const kind =
    typeof object["kind"] === "string" ? object["kind"] : (record.type.split(":").pop() ?? "Object");
  const name =
    typeof metadata["name"] === "string" && metadata["name"] !== UNKNOWN_TEXT
      ? metadata["name"]
      : record.name;
  return path.join("manifests", safeSegment(namespace), `${safeSegment(kind)}-${safeSegment(name)}.yaml`);
}

function yaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function summarize(result: SynthResult): string {
  const { resources } = result;
  const custom = resources.filter((r) => r.custom);
  const lines: string[] = [];
  lines.push(
    `Synth of stack ${result.stack}${result.preview ? " (preview: unknown values)" : ""}: ${resources.length} resources (${custom.length} custom, ${resources.length - custom.length} components).`,
  );
  lines.push("", "Resources per component:");
  for (const part of resourcesPerPart(resources))
    lines.push(`  ${String(part.count).padStart(4)}  ${part.label}`);

  const path = criticalPath(resources);
  lines.push(
    "",
    `Deploy critical path: about ${path.seconds} s over ${path.steps.length} resources (cost model: docs/synth.md):`,
  );
  for (const step of path.steps) {
    lines.push(
      `  ${String(step.seconds).padStart(4)} s  ${step.record.type} ${step.record.name}  [${step.kind}]`,
    );
  }
  const githubOnPath = path.steps.filter(
    (s) => s.record.type.startsWith("github:") || isGitHubCommit(s.record),
  ).length;
  const chain = githubWriteChain(resources);
  lines.push(
    "",
    `GitHub writes on the critical path: ${githubOnPath}; longest chain of dependent GitHub writes: ${chain.seconds}.`,
  );
  if (result.warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const warning of result.warnings) lines.push(`  - ${warning}`);
  }
  return lines.join("\n") + "\n";
}

export interface WrittenSynth {
  readonly directory: string;
  readonly files: number;
  readonly manifests: number;
  readonly helmReleases: number;
  readonly seededFiles: number;
}

/** Writes `out/<stack>/` afresh and returns what it wrote. */
export function writeSynth(result: SynthResult, outRoot: string): WrittenSynth {
  const directory = path.join(outRoot, result.stack);
  fs.rmSync(directory, { recursive: true, force: true });
  let files = 0;
  const folders = new Set<string>();
  const write = (relative: string, content: string) => {
    const file = path.join(directory, relative);
    const folder = path.dirname(file);
    if (!folders.has(folder)) {
      fs.mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    fs.writeFileSync(file, content);
    files++;
  };

  const keyOf = (urn: string) => stackIndependentKey(urn);
  write(
    "resources.json",
    JSON.stringify(
      result.resources.map((r) => describeResource(r, keyOf)),
      null,
      2,
    ) + "\n",
  );
  write("outputs.json", JSON.stringify(decodeWire(result.stackOutputs, "redacted"), null, 2) + "\n");

  let manifests = 0;
  let helmReleases = 0;
  let seeded = 0;
  const seedRules: Array<{ repository: string; path: string; mode: string }> = [];
  for (const record of result.resources) {
    if (isKubernetesObject(record)) {
      const object = decodeWire(record.wireInputs, "redacted") as Record<string, unknown>;
      write(manifestPath(record, object), yaml(object));
      manifests++;
    } else if (isHelmRelease(record)) {
      const inputs = decodeWire(record.wireInputs, "redacted") as Record<string, unknown>;
      const name = typeof inputs["name"] === "string" ? inputs["name"] : record.name;
      write(path.join("helm", `${safeSegment(name)}.yaml`), yaml(inputs));
      helmReleases++;
    }
    for (const file of seededFiles(record)) {
      const relative = path.normalize(file.path);
      if (relative.startsWith("..") || path.isAbsolute(relative))
        throw new Error(`seeded file escapes its repository: ${file.path}`);
      write(path.join("repos", safeSegment(file.repository), relative), file.content);
      seedRules.push({ repository: file.repository, path: file.path, mode: file.mode ?? "managed" });
      seeded++;
    }
  }
  // Which seeded files the platform keeps managing and which it writes only once.
  write("seeded-files.json", JSON.stringify(seedRules, null, 2) + "\n");
  write("graph.mmd", mermaid(result.resources));
  write("summary.txt", summarize(result));
  return { directory, files, manifests, helmReleases, seededFiles: seeded };
}

/**
 * The resource graph of a synth: which part (component) owns each resource, the deploy critical path
 * under a simple cost model, and a Mermaid picture of the parts and their dependencies.
 */
import type { ResourceRecord } from "./records";

/**
 * Estimated seconds to create one resource, by kind. First match wins. The numbers are orders of
 * magnitude observed on EKS and kind, not promises: they rank paths, they do not predict wall time.
 * docs/synth.md explains each row.
 */
export const COST_MODEL: ReadonlyArray<{
  readonly kind: string;
  readonly seconds: number;
  readonly matches: (record: ResourceRecord) => boolean;
}> = [
  {
    kind: "chart rendered and applied by the provider (remote component)",
    seconds: 30,
    matches: (r) => r.remote === true,
  },
  { kind: "component (groups only)", seconds: 0, matches: (r) => !r.custom },
  { kind: "provider", seconds: 1, matches: (r) => r.type.startsWith("pulumi:providers:") },
  { kind: "random value", seconds: 0, matches: (r) => r.type.startsWith("random:") },
  {
    kind: "Helm release (install and wait for workloads)",
    seconds: 120,
    matches: (r) => r.type === "kubernetes:helm.sh/v3:Release",
  },
  {
    kind: "Crossplane package (pull, unpack, Healthy)",
    seconds: 90,
    matches: (r) => /^kubernetes:pkg\.crossplane\.io\/v1:(Provider|Function|Configuration)$/.test(r.type),
  },
  {
    kind: "Kubernetes object awaited with pulumi.com/waitFor",
    seconds: 30,
    matches: (r) => r.type.startsWith("kubernetes:") && hasWaitFor(r),
  },
  { kind: "Kubernetes object", seconds: 2, matches: (r) => r.type.startsWith("kubernetes:") },
  {
    kind: "IAM (eventually consistent)",
    seconds: 5,
    matches: (r) => r.type.startsWith("aws:iam/"),
  },
  {
    kind: "EKS Pod Identity association",
    seconds: 10,
    matches: (r) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation",
  },
  { kind: "other AWS API object", seconds: 3, matches: (r) => r.type.startsWith("aws:") },
  {
    kind: "GitHub repository created from a template (asynchronous copy)",
    seconds: 15,
    matches: (r) => r.type === "github:index/repository:Repository" && r.wireInputs["template"] !== undefined,
  },
  { kind: "GitHub repository", seconds: 5, matches: (r) => r.type === "github:index/repository:Repository" },
  { kind: "GitHub write (one commit of seeded files)", seconds: 4, matches: (r) => isGitHubCommit(r) },
  { kind: "other GitHub API object", seconds: 2, matches: (r) => r.type.startsWith("github:") },
  { kind: "anything else", seconds: 2, matches: () => true },
];

function hasWaitFor(record: ResourceRecord): boolean {
  const metadata = record.wireInputs["metadata"] as { annotations?: Record<string, unknown> } | undefined;
  return metadata?.annotations?.["pulumi.com/waitFor"] !== undefined;
}

/** A write of repository contents: a file or a commit of many files. */
export function isGitHubCommit(record: ResourceRecord): boolean {
  return (
    record.type === "github:index/repositoryFile:RepositoryFile" ||
    record.type.startsWith("pulumi-nodejs:dynamic/github:")
  );
}

/** Resources that write to GitHub (repositories, files, teams, rulesets, secrets...). */
export function isGitHubWrite(record: ResourceRecord): boolean {
  return record.custom && (record.type.startsWith("github:") || isGitHubCommit(record));
}

export function costOf(record: ResourceRecord): { seconds: number; kind: string } {
  const row = COST_MODEL.find((r) => r.matches(record));
  return { seconds: row?.seconds ?? 0, kind: row?.kind ?? "unknown" };
}

/** The provider URN a resource refers to (`urn::id` on the wire). */
function providerUrn(record: ResourceRecord): string | undefined {
  if (!record.provider) return undefined;
  const at = record.provider.lastIndexOf("::");
  return at < 0 ? record.provider : record.provider.slice(0, at);
}

/** Resources that deploy something: custom resources and provider-implemented components. */
function deploys(record: ResourceRecord): boolean {
  return record.custom || record.remote === true;
}

/** Direct prerequisites of each deployed resource: its dependencies and its provider. */
export function prerequisites(resources: readonly ResourceRecord[]): Map<string, string[]> {
  const custom = new Set(resources.filter(deploys).map((r) => r.urn));
  const edges = new Map<string, string[]>();
  for (const record of resources) {
    if (!deploys(record)) continue;
    const before = new Set(record.dependencies.filter((urn) => custom.has(urn)));
    const provider = providerUrn(record);
    if (provider !== undefined && custom.has(provider)) before.add(provider);
    edges.set(record.urn, [...before]);
  }
  return edges;
}

export interface CriticalPath {
  readonly seconds: number;
  /** Resources in deploy order, each with its estimated cost. */
  readonly steps: ReadonlyArray<{
    readonly record: ResourceRecord;
    readonly seconds: number;
    readonly kind: string;
  }>;
}

/** Longest weighted chain of dependent resources; `weight` decides what counts. */
export function longestPath(
  resources: readonly ResourceRecord[],
  weight: (record: ResourceRecord) => number = (r) => costOf(r).seconds,
): CriticalPath {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const edges = prerequisites(resources);
  const best = new Map<string, { total: number; previous?: string }>();
  const visiting = new Set<string>();

  const solve = (urn: string): number => {
    const known = best.get(urn);
    if (known) return known.total;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    let previous: string | undefined;
    let longest = 0;
    for (const dep of edges.get(urn) ?? []) {
      const total = solve(dep);
      if (total > longest || previous === undefined) {
        longest = total;
        previous = dep;
      }
    }
    visiting.delete(urn);
    const record = byUrn.get(urn);
    const total = longest + (record ? weight(record) : 0);
    best.set(urn, previous === undefined ? { total } : { total, previous });
    return total;
  };

  let end: string | undefined;
  let seconds = 0;
  for (const urn of edges.keys()) {
    const total = solve(urn);
    if (end === undefined || total > seconds) {
      end = urn;
      seconds = total;
    }
  }
  const steps: Array<{ record: ResourceRecord; seconds: number; kind: string }> = [];
  for (let urn = end; urn !== undefined; urn = best.get(urn)?.previous) {
    const record = byUrn.get(urn);
    if (record) steps.unshift({ record, seconds: weight(record), kind: costOf(record).kind });
  }
  return { seconds, steps };
}

export function criticalPath(resources: readonly ResourceRecord[]): CriticalPath {
  return longestPath(resources);
}

/** The longest chain of GitHub writes, counted in writes: what seeding costs in round trips. */
export function githubWriteChain(resources: readonly ResourceRecord[]): CriticalPath {
  return longestPath(resources, (r) => (isGitHubWrite(r) ? 1 : 0));
}

/**
 * The part each resource belongs to: the component directly below `Platform` that contains it (the
 * Platform itself for its own resources), or, outside the Platform, the top-level resource itself
 * (providers). Returned as a map from URN to the part's URN.
 */
export function partOf(resources: readonly ResourceRecord[]): Map<string, string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const platform = resources.find((r) => r.type === "idp:platform:Platform");
  const out = new Map<string, string>();
  for (const record of resources) {
    const chain: ResourceRecord[] = [];
    for (let r: ResourceRecord | undefined = record; r !== undefined && r.type !== "pulumi:pulumi:Stack";) {
      chain.push(r);
      r = r.parent === undefined ? undefined : byUrn.get(r.parent);
    }
    const platformAt = platform === undefined ? -1 : chain.findIndex((r) => r.urn === platform.urn);
    const part =
      platformAt > 0 ? chain[platformAt - 1] : platformAt === 0 ? chain[0] : chain[chain.length - 1];
    out.set(record.urn, part?.urn ?? record.urn);
  }
  return out;
}

export function partLabel(urn: string, resources: readonly ResourceRecord[]): string {
  const record = resources.find((r) => r.urn === urn);
  return record ? `${record.type} ${record.name}` : urn;
}

/** Number of resources per part, largest first. */
export function resourcesPerPart(
  resources: readonly ResourceRecord[],
): Array<{ part: string; label: string; count: number }> {
  const parts = partOf(resources);
  const counts = new Map<string, number>();
  for (const record of resources) {
    if (record.type === "pulumi:pulumi:Stack") continue;
    const part = parts.get(record.urn) ?? record.urn;
    counts.set(part, (counts.get(part) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([part, count]) => ({ part, label: partLabel(part, resources), count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** Edges between parts: `from` must be deployed before `to`. */
export function partEdges(resources: readonly ResourceRecord[]): Array<{ from: string; to: string }> {
  const parts = partOf(resources);
  const seen = new Set<string>();
  const edges: Array<{ from: string; to: string }> = [];
  for (const record of resources) {
    const to = parts.get(record.urn);
    for (const dep of record.dependencies) {
      const from = parts.get(dep);
      if (from === undefined || to === undefined || from === to) continue;
      const key = `${from}->${to}`;
      if (!seen.has(key)) {
        seen.add(key);
        edges.push({ from, to });
      }
    }
  }
  return edges;
}

/** Mermaid flowchart of the parts (components) and their dependencies, in deploy direction. */
export function mermaid(resources: readonly ResourceRecord[]): string {
  const parts = resourcesPerPart(resources).filter((p) => {
    const record = resources.find((r) => r.urn === p.part);
    return record !== undefined && !record.type.startsWith("pulumi:providers:");
  });
  const ids = new Map(parts.map((p, i) => [p.part, `p${i}`]));
  const lines = ["flowchart LR"];
  for (const part of parts) {
    const record = resources.find((r) => r.urn === part.part);
    const label = record
      ? `${record.type.split(":").pop() ?? record.type}<br/>${record.name}<br/>${part.count} resources`
      : part.label;
    lines.push(`  ${ids.get(part.part)}["${label}"]`);
  }
  for (const edge of partEdges(resources)) {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from && to) lines.push(`  ${from} --> ${to}`);
  }
  return lines.join("\n") + "\n";
}

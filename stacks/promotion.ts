/**
 * Promotion checks: may the current checkout be deployed to the next stage? Pure functions over what CI
 * hands the promote command (synth/promote-cli.ts): the source stack's deployed outputs
 * (`pulumi stack output --json`), its history (`pulumi stack history --json`), the commit being
 * promoted, and both stacks' config. Each check returns one line per reason it refuses, each line
 * saying what is wrong and what to do.
 *
 * What "promotable" means here:
 * - order: dev → staging → prod, one step at a time;
 * - versions: the target receives exactly the bill of materials (stacks/platform-versions.ts) the source
 *   has deployed, nothing more, nothing less;
 * - history: the source's last operation is a successful `pulumi up` of this very commit, from a clean
 *   working tree, recent enough to still mean something, and nothing is running on it now;
 * - config: both stacks' configs are valid, and they differ only in keys that describe an environment,
 *   never in org-wide data; the stack that seeds the management repository renders the target's folder
 *   with the target's own domain and profile.
 */
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { ConfigError, parseConfig, type PlatformConfig, type RawStackConfig } from "./config";
import { asPlatformVersions, versionsDigest, type PlatformVersions } from "./platform-versions";
import type { ProfileName } from "./profiles";
import { PROJECT, type settingsShape, type Settings } from "./schema";

/** The stages, in the order changes travel through them. */
export const PROMOTION_ORDER = ["dev", "staging", "prod"] as const;

export interface CheckResult {
  /** Short name of the check: order, versions, history, config. */
  readonly check: string;
  /** One line when the check passes. */
  readonly summary: string;
  /** Why the check refuses; empty when it passes. */
  readonly reasons: readonly string[];
  /** The check could not run (a dry run has no deploy history). */
  readonly skipped?: boolean;
}

function passed(check: string, summary: string): CheckResult {
  return { check, summary, reasons: [] };
}

function refused(check: string, summary: string, reasons: readonly string[]): CheckResult {
  return { check, summary, reasons };
}

// --- order --------------------------------------------------------------------------------------

export function checkOrder(
  from: string,
  to: string,
  order: readonly string[] = PROMOTION_ORDER,
): CheckResult {
  const chain = order.join(" → ");
  const fromIndex = order.indexOf(from);
  const toIndex = order.indexOf(to);
  const reasons: string[] = [];
  if (fromIndex < 0) reasons.push(`${from} is not a stage of the promotion order (${chain}).`);
  if (toIndex < 0) reasons.push(`${to} is not a stage of the promotion order (${chain}).`);
  if (reasons.length === 0 && toIndex === fromIndex) {
    reasons.push(`${from} → ${to} is not a promotion: the source and the target are the same stage.`);
  } else if (reasons.length === 0 && toIndex !== fromIndex + 1) {
    const next = order[fromIndex + 1];
    const previous = order[toIndex - 1];
    reasons.push(
      toIndex < fromIndex
        ? `${to} comes before ${from} in the promotion order (${chain}); changes only move forward.`
        : `${to} follows ${previous}, not ${from}: promote ${from} → ${next} first (${chain}, one step at a time).`,
    );
  }
  return reasons.length === 0
    ? passed("order", `${to} follows ${from} (${chain})`)
    : refused("order", `${from} → ${to} is not a promotion step`, reasons);
}

// --- versions -----------------------------------------------------------------------------------

/** Every difference between two bills of materials, one line each. */
export function versionDifferences(
  deployed: PlatformVersions,
  target: PlatformVersions,
  from: string,
  to: string,
): string[] {
  const lines: string[] = [];
  for (const table of ["pins", "packages"] as const) {
    const a = deployed[table];
    const b = target[table];
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const name = table === "packages" ? `package ${key}` : key;
      if (!(key in b)) lines.push(`${name}: ${from} runs ${a[key]}, which ${to} would not receive.`);
      else if (!(key in a))
        lines.push(`${name}: ${to} would receive ${b[key]}, which ${from} has never run.`);
      else if (a[key] !== b[key])
        lines.push(`${name}: ${from} runs ${a[key]}, ${to} would receive ${b[key]}.`);
    }
  }
  return lines;
}

/**
 * The target must receive exactly what the source has deployed. `deployedOutputs` is the source's
 * `pulumi stack output --json`; `target` is what this checkout deploys.
 */
export function checkVersions(
  deployedOutputs: unknown,
  target: PlatformVersions,
  from: string,
  to: string,
): CheckResult {
  const fail = (reason: string) => refused("versions", `${to} cannot be checked against ${from}`, [reason]);
  if (deployedOutputs === null || typeof deployedOutputs !== "object" || Array.isArray(deployedOutputs)) {
    return fail(
      `The deployed outputs of ${from} are not a JSON object: pass the output of pulumi stack output --json --stack ${from}.`,
    );
  }
  const raw = (deployedOutputs as Record<string, unknown>)["platformVersions"];
  if (raw === undefined) {
    return fail(
      `The deployed outputs of ${from} have no platformVersions: ${from} was last deployed by a program without it; run pulumi up on ${from} at this commit first.`,
    );
  }
  const deployed = asPlatformVersions(raw);
  if (typeof deployed === "string") {
    return fail(
      `The platformVersions output of ${from} ${deployed}: pass the unmodified output of pulumi stack output --json.`,
    );
  }
  if (versionsDigest(deployed.pins, deployed.packages) !== deployed.digest) {
    return fail(
      `The platformVersions output of ${from} does not match its own digest (${deployed.digest}): the file was edited or truncated; pass the unmodified output of pulumi stack output --json.`,
    );
  }
  const differences = versionDifferences(deployed, target, from, to);
  if (differences.length === 0) {
    return passed(
      "versions",
      `${to} receives exactly what ${from} runs (${Object.keys(target.pins).length} pins, ${Object.keys(target.packages).length} packages, ${target.digest})`,
    );
  }
  return refused("versions", `${to} would receive versions ${from} has not verified`, [
    `${to} would receive ${differences.length} version${differences.length === 1 ? "" : "s"} that differ from what ${from} runs: deploy this commit to ${from} first.`,
    ...differences.map((line) => `  ${line}`),
  ]);
}

// --- history ------------------------------------------------------------------------------------

/** One entry of `pulumi stack history --json`. */
export interface HistoryEntry {
  readonly version: number;
  readonly kind: string;
  readonly result?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly environment?: Readonly<Record<string, string>>;
}

export interface HistoryRequirements {
  /** The commit being promoted (full SHA; an abbreviation of at least 7 characters matches as a prefix). */
  readonly commit: string;
  /** The time of the check. */
  readonly now: Date;
  /** How old the source's update may be. */
  readonly maxAgeHours: number;
}

export const HISTORY_DEFAULTS = {
  /** A week: long enough for a reviewer's approval, short enough that the source has not drifted far. */
  maxAgeHours: 168,
} as const;

const historyEntrySchema = z.object({
  version: z.number().int(),
  kind: z.string(),
  result: z.string().optional(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  environment: z.record(z.string(), z.string()).optional(),
});

/**
 * Times as the Pulumi CLI prints them: RFC 3339, or Go's `2006-01-02 15:04:05.999999999 -0700 MST`.
 * NaN when neither.
 */
export function parseHistoryTime(text: string): number {
  const iso = Date.parse(text);
  if (!Number.isNaN(iso)) return iso;
  const go = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(text);
  if (go === null) return Number.NaN;
  const fraction = go[3] !== undefined ? go[3].slice(0, 4) : "";
  const zone = go[4] === undefined || go[4] === "Z" ? "Z" : go[4].replace(/^([+-]\d{2}):?(\d{2})$/, "$1:$2");
  return Date.parse(`${go[1]}T${go[2]}${fraction}${zone}`);
}

function shortSha(sha: string): string {
  return sha.slice(0, 12);
}

/**
 * The source's last operation must be a successful update of the commit being promoted, from a clean
 * tree, finished within `maxAgeHours`, with nothing in progress. Previews change nothing and are
 * skipped; any other later operation (refresh, destroy, import) means what was verified is no longer
 * the last word on the stack.
 */
export function checkHistory(history: unknown, from: string, requirements: HistoryRequirements): CheckResult {
  const summary = `${from} has not verified this commit`;
  const parsed = z.array(historyEntrySchema).safeParse(history);
  if (!parsed.success) {
    return refused("history", summary, [
      `The history of ${from} is not the output of pulumi stack history --json --stack ${from}.`,
    ]);
  }
  const entries = [...parsed.data].sort((a, b) => b.version - a.version);
  const running = entries.find((entry) => entry.result === "in-progress" || entry.result === "not-started");
  if (running !== undefined) {
    return refused("history", summary, [
      `${/^[aeiou]/.test(running.kind) ? "An" : "A"} ${running.kind} of ${from} is in progress (version ${running.version}): wait for it to finish, then promote again.`,
    ]);
  }
  const last = entries.find((entry) => entry.kind !== "preview");
  if (last === undefined) {
    return refused("history", summary, [`${from} has never been deployed: run pulumi up on ${from} first.`]);
  }
  const reasons: string[] = [];
  if (last.kind !== "update") {
    reasons.push(
      `The last operation on ${from} is a ${last.kind} (version ${last.version}), not an update: run pulumi up on ${from} at this commit, then promote.`,
    );
  } else if (last.result !== "succeeded") {
    reasons.push(
      `The last update of ${from} (version ${last.version}) ${last.result === undefined ? "has no result" : `ended ${last.result}`}: fix ${from} and deploy it successfully first.`,
    );
  }
  const head = last.environment?.["git.head"];
  const wanted = requirements.commit.toLowerCase();
  if (head === undefined || head === "") {
    reasons.push(
      `The last update of ${from} (version ${last.version}) records no commit (git.head): deploy ${from} from a Git checkout (CI) first.`,
    );
  } else if (wanted.length < 7 || !head.toLowerCase().startsWith(wanted)) {
    reasons.push(
      `The last update of ${from} (version ${last.version}) deployed commit ${shortSha(head)}, not ${shortSha(requirements.commit)}, the commit being promoted: deploy this commit to ${from} first.`,
    );
  }
  if (last.environment?.["git.dirty"] === "true") {
    reasons.push(
      `The last update of ${from} (version ${last.version}) ran from a working tree with uncommitted changes: deploy ${from} from a clean checkout (CI).`,
    );
  }
  const ended = last.endTime === undefined ? Number.NaN : parseHistoryTime(last.endTime);
  if (Number.isNaN(ended)) {
    reasons.push(
      `The last update of ${from} (version ${last.version}) has no readable end time: pass the output of pulumi stack history --json.`,
    );
  } else {
    const ageHours = (requirements.now.getTime() - ended) / 3_600_000;
    if (ageHours > requirements.maxAgeHours) {
      reasons.push(
        `The last update of ${from} (version ${last.version}) finished ${Math.floor(ageHours)} hours ago, more than the ${requirements.maxAgeHours} allowed: run pulumi up on ${from} again to re-verify, then promote.`,
      );
    }
  }
  return reasons.length === 0
    ? passed(
        "history",
        `${from} version ${last.version} is a successful update of ${shortSha(requirements.commit)}, ${Math.max(0, Math.floor((requirements.now.getTime() - ended) / 3_600_000))} h old`,
      )
    : refused("history", summary, reasons);
}

// --- config -------------------------------------------------------------------------------------

/**
 * May a key differ between stacks? `environment`: it describes the stack's environment (its cluster,
 * domain, cloud account, credentials, sizing). `organization`: org-wide data every stack must agree on.
 * Every key of the schema is classified (a test enforces it), so a new key forces the decision.
 */
export type ConfigScope = "environment" | "organization";

export const GITHUB_CONFIG_SCOPE = {
  owner: "organization",
  auth: "environment",
  appId: "environment",
  installationId: "environment",
  // Exactly one stack seeds the organization: which one is a per-stack fact.
  manageOrganization: "environment",
  managementRepository: "organization",
  templateRepository: "organization",
  environments: "organization",
  // Read only by the seeding stack (manageOrganization); the others leave them at their defaults.
  selfServiceAppClientId: "environment",
  deliveryAppClientId: "environment",
  repositoryVisibility: "environment",
  environmentSettings: "environment",
  // Each environment's cluster pulls with the login its stack holds.
  packagesReader: "environment",
} as const satisfies Record<string, ConfigScope>;

export const CONFIG_SCOPE = {
  profile: "environment",
  domain: "environment",
  cluster: "environment",
  aws: "environment",
  github: GITHUB_CONFIG_SCOPE,
  teams: "organization",
  databases: "environment",
  apps: "organization",
  tls: "environment",
  ingress: "environment",
  secrets: "environment",
  runners: "environment",
  argocd: "environment",
  schemahero: "environment",
  // Whether a cluster runs the exporter is the environment's choice (some use a Port account of their own).
  port: "environment",
  // Each environment's zone and DNS server.
  dns: "environment",
  // Each cluster's disks and cloud.
  storage: "environment",
  // Each environment's own clusters.
  workloadClusters: "environment",
  // Each environment's network decides (an air-gapped prod, a dev with egress).
  mirror: "environment",
} as const satisfies Record<keyof typeof settingsShape, ConfigScope | Record<string, ConfigScope>>;

/** Config keys (dotted, without the namespace) whose value must be the same in every stack. */
export function organizationKeys(): string[] {
  const keys: string[] = [];
  for (const [key, scope] of Object.entries(CONFIG_SCOPE)) {
    if (scope === "organization") keys.push(key);
    else if (typeof scope === "object") {
      for (const [field, fieldScope] of Object.entries(scope)) {
        if (fieldScope === "organization") keys.push(`${key}.${field}`);
      }
    }
  }
  return keys;
}

function valueAt(settings: Settings, dotted: string): unknown {
  let value: unknown = settings;
  for (const part of dotted.split(".")) {
    value =
      value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

export interface StackConfigs {
  /** Raw config of every stack of the project (the seeding stack's view of the target is checked too). */
  readonly all: Readonly<Record<string, RawStackConfig>>;
  readonly from: string;
  readonly to: string;
}

/** parseConfig, keeping the lines instead of throwing. */
export function tryParse(raw: RawStackConfig): PlatformConfig | readonly string[] {
  try {
    return parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
}

/**
 * Both configs are valid; they differ only in environment keys; and the stack that seeds the
 * management repository renders the target's folder with the target's own domain and profile.
 */
export function checkConfigs(configs: StackConfigs): CheckResult {
  const { from, to } = configs;
  const summary = `the configs of ${from} and ${to} are not promotable`;
  const reasons: string[] = [];
  const parsed: Partial<Record<string, PlatformConfig>> = {};
  for (const stack of [from, to]) {
    const raw = configs.all[stack];
    if (raw === undefined) {
      reasons.push(`There is no config of ${stack} (Pulumi.${stack}.yaml).`);
      continue;
    }
    const result = tryParse(raw);
    if (Array.isArray(result)) {
      reasons.push(`The config of ${stack} is invalid:`, ...result.map((line) => `  ${line}`));
    } else {
      parsed[stack] = result as PlatformConfig;
    }
  }
  const source = parsed[from];
  const target = parsed[to];
  if (source === undefined || target === undefined) return refused("config", summary, reasons);

  for (const key of organizationKeys()) {
    const a = valueAt(source.settings, key);
    const b = valueAt(target.settings, key);
    if (!isDeepStrictEqual(a, b)) {
      reasons.push(
        `${PROJECT}:${key} differs between ${from} and ${to}: it is org-wide data, the same in every stack (${key.includes(".") ? `set it identically in every stack file` : `keep it in Pulumi.yaml and remove the override from the stack file that differs`}).`,
      );
    }
  }
  reasons.push(...seedingViewProblems(configs, target));
  const everyStack: Record<string, PlatformConfig> = {};
  for (const [stack, raw] of Object.entries(configs.all)) {
    const result = stack === from ? source : stack === to ? target : tryParse(raw);
    if (!Array.isArray(result)) everyStack[stack] = result as PlatformConfig;
  }
  reasons.push(
    ...appInstallationProblems(everyStack),
    ...runnerRoutingProblems(everyStack),
    ...seedingIdentityProblems(everyStack),
    ...dnsOwnerProblems(everyStack),
  );
  return reasons.length === 0
    ? passed("config", `both configs are valid and differ only in environment keys`)
    : refused("config", summary, reasons);
}

/** Where a stack's config names a GitHub App installation. */
const APP_INSTALLATIONS = [
  { appKey: "github.appId", installationKey: "github.installationId" },
  { appKey: "runners.appId", installationKey: "runners.installationId" },
] as const;

/**
 * One GitHub App has one installation per organization, so stacks that name the same App in the same
 * organization must name the same installation id; otherwise all but one of them fail at their first
 * `pulumi up` (GitHub answers 404 for the other ids).
 */
export function appInstallationProblems(stacks: Readonly<Record<string, PlatformConfig>>): string[] {
  const seen = new Map<string, { stack: string; key: string; installationId: number }>();
  const problems: string[] = [];
  for (const [stack, config] of Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b))) {
    for (const { appKey, installationKey } of APP_INSTALLATIONS) {
      const appId = valueAt(config.settings, appKey);
      const installationId = valueAt(config.settings, installationKey);
      if (typeof appId !== "number" || typeof installationId !== "number") continue;
      const owner = config.settings.github.owner;
      const id = `${owner}/${appId}`;
      const first = seen.get(id);
      if (first === undefined) {
        seen.set(id, { stack, key: installationKey, installationId });
      } else if (first.installationId !== installationId) {
        problems.push(
          `${PROJECT}:${installationKey} is ${installationId} in Pulumi.${stack}.yaml, but Pulumi.${first.stack}.yaml's ${PROJECT}:${first.key} is ${first.installationId} for the same GitHub App ${appId} in the organization ${owner}: one App has one installation per organization. Fix: set both to the id in the App's installation URL (github.com/organizations/${owner}/settings/installations/<id>).`,
        );
      }
    }
  }
  return problems;
}

/**
 * Each stack writes its own folder of the management repository with its own GitHub identity, and the
 * ruleset the organization stack creates lets exactly the identities it was told about bypass it
 * (`idp:github.environmentSettings.<env>.appId`). A stack whose identity is not among them is refused
 * by the ruleset at its first `pulumi up`.
 */
export function seedingIdentityProblems(stacks: Readonly<Record<string, PlatformConfig>>): string[] {
  const owning = Object.entries(stacks).find(([, config]) => config.settings.github.manageOrganization);
  if (owning === undefined) return [];
  const [owner, ownerConfig] = owning;
  const problems: string[] = [];
  for (const [stack, config] of Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b))) {
    if (stack === owner) continue;
    const declared = ownerConfig.settings.github.environmentSettings[stack]?.appId;
    const actual = config.settings.github.auth === "app" ? config.settings.github.appId : undefined;
    if (declared === actual) continue;
    const key = `${PROJECT}:github.environmentSettings.${stack}.appId`;
    problems.push(
      actual !== undefined
        ? `${key} in Pulumi.${owner}.yaml is ${declared ?? "unset"}, but the ${stack} stack writes its folder of the management repository as the GitHub App ${actual} (Pulumi.${stack}.yaml), which the ruleset would then refuse. Fix: set ${key} to ${actual} in Pulumi.${owner}.yaml`
        : `${key} in Pulumi.${owner}.yaml is ${declared}, but the ${stack} stack authenticates with a token (Pulumi.${stack}.yaml), so it writes its folder as an organization admin. Fix: remove ${key} from Pulumi.${owner}.yaml, or switch the ${stack} stack to that App`,
    );
  }
  return problems;
}

/**
 * Runners of different environments must not be interchangeable: GitHub routes a job to any runner
 * whose group and labels match, so no runner group, scale set name or label may appear in two stacks
 * of the same organization.
 */
export function runnerRoutingProblems(stacks: Readonly<Record<string, PlatformConfig>>): string[] {
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const [stack, config] of Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b))) {
    const runners = config.settings.runners;
    if (runners === undefined) continue;
    const org = config.settings.github.owner;
    const claims = new Map<string, string>();
    runners.scaleSets.forEach((scaleSet, index) => {
      const at = `${PROJECT}:runners.scaleSets[${index}]`;
      claims.set(`group ${scaleSet.runnerGroup ?? config.settings.cluster.name}`, `${at}.runnerGroup`);
      claims.set(`name ${scaleSet.name}`, `${at}.name`);
      for (const label of scaleSet.labels) claims.set(`name ${label}`, `${at}.labels`);
    });
    for (const [claim, key] of claims) {
      const id = `${org} ${claim}`;
      const other = owners.get(id);
      if (other !== undefined && other !== stack) {
        const [kind, value] = claim.split(" ") as [string, string];
        problems.push(
          `${key} in Pulumi.${stack}.yaml uses the runner ${kind === "group" ? "group" : "name or label"} "${value}", which Pulumi.${other}.yaml uses too: GitHub could send one environment's jobs to the other's runners. Fix: rename it in one of the two stack files.`,
        );
      } else {
        owners.set(id, stack);
      }
    }
  }
  return problems;
}

/**
 * ExternalDNS marks the records it owns with the cluster's name (components/dns.ts `dnsOwnerId`): two
 * stacks that publish records under one cluster name would change and delete each other's records.
 */
export function dnsOwnerProblems(stacks: Readonly<Record<string, PlatformConfig>>): string[] {
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const [stack, config] of Object.entries(stacks).sort(([a], [b]) => a.localeCompare(b))) {
    if (config.settings.dns === undefined) continue;
    const cluster = config.settings.cluster.name;
    const other = owners.get(cluster);
    if (other !== undefined) {
      problems.push(
        `${PROJECT}:cluster.name is "${cluster}" in Pulumi.${stack}.yaml and in Pulumi.${other}.yaml, and both publish DNS records (idp:dns): their ExternalDNS would own the same records. Fix: give each stack's cluster its own name.`,
      );
    } else {
      owners.set(cluster, stack);
    }
  }
  return problems;
}

/** The seeding stack renders `environments/<to>/` with what it believes the target's domain and profile are. */
function seedingViewProblems(configs: StackConfigs, target: PlatformConfig): string[] {
  const { to } = configs;
  for (const [stack, raw] of Object.entries(configs.all)) {
    if (stack === to) continue;
    const seeding = tryParse(raw);
    if (Array.isArray(seeding)) continue; // reported where it matters: when that stack is promoted
    const settings = (seeding as PlatformConfig).settings;
    if (!settings.github.manageOrganization) continue;
    const view = settings.github.environmentSettings[to];
    if (view === undefined) return []; // the seeding stack's own validation requires it
    const problems: string[] = [];
    const key = `${PROJECT}:github.environmentSettings.${to}`;
    if (view.domain !== target.settings.domain) {
      problems.push(
        `${stack} renders environments/${to}/ for the domain ${view.domain}, but ${to}'s ${PROJECT}:domain is ${target.settings.domain}: set ${key}.domain in Pulumi.${stack}.yaml to ${target.settings.domain}.`,
      );
    }
    // Without a profile, the seeding stack uses the profile named like the environment (validated).
    const viewProfile = view.profile ?? (to as ProfileName);
    if (viewProfile !== target.profile.name) {
      problems.push(
        `${stack} renders environments/${to}/ with the ${viewProfile} profile, but ${to}'s ${PROJECT}:profile is ${target.profile.name}: set ${key}.profile in Pulumi.${stack}.yaml to ${target.profile.name}.`,
      );
    }
    return problems;
  }
  return [];
}

// --- all together -------------------------------------------------------------------------------

export interface PromotionInput {
  readonly from: string;
  readonly to: string;
  readonly deployedOutputs: unknown;
  readonly history: unknown;
  readonly target: PlatformVersions;
  readonly configs: StackConfigs;
  readonly requirements: HistoryRequirements;
  readonly order?: readonly string[];
}

export interface PromotionVerdict {
  readonly promotable: boolean;
  readonly checks: readonly CheckResult[];
}

/** Every check, always all of them: a refusal lists every reason at once. */
export function evaluatePromotion(input: PromotionInput): PromotionVerdict {
  const checks = [
    checkOrder(input.from, input.to, input.order),
    checkVersions(input.deployedOutputs, input.target, input.from, input.to),
    checkHistory(input.history, input.from, input.requirements),
    checkConfigs(input.configs),
  ];
  return { promotable: checks.every((check) => check.reasons.length === 0), checks };
}

/**
 * The checks a promotion would run, before anything is deployed: the source's versions are what synth
 * says it would run; the history check cannot run and says what CI will check.
 */
export function evaluateDryRun(input: PromotionInput): PromotionVerdict {
  const skipped: CheckResult = {
    check: "history",
    summary: `a dry run has no deploy history; CI checks that ${input.from}'s last update is a successful update of the promoted commit, from a clean tree, at most ${HISTORY_DEFAULTS.maxAgeHours} hours old, with nothing in progress`,
    reasons: [],
    skipped: true,
  };
  const checks = [
    checkOrder(input.from, input.to, input.order),
    checkVersions(input.deployedOutputs, input.target, input.from, input.to),
    skipped,
    checkConfigs(input.configs),
  ];
  return { promotable: checks.every((check) => check.reasons.length === 0), checks };
}

/** The report the promote command prints after the synth diff. */
export function formatVerdict(from: string, to: string, verdict: PromotionVerdict, dryRun = false): string {
  const lines = [dryRun ? "Promotion checks (dry run):" : "Promotion checks:"];
  for (const check of verdict.checks) {
    if (check.skipped === true) lines.push(`  skipped ${check.check}: ${check.summary}`);
    else if (check.reasons.length === 0) lines.push(`  ok      ${check.check}: ${check.summary}`);
    else {
      lines.push(`  REFUSED ${check.check}: ${check.summary}`);
      for (const reason of check.reasons) lines.push(`          ${reason}`);
    }
  }
  const refusals = verdict.checks.filter((check) => check.reasons.length > 0).map((c) => c.check);
  lines.push(
    "",
    dryRun
      ? verdict.promotable
        ? `Dry run: ${from} → ${to} passes every check that can run before a deployment.`
        : `Dry run: ${from} → ${to} would be refused (${refusals.join(", ")}).`
      : verdict.promotable
        ? `Promotable: ${from} → ${to}.`
        : `Refused: ${from} → ${to} (${refusals.join(", ")}). Nothing was deployed.`,
  );
  return lines.join("\n") + "\n";
}

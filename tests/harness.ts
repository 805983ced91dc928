/**
 * The shared mocha harness. Every test evaluates the real program (or one component) under Pulumi's
 * mocks through `synth/run.ts`: the mocks are set before the program is first imported, every
 * registration is recorded with its dependencies and options, and any invoke throws.
 *
 * `Synth` wraps a result with the queries tests need; assertions stay in the tests.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { managementRepoPaths } from "../components/conventions";
import { SKELETON_DIR, SKELETON_FILES } from "../components/github/workflows";
import { ConfigError, parseConfig, type RawStackConfig } from "../stacks/config";
import { PROJECT } from "../stacks/schema";
import { decodeWire, plaintextOccurrences, secretPaths, type ResourceRecord } from "../synth/records";
import { synthesize, type SynthResult } from "../synth/run";
import { loadStackConfig, PROJECT_ROOT, secretPlaceholder } from "../synth/stack-files";

export const SHARED_DIR = path.resolve(PROJECT_ROOT, "..", "shared");
/** The tests' own project config and stacks (tests/fixtures/): behaviour is tested on these. */
export const FIXTURES_DIR = path.join(PROJECT_ROOT, "tests", "fixtures");

/** A fixture stack's config, as the engine would pass it. */
export function fixtureConfig(stack: string): RawStackConfig {
  return loadStackConfig(stack, FIXTURES_DIR);
}

/** Synthesizes a fixture stack (tests/fixtures/Pulumi.<stack>.yaml). */
export function synthFixture(stack: string, options: { preview?: boolean } = {}): Promise<Synth> {
  return synthStack(stack, { ...options, config: fixtureConfig(stack) });
}
export const hasShared = fs.existsSync(path.join(SHARED_DIR, "crds"));

/** Structured config of a stack file: `idp:key` → value, with secure values as placeholders. */
export interface StackConfigObject {
  stack: string;
  values: Record<string, unknown>;
  secretKeys: Set<string>;
  /** Secret keys stood in for by synth's placeholders (stacks/placeholders/). */
  placeholders: readonly string[];
}

/**
 * Structured config of a fixture stack (tests/fixtures/), or of a stack under `root` (the user's own
 * stacks: PROJECT_ROOT, for tests that check only invariants).
 */
export function stackConfigObject(stack: string, root: string = FIXTURES_DIR): StackConfigObject {
  const raw = loadStackConfig(stack, root);
  const values: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw.values)) {
    try {
      values[key] = JSON.parse(text) as unknown;
      if (typeof values[key] !== "object") values[key] = text; // keep scalars exactly as the engine passes them
    } catch {
      values[key] = text;
    }
  }
  return { stack, values, secretKeys: new Set(raw.secretKeys), placeholders: raw.placeholders };
}

export function toRaw(config: StackConfigObject): RawStackConfig {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.values)) {
    if (value === undefined) continue;
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return {
    stack: config.stack,
    values,
    secretKeys: new Set(config.secretKeys),
    placeholders: config.placeholders.filter((key) => key in values),
  };
}

/** A fixture stack's config changed by `edit`, which may mutate the structured values and secret keys. */
export function editedConfig(
  stack: string,
  edit: (config: StackConfigObject) => void,
  root: string = FIXTURES_DIR,
): RawStackConfig {
  const config = stackConfigObject(stack, root);
  edit(config);
  return toRaw(config);
}

/** The one-line problems `parseConfig` reports for a stack's config changed by `edit`; fails if it accepts it. */
export function configProblems(stack: string, edit: (config: StackConfigObject) => void): readonly string[] {
  try {
    parseConfig(editedConfig(stack, edit));
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.lines;
  }
  assert.fail("expected the config to be rejected");
}

/** Sets a secret value as `pulumi config set --secret` would. */
export function setSecret(config: StackConfigObject, key: string, value: string): void {
  config.values[`${PROJECT}:${key}`] = value;
  config.secretKeys.add(`${PROJECT}:${key}`);
}

export { secretPlaceholder };

export class Synth {
  constructor(readonly result: SynthResult) {}

  get resources(): readonly ResourceRecord[] {
    return this.result.resources;
  }

  /** Resources of a type token, e.g. `kubernetes:helm.sh/v3:Release`. */
  ofType(type: string): ResourceRecord[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** Exactly one resource with this type (and name, when given); fails the test otherwise. */
  one(type: string, name?: string): ResourceRecord {
    const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
    assert.equal(
      found.length,
      1,
      `expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.map((r) => r.name).join(", ") || "none"}`,
    );
    return found[0]!;
  }

  byName(name: string): ResourceRecord {
    const found = this.resources.filter((r) => r.name === name);
    assert.equal(found.length, 1, `expected exactly one resource named ${name}, found ${found.length}`);
    return found[0]!;
  }

  find(predicate: (record: ResourceRecord) => boolean): ResourceRecord[] {
    return this.resources.filter(predicate);
  }

  /** Inputs with secrets revealed: for asserting values. */
  inputs<T = Record<string, unknown>>(record: ResourceRecord): T {
    return decodeWire(record.wireInputs, "plain") as T;
  }

  /** Inputs as they would be shown or stored in plaintext: secrets redacted. */
  redacted<T = Record<string, unknown>>(record: ResourceRecord): T {
    return decodeWire(record.wireInputs, "redacted") as T;
  }

  secretInputs(record: ResourceRecord): string[] {
    return secretPaths(record.wireInputs);
  }

  /** Kubernetes custom resources / objects by kind (inputs.kind), e.g. `ClusterIssuer`. */
  kind(kind: string): ResourceRecord[] {
    return this.resources.filter(
      (r) => r.custom && r.type.startsWith("kubernetes:") && r.type.endsWith(`:${kind}`),
    );
  }

  children(parent: ResourceRecord): ResourceRecord[] {
    return this.resources.filter((r) => r.parent === parent.urn);
  }

  /** All resources below a component, at any depth. */
  descendants(parent: ResourceRecord): ResourceRecord[] {
    const out: ResourceRecord[] = [];
    const queue = [parent.urn];
    while (queue.length > 0) {
      const urn = queue.shift()!;
      for (const child of this.resources.filter((r) => r.parent === urn)) {
        out.push(child);
        queue.push(child.urn);
      }
    }
    return out;
  }

  /** True when `from` waits for `to`, directly or through a chain of dependencies. */
  dependsOn(from: ResourceRecord, to: ResourceRecord): boolean {
    const byUrn = new Map(this.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const queue = [...from.dependencies];
    while (queue.length > 0) {
      const urn = queue.shift()!;
      if (urn === to.urn) return true;
      if (seen.has(urn)) continue;
      seen.add(urn);
      queue.push(...(byUrn.get(urn)?.dependencies ?? []));
    }
    return false;
  }

  /** Input paths where `needle` appears outside a Pulumi secret, across every resource and output. */
  plaintextLeaks(needle: string): string[] {
    const leaks = this.resources.flatMap((r) =>
      plaintextOccurrences(r.wireInputs, needle).map((p) => `${r.type} ${r.name}: ${p}`),
    );
    leaks.push(...plaintextOccurrences(this.result.stackOutputs, needle).map((p) => `stack output ${p}`));
    return leaks;
  }
}

/** Synthesizes a fixture stack, or the given config. */
export async function synthStack(
  stack: string,
  options: { preview?: boolean; config?: RawStackConfig } = {},
): Promise<Synth> {
  const result = await synthesize({
    stack,
    config: options.config ?? loadStackConfig(stack, FIXTURES_DIR),
    preview: options.preview ?? false,
  });
  return new Synth(result);
}

/** Synthesizes one of the user's own stacks (Pulumi.<stack>.yaml beside Pulumi.yaml): invariants only. */
export function synthUserStack(stack: string, options: { preview?: boolean } = {}): Promise<Synth> {
  return synthStack(stack, { ...options, config: loadStackConfig(stack) });
}

/** Runs a program (e.g. one component) under the same mocks and recorder. */
export async function synthProgram(
  program: () => unknown,
  options: { stack?: string; config?: RawStackConfig; preview?: boolean } = {},
): Promise<Synth> {
  const result = await synthesize({
    stack: options.stack ?? "test",
    config: options.config ?? { stack: options.stack ?? "test", values: {}, secretKeys: new Set() },
    preview: options.preview ?? false,
    program,
  });
  return new Synth(result);
}

/** Upstream CRDs from ../shared/crds, parsed; undefined when the folder is absent (a user's clone). */
export function loadSharedYaml(relative: string): unknown {
  const file = path.join(SHARED_DIR, relative);
  return fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, "utf8")) as unknown) : undefined;
}

/** An app's first promotion into an environment, as the build workflow's `render_app` writes it. */
export interface PromotedApp {
  readonly app: string;
  readonly team: string;
  readonly database: boolean;
  readonly image: string;
}

/** A pinned image of the pipeline's kind (sha-<commit>), for promotions in tests. */
export const PROMOTED_IMAGE_TAG = "sha-0123456789abcdef0123456789abcdef01234567";

/**
 * The files an app's first promotion adds to environments/<env>/ of the management repository, from
 * the environment's skeleton (components/github/workflows.ts, render_app). Path → content.
 */
export function promotedAppFiles(
  tree: Readonly<Record<string, { readonly content: string }>>,
  env: string,
  promoted: PromotedApp,
): Record<string, string> {
  const render = (file: string) => {
    const skeleton = tree[`${SKELETON_DIR}/${env}/${file}`];
    assert.ok(skeleton, `the management repository has a skeleton ${env}/${file}`);
    return skeleton.content
      .replace(/__APP__/g, promoted.app)
      .replace(/__TEAM__/g, promoted.team)
      .replace(/__IMAGE__/g, promoted.image);
  };
  const folder = managementRepoPaths.app(env, promoted.team, promoted.app);
  if (!promoted.database) return { [`${folder}/app.yaml`]: render(SKELETON_FILES.app) };
  return {
    [`${folder}/app.yaml`]: render(SKELETON_FILES.appWithDatabase),
    [`${folder}/database.yaml`]: render(SKELETON_FILES.database),
    [`${folder}/tables.yaml`]: render(SKELETON_FILES.tables),
  };
}

/** A seeded file as the seeding resources take it. */
export interface SeededFile {
  readonly content: string;
  readonly mode: "managed" | "seed-once";
}

/**
 * The management repository as the stacks together seed it: the organization stack's shared files and
 * each stack's own environment folder.
 */
export function managementTree(...synths: readonly Synth[]): Record<string, SeededFile> {
  const tree: Record<string, SeededFile> = {};
  for (const synth of synths) {
    for (const name of ["idp-github-management-seed", "idp-environment-folder-seed"]) {
      const found = synth.find((r) => r.type.startsWith("pulumi-nodejs:dynamic/github:") && r.name === name);
      for (const record of found) {
        Object.assign(tree, synth.inputs<{ files: Record<string, SeededFile> }>(record).files);
      }
    }
  }
  return tree;
}

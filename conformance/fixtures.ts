/**
 * What the conformance suite runs the engines on: the program synthesized for the test fixtures'
 * stacks (tests/fixtures/, never the user's sample config), the XR examples beside them, and the
 * schemas to validate against.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { GO_TOOLS, SCHEMA_MODULES } from "../components/versions";
import { decodeWire, type ResourceRecord } from "../synth/records";
import { isKubernetesObject, seededFiles } from "../synth/render";
import { synthesize, type SynthResult } from "../synth/run";
import { listStacks, loadStackConfig, PROJECT_ROOT } from "../synth/stack-files";
import { cacheDir, moduleDir, toolPath, type ToolPaths } from "./tools";

type Json = Record<string, unknown>;

export const FIXTURES = path.join(PROJECT_ROOT, "tests", "fixtures");
export const SHARED_CRDS = path.resolve(PROJECT_ROOT, "..", "shared", "crds");

export function tools(): ToolPaths {
  const paths = Object.fromEntries(
    Object.entries(GO_TOOLS).map(([key, pin]) => [key, toolPath(pin)]),
  ) as unknown as ToolPaths;
  for (const [key, file] of Object.entries(paths)) {
    if (!fs.existsSync(file)) {
      throw new Error(`${key} is not built (${file}): run the suite with npm run conformance`);
    }
  }
  return paths;
}

export interface FixtureStack {
  readonly stack: string;
  readonly result: SynthResult;
  /** Every Kubernetes object the program declares, secrets as the fixtures' placeholders. */
  readonly objects: readonly Json[];
  /** Files seeded into GitHub repositories: repository → path → content. */
  readonly repositories: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly domain: string;
}

const synths = new Map<string, Promise<FixtureStack>>();

export function fixtureStacks(): string[] {
  return listStacks(FIXTURES);
}

export function fixtureStack(stack: string): Promise<FixtureStack> {
  let found = synths.get(stack);
  if (found === undefined) {
    found = (async () => {
      const config = loadStackConfig(stack, FIXTURES);
      const result = await synthesize({ stack, config, preview: false });
      const records: readonly ResourceRecord[] = result.resources;
      const objects = records
        .filter(isKubernetesObject)
        // Plain: secret values are the fixtures' placeholders, and validation needs their real shape.
        .map((r) => decodeWire(r.wireInputs, "plain") as Json);
      const repositories: Record<string, Record<string, string>> = {};
      for (const record of records) {
        for (const file of seededFiles(record)) {
          (repositories[file.repository] ??= {})[file.path] = file.content;
        }
      }
      // Scalars arrive as the engine passes them: plain text.
      const domain = config.values["idp:domain"] ?? "";
      return { stack, result, objects, repositories, domain };
    })();
    synths.set(stack, found);
  }
  return found;
}

export function ofKind(stack: FixtureStack, kind: string): Json[] {
  return stack.objects.filter((o) => o["kind"] === kind);
}

/** XR examples of tests/fixtures/examples, with the stack's domain filled in. */
export function examples(kind: "App" | "SQLDatabase", domain: string): Json[] {
  const file = kind === "App" ? "apps.yaml" : "databases.yaml";
  const text = fs
    .readFileSync(path.join(FIXTURES, "examples", file), "utf8")
    .replaceAll("__DOMAIN__", domain);
  return YAML.parseAllDocuments(text).map((d) => d.toJS() as Json);
}

/**
 * Schemas for `crossplane beta validate`, each from its source at the version the stacks install:
 * Crossplane's own CRDs (seeded into the validator's cache), the functions' inputs and providers'
 * CRDs from their Go modules, and ../shared/crds for the rest (the AWS family, ESO, cert-manager,
 * Argo CD, SchemaHero, Gateway API, ARC). Where ../shared is absent the report names what is missing.
 */
export interface SchemaSources {
  readonly extensions: string[];
  readonly crossplaneCrds: string;
  readonly crossplaneImage: string;
  readonly cache: string;
  readonly shared: boolean;
}

export function schemaSources(): SchemaSources {
  const crossplane = moduleDir(GO_TOOLS.crossplane.module, GO_TOOLS.crossplane.version);
  const extensions: string[] = [];
  for (const pin of [GO_TOOLS.functionPatchAndTransform, GO_TOOLS.functionCelFilter]) {
    extensions.push(path.join(moduleDir(pin.module, pin.version), "package", "input"));
  }
  for (const pin of Object.values(SCHEMA_MODULES)) {
    const dir = moduleDir(pin.module, pin.version);
    extensions.push(...pin.dirs.map((d) => path.join(dir, d)));
  }
  const shared = fs.existsSync(SHARED_CRDS);
  if (shared) {
    // Only what the modules above do not provide.
    const fromModules = new Set([
      "crossplane",
      "function-patch-and-transform",
      "provider-sql",
      "provider-kubernetes",
    ]);
    for (const project of fs.readdirSync(SHARED_CRDS).sort()) {
      const dir = path.join(SHARED_CRDS, project);
      if (!fs.statSync(dir).isDirectory() || fromModules.has(project)) continue;
      extensions.push(dir);
    }
  }
  return {
    extensions,
    crossplaneCrds: path.join(crossplane, "cluster", "crds"),
    crossplaneImage: `xpkg.crossplane.io/crossplane/crossplane:${GO_TOOLS.crossplane.version}`,
    cache: path.join(cacheDir(), "validate"),
    shared,
  };
}

/**
 * The platform's bill of materials: every pin of components/versions.ts and the locked versions of the
 * program's runtime packages, with a digest. `index.ts` exports it as the stack output
 * `platformVersions`, so a stack's outputs say exactly what it runs; promotion (stacks/promotion.ts)
 * requires the next stage to receive exactly what the previous one has deployed.
 *
 * Pins are the same for every stack (they are code, not config), so the bill of materials is too; a
 * stack may leave some of them unused (dev runs no RDS provider).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ACTIONS,
  ARC_VERSION,
  BASE_IMAGES,
  baseImageReference,
  CHARTS,
  CROSSPLANE_PACKAGES,
  IMAGES,
  imageReference,
  packageReference,
  TOOLS,
} from "../components/versions";

export interface PlatformVersions {
  /** `sha256:<hex>` over `pins` and `packages` (sorted): equal digests, equal versions. */
  readonly digest: string;
  /**
   * Every pin, `<table>.<key>` → the exact reference deployed, e.g. `charts.certManager` →
   * `oci://quay.io/jetstack/charts/cert-manager@v1.21.1`.
   */
  readonly pins: Readonly<Record<string, string>>;
  /** Locked versions (package-lock.json) of the program's runtime dependencies, e.g. `@pulumi/pulumi` → `3.270.0`. */
  readonly packages: Readonly<Record<string, string>>;
}

/** Every pin of components/versions.ts as `<table>.<key>` → exact reference. */
export function pinReferences(): Record<string, string> {
  const pins: Record<string, string> = { "arc.version": ARC_VERSION };
  // The repository too: the same chart name and version from another repository is another chart.
  for (const [key, pin] of Object.entries(CHARTS)) {
    pins[`charts.${key}`] = `${pin.repository}/${pin.chart}@${pin.version}`;
  }
  for (const [key, pin] of Object.entries(IMAGES)) pins[`images.${key}`] = imageReference(pin);
  for (const [key, pin] of Object.entries(CROSSPLANE_PACKAGES)) {
    pins[`crossplanePackages.${key}`] = packageReference(pin);
  }
  for (const [key, pin] of Object.entries(ACTIONS))
    pins[`actions.${key}`] = `${pin.action}@${pin.sha} (${pin.ref})`;
  for (const [key, pin] of Object.entries(TOOLS)) {
    const where = "module" in pin ? pin.module : "repository" in pin ? pin.repository : key;
    pins[`tools.${key}`] = `${where}@${pin.version}`;
  }
  for (const [key, pin] of Object.entries(BASE_IMAGES)) pins[`baseImages.${key}`] = baseImageReference(pin);
  return sortedRecord(pins);
}

interface PackageManifest {
  readonly dependencies?: Readonly<Record<string, string>>;
}
interface PackageLock {
  readonly packages?: Readonly<Record<string, { readonly version?: string }>>;
}

/** Locked versions of the runtime dependencies of package.json, read from package-lock.json. */
export function lockedPackages(root: string = path.resolve(__dirname, "..")): Record<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as PackageManifest;
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as PackageLock;
  const packages: Record<string, string> = {};
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const version = lock.packages?.[`node_modules/${name}`]?.version;
    if (version === undefined) {
      throw new Error(`package-lock.json has no entry for the dependency ${name}: run npm install`);
    }
    packages[name] = version;
  }
  return sortedRecord(packages);
}

/** The digest of a bill of materials: sha256 over its canonical JSON. */
export function versionsDigest(
  pins: Readonly<Record<string, string>>,
  packages: Readonly<Record<string, string>>,
): string {
  const canonical = JSON.stringify({ pins: sortedRecord(pins), packages: sortedRecord(packages) });
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}

/** What the current checkout deploys to any stack. */
export function platformVersions(root?: string): PlatformVersions {
  const pins = pinReferences();
  const packages = lockedPackages(root);
  return { digest: versionsDigest(pins, packages), pins, packages };
}

/** A parsed `platformVersions` value, or why it is not one (a file from CI may be anything). */
export function asPlatformVersions(value: unknown): PlatformVersions | string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "is not an object";
  const record = value as Record<string, unknown>;
  if (typeof record["digest"] !== "string") return "has no digest";
  for (const key of ["pins", "packages"] as const) {
    const table = record[key];
    if (table === null || typeof table !== "object" || Array.isArray(table)) return `has no ${key} table`;
    if (!Object.values(table).every((v) => typeof v === "string")) return `has a non-text entry in ${key}`;
  }
  return {
    digest: record["digest"],
    pins: record["pins"] as Record<string, string>,
    packages: record["packages"] as Record<string, string>,
  };
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

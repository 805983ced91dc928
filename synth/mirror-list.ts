/**
 * What a stack downloads, for copying into a mirror: every Helm chart, every image (the charts' defaults
 * at their pinned versions and the program's own), every Crossplane package and SchemaHero's plugins,
 * each with the location the stack reads it from when `idp:mirror` is set.
 *
 *   npm run mirror:list -- <stack> [--json] [--root <dir>]
 *
 * Lines: `<kind> <source> [<destination>]`; charts as `chart <repository> <name> <version> [<oci destination>]`.
 * Feed them to a copy tool (`crane copy <source> <destination>`, `helm pull` + `helm push` for charts).
 * Without a mirror there is no destination column.
 */
import * as path from "node:path";
import { mirrorFrom } from "../stacks/args";
import { ConfigError, parseConfig } from "../stacks/config";
import {
  CHART_IMAGES,
  CHARTS,
  IMAGES,
  imageReference,
  mirroredChart,
  mirroredImage,
  SCHEMAHERO_PLUGINS,
  schemaHeroPluginSource,
  type HelmChartPin,
  type Mirror,
} from "../components/versions";
import { decodeWire } from "./records";
import { isHelmRelease, isKubernetesObject } from "./render";
import { synthesize, type SynthResult } from "./run";
import { loadStackConfig, PROJECT_ROOT, StackFileError } from "./stack-files";
import { runCli } from "./run-cli";

export interface MirrorEntry {
  readonly kind: "chart" | "image" | "package" | "plugin";
  /** Upstream reference: an image or package with its tag or digest, or a chart's repository. */
  readonly source: string;
  /** Where the stack reads it with its mirror; absent without one. */
  readonly destination?: string;
  /** Charts only. */
  readonly chart?: { readonly name: string; readonly version: string };
}

type Json = Record<string, unknown>;

/** The pinned chart a release installs, by the chart name at the end of its reference. */
function chartPinOf(release: Json): HelmChartPin {
  const name = String(release["chart"]).split("/").pop()!;
  const pin = Object.values(CHARTS).find((p: HelmChartPin) => p.chart === name);
  if (pin === undefined) throw new Error(`release of chart ${name} has no pin in components/versions.ts`);
  return pin;
}

/** Everything the synthesized stack downloads, sorted and without repeats. */
export function mirrorList(result: SynthResult, mirror: Mirror | undefined): MirrorEntry[] {
  const entries = new Map<string, MirrorEntry>();
  const add = (entry: MirrorEntry) =>
    entries.set(`${entry.kind} ${entry.source} ${entry.chart?.name ?? ""}`, entry);
  const image = (source: string) =>
    add({
      kind: "image",
      source,
      ...(mirror !== undefined ? { destination: mirroredImage(source, mirror) } : {}),
    });

  const objects = result.resources
    .filter(isKubernetesObject)
    .map((r) => decodeWire(r.wireInputs, "plain") as Json);
  const releases = result.resources
    .filter(isHelmRelease)
    .map((r) => decodeWire(r.wireInputs, "plain") as Json);
  for (const release of releases) {
    const pin = chartPinOf(release);
    add({
      kind: "chart",
      source: pin.repository,
      chart: { name: pin.chart, version: pin.version },
      ...(mirror !== undefined ? { destination: mirroredChart(pin, mirror).repository } : {}),
    });
    for (const source of CHART_IMAGES[pin.chart]?.images ?? []) image(source);
  }
  // The program's own images, wherever it names them (values, pod templates, compositions, flags).
  const everything = JSON.stringify([...objects, ...releases]);
  for (const pin of Object.values(IMAGES)) {
    if (everything.includes(mirroredImage(pin.image, mirror))) image(imageReference(pin));
  }
  for (const object of objects) {
    if (object["apiVersion"] !== "pkg.crossplane.io/v1") continue;
    const source = String((object["spec"] as Json)["package"]);
    // The ImageConfig rewrites the package's registry: the same layout as images.
    add({
      kind: "package",
      source,
      ...(mirror !== undefined
        ? { destination: mirroredImage(source, { ...mirror, images: mirror.packages }) }
        : {}),
    });
  }
  // SchemaHero's controllers read `<registry>-<driver>:<tag>-<arch>` (pkg/database/plugin/downloader.go).
  if (objects.some((o) => o["kind"] === "StatefulSet" && (o["metadata"] as Json)["name"] === "schemahero")) {
    const plugins = schemaHeroPluginSource(mirror);
    for (const driver of SCHEMAHERO_PLUGINS.drivers) {
      const source = `${SCHEMAHERO_PLUGINS.repository}-${driver}:${SCHEMAHERO_PLUGINS.version}`;
      if (plugins === undefined) {
        // Without a mirror SchemaHero reads its built-in moving tag: listed as read (docs/mirrors.md).
        add({ kind: "plugin", source: `${SCHEMAHERO_PLUGINS.repository}-${driver}:0` });
        continue;
      }
      // One copy per architecture: upstream publishes one multi-platform tag, SchemaHero reads per arch.
      for (const arch of SCHEMAHERO_PLUGINS.architectures) {
        const destination = `${plugins.registry}-${driver}:${plugins.tag}-${arch}`;
        entries.set(`plugin ${source} ${arch}`, { kind: "plugin", source, destination });
      }
    }
  }
  const order = { chart: 0, image: 1, package: 2, plugin: 3 } as const;
  return [...entries.values()].sort(
    (a, b) =>
      order[a.kind] - order[b.kind] ||
      a.source.localeCompare(b.source) ||
      (a.destination ?? "").localeCompare(b.destination ?? ""),
  );
}

export function formatMirrorList(entries: readonly MirrorEntry[]): string {
  return entries
    .map((e) =>
      [
        e.kind,
        e.source,
        ...(e.chart !== undefined ? [e.chart.name, e.chart.version] : []),
        ...(e.destination !== undefined ? [e.destination] : []),
      ].join(" "),
    )
    .join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes("--json");
  const rootIndex = argv.indexOf("--root");
  const root = rootIndex >= 0 ? path.resolve(argv[rootIndex + 1] ?? ".") : PROJECT_ROOT;
  const stack = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--root")[0];
  if (stack === undefined) {
    process.stderr.write("usage: npm run mirror:list -- <stack> [--json] [--root <dir>]\n");
    return 2;
  }
  try {
    const config = loadStackConfig(stack, root);
    const { settings } = parseConfig(config);
    const result = await synthesize({ stack, config, preview: false });
    const entries = mirrorList(
      result,
      settings.mirror !== undefined ? mirrorFrom(settings.mirror) : undefined,
    );
    process.stdout.write((json ? JSON.stringify(entries, null, 2) : formatMirrorList(entries)) + "\n");
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) runCli(main);

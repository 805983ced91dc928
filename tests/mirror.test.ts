/**
 * Mirrored installs: with `idp:mirror` set, nothing the stack installs names an upstream registry or
 * chart repository, and `npm run mirror:list` lists everything the stack downloads.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APP_IMAGE_REGISTRY } from "../components/conventions";
import { CHART_IMAGES, CHARTS, packageRegistries } from "../components/versions";
import { PROJECT } from "../stacks/schema";
import { formatMirrorList, mirrorList, type MirrorEntry } from "../synth/mirror-list";
import { writeSynth } from "../synth/render";
import { listStacks, loadStackConfig } from "../synth/stack-files";
import { synthesize } from "../synth/run";
import { mirrorFrom } from "../stacks/args";
import { configProblems, editedConfig, synthStack, type Synth } from "./harness";

const MIRROR = "mirror.example.internal/idp";
const UPSTREAM_HOSTS = [
  "docker.io",
  "ghcr.io",
  "quay.io",
  "registry.k8s.io",
  "gcr.io",
  "public.ecr.aws",
  "ecr-public.aws.com",
  "xpkg.crossplane.io",
  "xpkg.upbound.io",
  "raw.githubusercontent.com",
  // Every chart repository the versions module names.
  ...new Set(Object.values(CHARTS).map((pin) => new URL(pin.repository.replace(/^oci:/, "https:")).host)),
];

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function mirrored(stack: string): Promise<Synth> {
  return synthStack(stack, {
    config: editedConfig(stack, (c) => {
      c.values[`${PROJECT}:mirror`] = { registry: MIRROR };
    }),
  });
}

/**
 * Upstream names left in a text once the allowed ones are taken out: the mirror's own paths (they name
 * their upstream under the mirror), the registry prefixes the Crossplane ImageConfigs rewrite, the
 * packages those ImageConfigs cover (spec.package keeps the upstream name: Crossplane's lock resolves
 * dependencies by it, v2.3.4 internal/controller/pkg/resolver/reconciler.go), and the organization's own
 * app registry (its GitHub Packages: the pipelines push there, as they push to its repositories).
 */
function upstreamNames(text: string, owner: string): string[] {
  let rest = text.replace(new RegExp(`${MIRROR.replace(/\./g, "\\.")}/[^\\s"',\\\\]+`, "g"), "MIRRORED");
  for (const registry of packageRegistries()) {
    const host = registry.replace(/\./g, "\\.");
    rest = rest
      .replace(new RegExp(`(package"?:\\s*"?)${host}[a-z0-9/-]+:v[0-9.]+`, "g"), "$1PACKAGE")
      .replace(new RegExp(`(prefix"?:\\s*"?)${host}`, "g"), "$1PREFIX");
  }
  rest = rest
    .split(`${APP_IMAGE_REGISTRY}/${owner}/`)
    .join("APPS/")
    .replace(/\\?"ghcr\.io\\?"/g, "APPS");
  rest = rest.split(`Pull credentials of ${APP_IMAGE_REGISTRY}`).join("APPS");
  const found: string[] = [];
  for (const host of UPSTREAM_HOSTS) {
    for (const match of rest.matchAll(new RegExp(`.{0,40}${host.replace(/\./g, "\\.")}.{0,40}`, "g"))) {
      found.push(match[0]);
    }
  }
  return found;
}

describe("mirrors", () => {
  for (const stack of ["dev", "prod"]) {
    describe(`${stack} with idp:mirror`, () => {
      let synth: Synth;
      let out: string;
      before(async () => {
        synth = await mirrored(stack);
        out = fs.mkdtempSync(path.join(os.tmpdir(), "idp-mirror-"));
        writeSynth(synth.result, out);
      });
      after(() => fs.rmSync(out, { recursive: true, force: true }));

      it("names no upstream registry or chart repository outside seeded GitHub content", () => {
        const leaks: string[] = [];
        for (const file of files(path.join(out, stack))) {
          const relative = path.relative(path.join(out, stack), file);
          // GitHub content: the seeded repositories' files.
          if (relative.startsWith("repos/") || relative === "seeded-files.json") continue;
          let text = fs.readFileSync(file, "utf8");
          if (relative === "resources.json") {
            // GitHub resources (repositories, seeds, secrets) are GitHub content too.
            const records = JSON.parse(text) as Array<{ type: string }>;
            text = JSON.stringify(
              records.filter((r) => !/^(github:|pulumi-nodejs:dynamic\/github)/.test(r.type)),
            );
          }
          if (relative === "outputs.json") {
            // The bill of materials names each pin by its upstream identity (promotion compares it across
            // stacks, mirrored or not); where the stack fetches it from is the mirror.
            const outputs = JSON.parse(text) as Record<string, unknown>;
            delete outputs["platformVersions"];
            text = JSON.stringify(outputs);
          }
          for (const leak of upstreamNames(text, "fixture-org")) leaks.push(`${relative}: ${leak}`);
        }
        assert.deepEqual(leaks, []);
      });

      it("pulls Crossplane packages through an ImageConfig per upstream registry", () => {
        const configs = synth
          .ofType("kubernetes:pkg.crossplane.io/v1beta1:ImageConfig")
          .map((r) => synth.inputs(r)["spec"]);
        assert.deepEqual(configs, [
          {
            matchImages: [{ type: "Prefix", prefix: "xpkg.crossplane.io/" }],
            rewriteImage: { prefix: `${MIRROR}/xpkg.crossplane.io/` },
          },
        ]);
        for (const kind of ["Provider", "Function"]) {
          for (const record of synth.ofType(`kubernetes:pkg.crossplane.io/v1:${kind}`)) {
            assert.ok(
              synth.dependsOn(record, synth.ofType("kubernetes:pkg.crossplane.io/v1beta1:ImageConfig")[0]!),
            );
            const source = String((synth.inputs(record)["spec"] as { package: string }).package);
            assert.ok(
              packageRegistries().some((prefix) => source.startsWith(prefix)),
              source,
            );
          }
        }
      });

      it("reads every chart from the mirror as an OCI chart", () => {
        const releases = synth.ofType("kubernetes:helm.sh/v3:Release").map((r) => synth.inputs(r));
        assert.ok(releases.length >= 7);
        for (const release of releases) {
          assert.match(String(release["chart"]), new RegExp(`^oci://${MIRROR}/`));
          assert.equal(release["repositoryOpts"], undefined);
        }
        const argocd = releases.find((r) => String(r["chart"]).endsWith("/argo-cd"))!;
        assert.equal(argocd["chart"], `oci://${MIRROR}/argoproj.github.io/argo-helm/argo-cd`);
      });

      it("lists everything it downloads: every mirrored reference it renders is on the list", () => {
        const entries = mirrorList(synth.result, mirrorFrom({ registry: MIRROR }));
        // A chart's destination is the OCI repository `helm push` takes; the release reads <it>/<chart>.
        const destinations = new Set(
          entries.flatMap((e) =>
            e.destination === undefined
              ? []
              : [e.destination.replace(/^oci:\/\//, "") + (e.chart !== undefined ? `/${e.chart.name}` : "")],
          ),
        );
        const repositories = new Set([...destinations].map((d) => d.replace(/[:@][^/]*$/, "")));
        const text = files(path.join(out, stack))
          .filter((f) => !f.includes(`${path.sep}repos${path.sep}`))
          .map((f) => fs.readFileSync(f, "utf8"))
          .join("\n");
        const seen = new Set(
          [...text.matchAll(new RegExp(`${MIRROR.replace(/\./g, "\\.")}/[a-z0-9][^\\s"',\\\\]*`, "g"))].map(
            (m) => m[0],
          ),
        );
        assert.ok(seen.size > 10);
        for (const reference of seen) {
          const repository = reference.replace(/[:@][^/]*$/, "").replace(/\/$/, "");
          const covered =
            destinations.has(reference) ||
            repositories.has(repository) ||
            // A prefix the mirror serves (registry values, the ImageConfig): some listed entry lies below it.
            [...destinations].some((d) => d.startsWith(`${repository}/`)) ||
            // SchemaHero's --plugin-registry: it reads <registry>-<driver>:<tag>-<arch>.
            [...destinations].some((d) => d.startsWith(`${repository}-`));
          assert.ok(covered, `${reference} is on the mirror list`);
        }
      });
    });
  }

  it("knows the default images of every pinned chart", () => {
    assert.deepEqual(
      Object.keys(CHART_IMAGES).sort(),
      Object.values(CHARTS)
        .map((pin) => pin.chart)
        .sort(),
    );
  });

  it("lists every chart and image of dev, with no destination without a mirror", async () => {
    const synth = await synthStack("dev");
    const entries: MirrorEntry[] = mirrorList(synth.result, undefined);
    const charts = entries.filter((e) => e.kind === "chart").map((e) => e.chart!.name);
    const releases = synth
      .ofType("kubernetes:helm.sh/v3:Release")
      .map((r) => String(synth.inputs(r)["chart"]).split("/").pop());
    assert.deepEqual([...new Set(charts)].sort(), [...new Set(releases)].sort());
    const images = entries.filter((e) => e.kind === "image").map((e) => e.source);
    assert.ok(images.length >= 10, `${images.length} images`);
    for (const chart of charts) {
      for (const image of CHART_IMAGES[chart]!.images) assert.ok(images.includes(image), image);
    }
    assert.ok(images.includes("docker.io/library/postgres:17.9"));
    assert.ok(entries.every((e) => e.destination === undefined));
    assert.ok(
      formatMirrorList(entries)
        .split("\n")
        .includes("chart https://charts.external-secrets.io external-secrets 2.9.0"),
    );
  });

  it("copies SchemaHero's pinned plugins to the per-architecture tags it reads, and points it there", async () => {
    const synth = await mirrored("dev");
    const plugins = mirrorList(synth.result, mirrorFrom({ registry: MIRROR })).filter(
      (e) => e.kind === "plugin",
    );
    assert.deepEqual(plugins, [
      {
        kind: "plugin",
        source: "docker.io/schemahero/plugin-postgres:0.25.0",
        destination: `${MIRROR}/docker.io/schemahero/plugin-postgres:0.25.0-amd64`,
      },
      {
        kind: "plugin",
        source: "docker.io/schemahero/plugin-postgres:0.25.0",
        destination: `${MIRROR}/docker.io/schemahero/plugin-postgres:0.25.0-arm64`,
      },
    ]);
    const spec = synth.inputs(synth.one("kubernetes:apps/v1:StatefulSet", "idp-schemahero-manager"))["spec"];
    const pod = (spec as { template: { spec: { containers: Array<{ image: string; command: string[] }> } } })
      .template.spec;
    const container = pod.containers[0]!;
    assert.equal(container.image, `${MIRROR}/docker.io/schemahero/schemahero-manager:0.25.0`);
    const flag = (name: string) => container.command[container.command.indexOf(name) + 1];
    assert.equal(flag("--manager-image"), `${MIRROR}/docker.io/schemahero/schemahero-manager`);
    assert.equal(flag("--plugin-registry"), `${MIRROR}/docker.io/schemahero/plugin`);
    assert.equal(flag("--plugin-tag"), "0.25.0");
  });

  it("rejects a mirror with a scheme, naming the key and the fix", () => {
    const problems = configProblems("dev", (c) => {
      c.values[`${PROJECT}:mirror`] = { registry: "https://mirror.example.internal" };
    });
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /^Invalid config idp:mirror\.registry: must be a registry host with an optional path/,
    );
  });

  it("reads no manifest from an http(s) URL in any stack", async () => {
    for (const stack of listStacks()) {
      const result = await synthesize({ stack, config: loadStackConfig(stack), preview: false });
      const yaml = result.resources.filter((r) => /^kubernetes:yaml(\/v2)?:Config(File|Group)$/.test(r.type));
      for (const record of yaml) {
        assert.ok(
          !/https?:\/\//.test(JSON.stringify(record.wireInputs)),
          `${stack}: ${record.name} reads a URL`,
        );
      }
    }
  });
});

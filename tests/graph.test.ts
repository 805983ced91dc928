/**
 * The synth's graph analysis on hand-made records: cost model, critical path, GitHub write chains,
 * parts and the Mermaid picture; and the diff's leaf-level comparison.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { valueChanges } from "../synth/diff";
import { costOf, criticalPath, githubWriteChain, mermaid, partOf, resourcesPerPart } from "../synth/graph";
import type { ResourceRecord } from "../synth/records";
import { synthProgram } from "./harness";

const STACK = "urn:pulumi:s::idp::pulumi:pulumi:Stack::idp-s";

function record(type: string, name: string, extra: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    urn: `urn:pulumi:s::idp::${type}::${name}`,
    type,
    name,
    parent: STACK,
    custom: true,
    provider: "",
    dependencies: [],
    propertyDependencies: {},
    explicitDependencies: [],
    options: {
      protect: false,
      retainOnDelete: false,
      ignoreChanges: [],
      replaceOnChanges: [],
      deleteBeforeReplace: false,
      additionalSecretOutputs: [],
    },
    wireInputs: {},
    ...extra,
  };
}

describe("synth graph", () => {
  const release = record("kubernetes:helm.sh/v3:Release", "operator");
  const crd = record("kubernetes:example.com/v1:Thing", "thing", { dependencies: [release.urn] });
  const waited = record("kubernetes:example.com/v1:Thing", "waited", {
    dependencies: [crd.urn],
    wireInputs: { metadata: { annotations: { "pulumi.com/waitFor": "condition=Ready" } } },
  });
  const repo = record("github:index/repository:Repository", "repo");
  const fromTemplate = record("github:index/repository:Repository", "app", {
    dependencies: [repo.urn],
    wireInputs: { template: { owner: "o", repository: "t" } },
  });
  const file1 = record("github:index/repositoryFile:RepositoryFile", "f1", { dependencies: [repo.urn] });
  const file2 = record("github:index/repositoryFile:RepositoryFile", "f2", { dependencies: [file1.urn] });
  const all = [release, crd, waited, repo, fromTemplate, file1, file2];

  it("prices each kind by the documented cost model", () => {
    assert.deepEqual(
      all.map((r) => costOf(r).seconds),
      [120, 2, 30, 5, 15, 4, 4],
    );
    assert.equal(costOf(record("random:index/randomPassword:RandomPassword", "p")).seconds, 0);
    assert.equal(costOf({ ...record("idp:x:Y", "c"), custom: false }).seconds, 0);
    assert.equal(
      costOf({ ...record("kubernetes:helm.sh/v4:Chart", "crds"), custom: false, remote: true }).seconds,
      30,
    );
  });

  it("finds the longest chain of dependent resources", () => {
    const path = criticalPath(all);
    assert.equal(path.seconds, 152);
    assert.deepEqual(
      path.steps.map((s) => s.record.name),
      ["operator", "thing", "waited"],
    );
  });

  it("counts the longest chain of GitHub writes", () => {
    const chain = githubWriteChain(all);
    assert.equal(chain.seconds, 3);
    assert.deepEqual(
      chain.steps.map((s) => s.record.name),
      ["repo", "f1", "f2"],
    );
  });

  it("counts provider-implemented components on the path", () => {
    const chart = { ...record("kubernetes:helm.sh/v4:Chart", "crds"), custom: false, remote: true };
    const gateway = record("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gw", {
      dependencies: [chart.urn],
    });
    assert.deepEqual(
      criticalPath([chart, gateway]).steps.map((s) => [s.record.name, s.seconds]),
      [
        ["crds", 30],
        ["gw", 2],
      ],
    );
  });

  it("treats a resource's provider as a prerequisite", () => {
    const provider = record("pulumi:providers:kubernetes", "k8s");
    const object = record("kubernetes:core/v1:Namespace", "ns", { provider: `${provider.urn}::id` });
    assert.deepEqual(
      criticalPath([provider, object]).steps.map((s) => s.record.name),
      ["k8s", "ns"],
    );
  });

  it("reports a dependency cycle instead of looping", () => {
    const a = record("kubernetes:v1:A", "a", { dependencies: ["urn:pulumi:s::idp::kubernetes:v1:B::b"] });
    const b = record("kubernetes:v1:B", "b", { dependencies: [a.urn] });
    assert.throws(() => criticalPath([a, b]), /dependency cycle/);
  });

  it("groups resources by the part below the Platform and draws part edges", () => {
    const platform = record("idp:platform:Platform", "idp", { custom: false });
    const partA = record("idp:a:PartA", "idp-a", { custom: false, parent: platform.urn });
    const partB = record("idp:b:PartB", "idp-b", { custom: false, parent: platform.urn });
    const inA = record("kubernetes:v1:X", "idp-a-x", { parent: partA.urn });
    const inB = record("kubernetes:v1:Y", "idp-b-y", { parent: partB.urn, dependencies: [inA.urn] });
    const resources = [platform, partA, partB, inA, inB];
    const parts = partOf(resources);
    assert.equal(parts.get(inA.urn), partA.urn);
    assert.equal(parts.get(inB.urn), partB.urn);
    assert.equal(parts.get(platform.urn), platform.urn);
    assert.deepEqual(
      resourcesPerPart(resources).map((p) => [p.label, p.count]),
      [
        ["idp:a:PartA idp-a", 2],
        ["idp:b:PartB idp-b", 2],
        ["idp:platform:Platform idp", 1],
      ],
    );
    const picture = mermaid(resources);
    assert.match(picture, /p0\["PartA<br\/>idp-a<br\/>2 resources"\]/);
    assert.match(picture, /p0 --> p1/);
  });
});

describe("synth diff", () => {
  it("lists leaf changes, additions and removals", () => {
    assert.deepEqual(valueChanges({ a: 1, b: { c: [1, 2] } }, { a: 2, b: { c: [1, 2, 3] } }, ""), [
      ".a: 1 → 2",
      ".b.c: + 3",
    ]);
    assert.deepEqual(valueChanges({ a: 1 }, { a: 1 }, ""), []);
    assert.deepEqual(valueChanges({ a: "x" }, {}, ""), ['.a: "x" → (unset)']);
  });
});

class Thing extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Thing", name, {});
  }
}

describe("mocks", () => {
  it("refuse invokes, naming the data source", async () => {
    await assert.rejects(
      synthProgram(async () => {
        await pulumi.runtime.invoke("aws:index/getCallerIdentity:getCallerIdentity", {});
      }),
      /The program called the data source aws:index\/getCallerIdentity:getCallerIdentity while it was evaluated/,
    );
  });

  it("leave computed outputs unknown in preview and known otherwise", async () => {
    for (const preview of [false, true]) {
      let known: boolean | undefined;
      await synthProgram(
        () => {
          const thing = new Thing("thing");
          return { known: thing.id.apply(() => (known = true)) };
        },
        { preview },
      );
      assert.equal(known, preview ? undefined : true);
    }
  });
});

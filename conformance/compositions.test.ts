/**
 * Every Composition the fixture stacks install, run through the real engines: function-patch-and-
 * transform and function-cel-filter at the versions the stacks install, called by one real reconcile
 * of `crossplane internal render` at the Crossplane version the stacks install. Each XR example renders
 * twice: as a new XR (nothing observed) and as an XR whose composed resources exist with a status, so
 * readiness and the status patches run too. The TypeScript model of the functions (tests/crossplane-
 * render.ts, what `npm test` uses) renders the same inputs and must agree.
 */
import * as assert from "node:assert/strict";
import { XR_KINDS } from "../components/crossplane/api";
import type { CompositionObject } from "../components/crossplane/pt";
import { appXrd, type XrdObject } from "../components/crossplane/xrds";
import { PROFILES } from "../stacks/profiles";
import { admit, render as model } from "../tests/crossplane-render";
import { render, startFunctions, type RenderResult, type RunningFunction } from "./session";
import { examples, fixtureStack, fixtureStacks, ofKind, type FixtureStack } from "./fixtures";
import { composedByName, normalizeComposed, withReadyStatus } from "./objects";

type Json = Record<string, unknown>;

let functions: RunningFunction[] = [];
before(async () => {
  functions = await startFunctions();
});
after(() => functions.forEach((f) => f.process.kill()));

interface Case {
  readonly stack: FixtureStack;
  readonly composition: Json;
  readonly xrd: Json;
  readonly xr: Json;
}

async function cases(kind: "App" | "SQLDatabase"): Promise<Case[]> {
  const out: Case[] = [];
  for (const name of fixtureStacks()) {
    const stack = await fixtureStack(name);
    const xrd = ofKind(stack, "CompositeResourceDefinition").find(
      (x) => (x["spec"] as { names: { kind: string } }).names.kind === kind,
    );
    assert.ok(xrd, `${name} installs the ${kind} XRD`);
    for (const composition of ofKind(stack, "Composition").filter(
      (c) => (c["spec"] as { compositeTypeRef: { kind: string } }).compositeTypeRef.kind === kind,
    )) {
      for (const example of examples(kind, stack.domain)) {
        // The API server applies the XRD's defaults before Crossplane ever sees the XR.
        const { object, errors } = await admit(xrd as unknown as XrdObject, example);
        assert.deepEqual(
          errors,
          [],
          `${name}: the example ${String((example["metadata"] as Json)["name"])} is valid`,
        );
        out.push({ stack, composition, xrd, xr: object });
      }
    }
  }
  return out;
}

const label = (c: Case) =>
  `${c.stack.stack} ${String((c.composition["metadata"] as Json)["name"])} ${String((c.xr["metadata"] as Json)["name"])}`;

function warnings(result: RenderResult): string[] {
  return result.events.filter((e) => e.type === "Warning").map((e) => e.message);
}

function condition(
  xr: Json,
  type: string,
): { status: string; reason?: string; message?: string } | undefined {
  const conditions = ((xr["status"] as Json | undefined)?.["conditions"] ?? []) as Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
  }>;
  return conditions.find((c) => c.type === type);
}

/**
 * Renders a case new, then reconciles again with what it composed existing and ready, until it composes
 * nothing more (objects that wait for the XR's status, such as RDS connection Secrets, appear on a later
 * reconcile, as they would in a cluster).
 */
function renderTwice(c: Case): { fresh: RenderResult; settled: RenderResult; observed: Json[] } {
  const fresh = render({ xr: c.xr, composition: c.composition, xrd: c.xrd, functions });
  assert.equal(fresh.exitCode, 0, `${label(c)}: ${fresh.stderr}`);
  let previous = fresh;
  for (let reconcile = 0; reconcile < 4; reconcile++) {
    const observed = previous.composed.map(withReadyStatus);
    const xr = { ...c.xr, status: { ...((previous.xr["status"] as Json | undefined) ?? {}) } };
    const next = render({ xr, composition: c.composition, xrd: c.xrd, functions, observed });
    assert.equal(next.exitCode, 0, `${label(c)}: ${next.stderr}`);
    const settledNow =
      next.composed.length === previous.composed.length &&
      JSON.stringify(next.xr["status"]) === JSON.stringify(previous.xr["status"]) &&
      reconcile > 0;
    if (settledNow) return { fresh, settled: next, observed };
    previous = next;
  }
  assert.fail(`${label(c)}: did not settle within 5 reconciles`);
}

describe("Compositions through the real functions and Crossplane's render engine", () => {
  it("render every App example in every fixture stack: no warning, ready once what they compose is", async () => {
    const all = await cases(XR_KINDS.app);
    assert.ok(all.length >= 6, `${all.length} App cases`);
    for (const c of all) {
      const { fresh, settled } = renderTwice(c);
      for (const result of [fresh, settled]) assert.deepEqual(warnings(result), [], label(c));
      const kinds = composedByName(fresh.composed);
      const spec = c.xr["spec"] as {
        database?: { name: string };
        port: number;
        host?: string;
        replicas: Json;
      };
      assert.deepEqual(
        Object.keys(kinds).sort(),
        [
          "autoscaler",
          "deployment",
          "disruption-budget",
          "route",
          "service",
          ...(spec.database !== undefined ? ["database-usage"] : []),
        ].sort(),
        label(c),
      );
      const deployment = kinds["deployment"]!;
      const container = ((deployment["spec"] as Json)["template"] as { spec: { containers: Json[] } }).spec
        .containers[0]!;
      assert.equal((container["ports"] as Json[])[0]!["containerPort"], spec.port, label(c));
      assert.equal(condition(fresh.xr, "Ready")?.status, "False", `${label(c)}: nothing exists yet`);
      assert.equal(
        condition(settled.xr, "Ready")?.status,
        "True",
        `${label(c)}: ${JSON.stringify(condition(settled.xr, "Ready"))}`,
      );
      const status = settled.xr["status"] as Json;
      assert.match(String(status["url"]), /^https:\/\//, label(c));
      assert.equal(typeof status["availableReplicas"], "number", label(c));
    }
  });

  it("render every SQLDatabase example in every fixture stack: no warning, sizes and versions as asked, ready once composed", async () => {
    const all = await cases(XR_KINDS.sqlDatabase);
    assert.ok(all.length >= 9, `${all.length} SQLDatabase cases`);
    for (const c of all) {
      const { fresh, settled } = renderTwice(c);
      for (const result of [fresh, settled]) assert.deepEqual(warnings(result), [], label(c));
      const spec = c.xr["spec"] as { version: string; size: string; storageGB: number };
      const composed = composedByName(settled.composed);
      const rds = "instance" in composed;
      if (rds) {
        const forProvider = (composed["instance"]!["spec"] as { forProvider: Json }).forProvider;
        assert.equal(forProvider["engineVersion"], spec.version, label(c));
        assert.equal(forProvider["allocatedStorage"], spec.storageGB, label(c));
      } else {
        const volume = composed["volume"]!["spec"] as { resources: { requests: { storage: string } } };
        // The number arrived as a float64 and was converted before %d: "50Gi", never "%!d(float64=50)Gi".
        assert.equal(volume.resources.requests.storage, `${spec.storageGB}Gi`, label(c));
        const image = ((composed["server"]!["spec"] as Json)["template"] as { spec: { containers: Json[] } })
          .spec.containers[0]!["image"];
        assert.match(String(image), new RegExp(`postgres:${spec.version}\\.`), label(c));
      }
      assert.ok(!JSON.stringify(settled.composed).includes("%!"), `${label(c)}: a Go format error`);
      assert.equal(
        condition(settled.xr, "Ready")?.status,
        "True",
        `${label(c)}: ${JSON.stringify(condition(settled.xr, "Ready"))}`,
      );
      const status = settled.xr["status"] as Json;
      assert.equal(typeof status["address"], "string", label(c));
      assert.equal(
        status["connectionSecret"],
        `${String((c.xr["metadata"] as Json)["name"])}-connection`,
        label(c),
      );
      if (rds) {
        // The connection Secrets wait for the address: not composed for a new XR, complete after.
        assert.equal(composedByName(fresh.composed)["connection-secret"], undefined, label(c));
      }
    }
  });

  it("the TypeScript model of the functions renders what the real ones do, readiness and status included", async () => {
    let compared = 0;
    for (const kind of [XR_KINDS.app, XR_KINDS.sqlDatabase]) {
      for (const c of await cases(kind)) {
        const { fresh, settled, observed } = renderTwice(c);
        for (const [when, real, seen, xr] of [
          ["new", fresh, [], c.xr],
          ["settled", settled, observed, withStatusOf(c.xr, settled)],
        ] as const) {
          const mine = await model(c.composition as unknown as CompositionObject, xr, composedByName(seen));
          const theirs = composedByName(real.composed);
          const where = `${label(c)} (${when})`;
          assert.deepEqual(Object.keys(mine.resources).sort(), Object.keys(theirs).sort(), where);
          for (const [name, object] of Object.entries(mine.resources)) {
            const named = typeof (object["metadata"] as Json | undefined)?.["name"] === "string";
            assert.deepEqual(
              normalizeComposed(object, c.xr, named),
              normalizeComposed(theirs[name]!, c.xr, named),
              `${where}: ${name}`,
            );
          }
          // Ready exactly when the model finds every composed resource ready.
          const allReady = Object.keys(theirs).every((name) => mine.ready.includes(name));
          assert.equal(allReady, condition(real.xr, "Ready")?.status === "True", `${where}: readiness`);
          const status = { ...(real.xr["status"] as Json) };
          delete status["conditions"];
          delete status["crossplane"];
          assert.deepEqual(
            { ...((xr["status"] as Json | undefined) ?? {}), ...mine.status },
            status,
            `${where}: status`,
          );
          assert.deepEqual(mine.results, [], where);
          compared++;
        }
      }
    }
    assert.ok(compared >= 30, `${compared} renders compared`);
  });
});

describe("An App on a workload cluster, through the real functions", () => {
  it("composes only Objects through the cluster's ProviderConfig, reports where it runs, and the model agrees", async () => {
    const stack = await fixtureStack("prod");
    const composition = ofKind(stack, "Composition").find(
      (c) => (c["spec"] as { compositeTypeRef: { kind: string } }).compositeTypeRef.kind === XR_KINDS.app,
    )!;
    // The XRD the stack installs once it has a workload cluster of that name.
    const xrd = appXrd({
      domain: stack.domain,
      replicas: PROFILES.prod.appReplicas,
      defaultComposition: String((composition["metadata"] as Json)["name"]),
      workloadClusters: ["prod-eu-1"],
    });
    const example = examples("App", stack.domain).find((a) => (a["spec"] as Json)["database"] === undefined)!;
    const { object: xr, errors } = await admit(xrd, {
      ...example,
      spec: { ...(example["spec"] as Json), cluster: "prod-eu-1" },
    });
    assert.deepEqual(errors, []);
    const c: Case = { stack, composition, xrd: xrd as unknown as Json, xr };
    const { fresh, settled, observed } = renderTwice(c);
    for (const result of [fresh, settled]) assert.deepEqual(warnings(result), [], label(c));
    const composed = composedByName(settled.composed);
    assert.deepEqual(Object.keys(composed).sort(), [
      "remote-autoscaler",
      "remote-deployment",
      "remote-disruption-budget",
      "remote-service",
    ]);
    for (const object of Object.values(composed)) {
      assert.equal(object["apiVersion"], "kubernetes.m.crossplane.io/v1alpha1");
      assert.deepEqual((object["spec"] as Json)["providerConfigRef"], {
        kind: "ClusterProviderConfig",
        name: "prod-eu-1",
      });
    }
    assert.equal(
      condition(settled.xr, "Ready")?.status,
      "True",
      JSON.stringify(condition(settled.xr, "Ready")),
    );
    const status = settled.xr["status"] as Json;
    assert.equal(status["cluster"], "prod-eu-1");
    assert.equal(status["availableReplicas"], 2);
    assert.equal(status["url"], undefined);
    for (const [real, seen, state] of [
      [fresh, [], xr],
      [settled, observed, withStatusOf(xr, settled)],
    ] as const) {
      const mine = await model(composition as unknown as CompositionObject, state, composedByName(seen));
      const theirs = composedByName(real.composed);
      assert.deepEqual(Object.keys(mine.resources).sort(), Object.keys(theirs).sort());
      for (const [name, object] of Object.entries(mine.resources)) {
        assert.deepEqual(normalizeComposed(object, xr), normalizeComposed(theirs[name]!, xr), name);
      }
    }
  });
});

describe("What the real engine says about a broken composition", () => {
  it("renders Go's error form for a number formatted with %d without a conversion, and the suite catches it", async () => {
    const stack = await fixtureStack("dev");
    const composition = structuredClone(
      ofKind(stack, "Composition").find(
        (c) => (c["metadata"] as Json)["name"] === "sqldatabases-in-cluster",
      )!,
    );
    const volume = (
      composition["spec"] as {
        pipeline: Array<{ input: { resources: Array<{ name: string; patches: Json[] }> } }>;
      }
    ).pipeline[0]!.input.resources.find((r) => r.name === "volume")!;
    const storage = volume.patches.find((p) => p["fromFieldPath"] === "spec.storageGB")!;
    // Put back the bare `%dGi`: the number reaches the function as a float64.
    storage["transforms"] = [{ type: "string", string: { type: "Format", fmt: "%dGi" } }];
    const xrd = ofKind(stack, "CompositeResourceDefinition").find(
      (x) => (x["spec"] as { names: { kind: string } }).names.kind === "SQLDatabase",
    )!;
    const { object: xr } = await admit(
      xrd as unknown as XrdObject,
      examples("SQLDatabase", stack.domain)[0]!,
    );
    const result = render({ xr, composition, xrd, functions });
    assert.equal(result.exitCode, 0, result.stderr);
    const claim = composedByName(result.composed)["volume"]!["spec"] as { resources: { requests: Json } };
    assert.equal(claim.resources.requests["storage"], "%!d(float64=50)Gi");
    // The same check the suite runs on every rendered object fires, with the engine's own output in it.
    assert.throws(
      () => assert.ok(!JSON.stringify(result.composed).includes("%!"), JSON.stringify(claim)),
      /%!d\(float64=50\)Gi/,
    );
  });
});

/** The XR as the settled reconcile saw it: with the status earlier reconciles gave it (no conditions). */
function withStatusOf(xr: Json, result: RenderResult): Json {
  const status = { ...((result.xr["status"] as Json | undefined) ?? {}) };
  delete status["conditions"];
  delete status["crossplane"];
  return { ...xr, status };
}

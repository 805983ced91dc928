/**
 * Every chart, image and package pin lives in components/versions.ts, is exact, links upstream and
 * carries the Renovate hint that renovate.json's regex manager reads, directly or through a shared
 * version constant (ARC's two charts).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ARC_VERSION, CHARTS, CROSSPLANE_PACKAGES, IMAGES } from "../components/versions";
import { PROJECT_ROOT } from "../synth/stack-files";

const source = fs.readFileSync(path.join(PROJECT_ROOT, "components/versions.ts"), "utf8");
const renovate = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "renovate.json"), "utf8")) as {
  customManagers: Array<{ matchStrings: string[] }>;
  packageRules: Array<{ matchDepNames?: string[]; groupName?: string }>;
};
const [entryPattern, constantPattern] = renovate.customManagers[0]!.matchStrings;
/** Renovate writes named groups as (?<name>); JavaScript reads them the same way. */
const matched = new Map(
  [...source.matchAll(new RegExp(entryPattern!, "g"))].map((m) => [
    m[0].split("\n")[1]!.trim().split(":")[0]!,
    m.groups!,
  ]),
);
/** Shared version constants (`export const X = "1.2.3"`) with a Renovate hint above them. */
const constants = new Map(
  [...source.matchAll(new RegExp(constantPattern!, "g"))].map((m) => [
    /export const (\w+) =/.exec(m[0])![1]!,
    m.groups!,
  ]),
);

/** The source text of one pin entry (`key: { ... }`). */
function entrySource(key: string): string {
  const found = new RegExp(`\\n\\s*${key}: \\{[^}]*\\}`).exec(source);
  assert.ok(found, `${key} is in components/versions.ts`);
  return found[0];
}

/**
 * Semantic versions; images may be major.minor where upstream versions so (Postgres) and may name a
 * variant after the version (docker's 29.7.2-dind).
 */
const EXACT = /^v?\d+\.\d+\.\d+$/;
const EXACT_IMAGE = /^v?\d+\.\d+(\.\d+)?(-[a-z][a-z0-9.]*)?$/;

const pins: Array<[string, string, string, RegExp]> = [
  ...Object.entries(CHARTS).map(([key, pin]): [string, string, string, RegExp] => [
    key,
    pin.version,
    pin.upstream,
    EXACT,
  ]),
  ...Object.entries(IMAGES).map(([key, pin]): [string, string, string, RegExp] => [
    key,
    (pin as { tag: string }).tag,
    (pin as { upstream: string }).upstream,
    EXACT_IMAGE,
  ]),
  ...Object.entries(CROSSPLANE_PACKAGES).map(([key, pin]): [string, string, string, RegExp] => [
    key,
    (pin as { version: string }).version,
    (pin as { upstream: string }).upstream,
    EXACT,
  ]),
];

describe("version pins", () => {
  it("exist", () => {
    assert.ok(pins.length > 0);
  });

  for (const [key, version, upstream, exact] of pins) {
    it(`${key} is exact, links upstream and is visible to Renovate`, () => {
      assert.match(version, exact, `${key} pins an exact version`);
      assert.match(upstream, /^https:\/\/github\.com\//, `${key} links its upstream`);
      const viaConstant = /version: ([A-Z][A-Z0-9_]*),/.exec(entrySource(key))?.[1];
      const found = viaConstant !== undefined ? constants.get(viaConstant) : matched.get(key);
      assert.ok(
        found,
        viaConstant !== undefined
          ? `${viaConstant}, the version of ${key}, has a // renovate: comment directly above it`
          : `${key} has a // renovate: comment directly above it`,
      );
      assert.equal(found["currentValue"], version);
      assert.ok(found["datasource"] && found["depName"]);
    });
  }
});

describe("Actions Runner Controller pins", () => {
  it("take both charts' version from the one ARC_VERSION constant", () => {
    for (const key of ["arcController", "arcScaleSet"] as const) {
      assert.equal(CHARTS[key].version, ARC_VERSION);
      assert.match(entrySource(key), /\bversion: ARC_VERSION,/, `${key} references ARC_VERSION, not a copy`);
      assert.equal(CHARTS[key].repository, "oci://ghcr.io/actions/actions-runner-controller-charts");
    }
    assert.equal(CHARTS.arcController.chart, "gha-runner-scale-set-controller");
    assert.equal(CHARTS.arcScaleSet.chart, "gha-runner-scale-set");
  });

  it("let Renovate bump ARC_VERSION as one grouped update", () => {
    const hint = constants.get("ARC_VERSION");
    assert.deepEqual(
      { ...hint },
      {
        datasource: "docker",
        depName: "ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller",
        registryUrl: undefined,
        currentValue: ARC_VERSION,
      },
    );
    const rule = renovate.packageRules.find((r) => r.groupName === "actions-runner-controller");
    assert.ok(rule?.matchDepNames?.includes(hint!["depName"]!), "the ARC group covers the tracked chart");
  });
});

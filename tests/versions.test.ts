/**
 * Every chart, image and package pin lives in components/versions.ts, is exact, links upstream and
 * carries the Renovate hint that renovate.json's regex manager reads.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHARTS, CROSSPLANE_PACKAGES, IMAGES } from "../components/versions";
import { PROJECT_ROOT } from "../synth/stack-files";

const source = fs.readFileSync(path.join(PROJECT_ROOT, "components/versions.ts"), "utf8");
const renovate = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "renovate.json"), "utf8")) as {
  customManagers: Array<{ matchStrings: string[] }>;
};
/** Renovate writes named groups as (?<name>); JavaScript reads them the same way. */
const matcher = new RegExp(renovate.customManagers[0]!.matchStrings[0]!, "g");
const matched = new Map(
  [...source.matchAll(matcher)].map((m) => [m[0].split("\n")[1]!.trim().split(":")[0]!, m.groups!]),
);

/** Semantic versions, except images whose upstream versions are major.minor (Postgres). */
const EXACT = /^v?\d+\.\d+\.\d+$/;
const EXACT_IMAGE = /^v?\d+\.\d+(\.\d+)?$/;

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
      const found = matched.get(key);
      assert.ok(found, `${key} has a // renovate: comment directly above it`);
      assert.equal(found["currentValue"], version);
      assert.ok(found["datasource"] && found["depName"]);
    });
  }
});

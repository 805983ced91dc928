/**
 * The pins of what the seeded workflows and the application template use (components/versions.ts):
 * exact, linked upstream, visible to Renovate; actions pinned by full commit SHA, the tag and SHA
 * updated together by renovate.json's second regex manager.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ACTIONS, BASE_IMAGES, TOOLS } from "../components/versions";
import { PROJECT_ROOT } from "../synth/stack-files";

const source = fs.readFileSync(path.join(PROJECT_ROOT, "components/versions.ts"), "utf8");
const renovate = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "renovate.json"), "utf8")) as {
  customManagers: Array<{ description: string; matchStrings: string[] }>;
};

function matches(managerIndex: number): Map<string, Record<string, string>> {
  const matcher = new RegExp(renovate.customManagers[managerIndex]!.matchStrings[0]!, "g");
  return new Map(
    [...source.matchAll(matcher)].map((m) => [m[0].split("\n")[1]!.trim().split(":")[0]!, m.groups!]),
  );
}

const pins = matches(0);
const actionPins = matches(1);

describe("seeding pins", () => {
  for (const [key, pin] of Object.entries({ ...TOOLS, ...BASE_IMAGES })) {
    it(`${key} is exact, links upstream and is visible to Renovate`, () => {
      assert.match(pin.version, /^v?\d+\.\d+\.\d+$/);
      assert.match(pin.upstream, /^https:\/\/github\.com\//);
      assert.equal(pins.get(key)?.["currentValue"], pin.version);
      assert.ok(pins.get(key)?.["datasource"] && pins.get(key)?.["depName"]);
    });
  }

  for (const [key, pin] of Object.entries(ACTIONS)) {
    it(`action ${key} is pinned to a commit SHA that Renovate updates with its tag`, () => {
      assert.match(pin.ref, /^v\d+\.\d+\.\d+$/);
      assert.match(pin.sha, /^[0-9a-f]{40}$/);
      assert.equal(pin.upstream, `https://github.com/${pin.action}/releases`);
      const found = actionPins.get(key);
      assert.deepEqual(
        {
          datasource: found?.["datasource"],
          depName: found?.["depName"],
          value: found?.["currentValue"],
          digest: found?.["currentDigest"],
        },
        { datasource: "github-tags", depName: pin.action, value: pin.ref, digest: pin.sha },
      );
      // Only the SHA-aware manager handles actions: the plain one would update the tag alone.
      assert.equal(pins.has(key), false);
    });
  }
});

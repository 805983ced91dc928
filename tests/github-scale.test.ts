/**
 * Seeding scales with the organization without lengthening the chain of GitHub writes: 10 teams and
 * 50 apps need as many dependent writes as 100 teams and 500 apps (one commit per repository,
 * repositories and their access grants in parallel). Not timed: `npm run bench` measures time.
 */
import * as assert from "node:assert/strict";
import { githubWriteChain } from "../synth/graph";
import { LARGE_ORG, orgScaleConfig, SMALL_ORG, type OrgSize } from "../synth/org-scale";
import { editedConfig, synthStack } from "./harness";

async function chain(size: OrgSize) {
  const { teams, apps } = orgScaleConfig(size);
  const synth = await synthStack("dev", {
    config: editedConfig("dev", (c) => {
      c.values["idp:teams"] = teams;
      c.values["idp:apps"] = apps;
    }),
  });
  return { synth, chain: githubWriteChain(synth.resources) };
}

describe("GitHub organization at scale", () => {
  it("keeps the longest chain of GitHub writes the same for 10 teams/50 apps and 100 teams/500 apps", async () => {
    const small = await chain(SMALL_ORG);
    const large = await chain(LARGE_ORG);
    assert.equal(large.synth.ofType("github:index/repository:Repository").length, 2 + LARGE_ORG.apps);
    // The management repository's shared files and the template; and this environment's own folder.
    assert.equal(large.synth.ofType("pulumi-nodejs:dynamic/github:RepositorySeed").length, 2);
    assert.equal(large.synth.ofType("pulumi-nodejs:dynamic/github:EnvironmentFolderSeed").length, 1);
    assert.equal(small.chain.seconds, large.chain.seconds);
    assert.equal(large.chain.seconds, 5);
    // Five dependent writes: template → seed commit → app repository from the template → its delivery
    // environment → the environment's key (or its branch policy).
    assert.equal(large.chain.steps.filter((step) => step.seconds === 1).length, 5);
  });
});

/**
 * What must agree between the stacks of one project (stacks/promotion.ts): one installation id per
 * GitHub App and organization, and runner groups, scale set names and labels of one environment only.
 * `npm run promote` refuses a promotion while they disagree; the user's stacks are checked here too.
 */
import * as assert from "node:assert/strict";
import { parseConfig, type PlatformConfig } from "../stacks/config";
import {
  appInstallationProblems,
  dnsOwnerProblems,
  runnerRoutingProblems,
  seedingIdentityProblems,
} from "../stacks/promotion";
import { listStacks, loadStackConfig } from "../synth/stack-files";
import { fixtureConfig } from "./harness";

type Settings = PlatformConfig["settings"];
type Runners = NonNullable<Settings["runners"]>;

const fixtures = (): Record<string, PlatformConfig> =>
  Object.fromEntries(["dev", "staging", "prod"].map((stack) => [stack, parseConfig(fixtureConfig(stack))]));

/** A parsed config with its settings changed (configs are read-only; tests build edited copies). */
function edited(config: PlatformConfig, edit: (settings: Settings) => Settings): PlatformConfig {
  return { ...config, settings: edit(config.settings) };
}

const withRunners = (settings: Settings, change: (runners: Runners) => Runners): Settings => ({
  ...settings,
  runners: change(settings.runners!),
});

describe("stacks that must agree", () => {
  it("the fixture stacks agree", () => {
    assert.deepEqual(appInstallationProblems(fixtures()), []);
    assert.deepEqual(runnerRoutingProblems(fixtures()), []);
    assert.deepEqual(dnsOwnerProblems(fixtures()), []);
  });

  it("two stacks publishing DNS records under one cluster name are refused, naming both files", () => {
    const stacks = fixtures();
    stacks["prod"] = edited(stacks["prod"]!, (s) => ({
      ...s,
      cluster: { ...s.cluster, name: "fixture-staging" },
    }));
    assert.deepEqual(dnsOwnerProblems(stacks), [
      'idp:cluster.name is "fixture-staging" in Pulumi.staging.yaml and in Pulumi.prod.yaml, and both publish DNS records (idp:dns): their ExternalDNS would own the same records. Fix: give each stack\'s cluster its own name.',
    ]);
  });

  it("one App has one installation per organization: a second id for it is refused, naming both files", () => {
    const stacks = fixtures();
    stacks["prod"] = edited(stacks["prod"]!, (s) =>
      withRunners(s, (r) => ({ ...r, installationId: 33333333 })),
    );
    assert.deepEqual(appInstallationProblems(stacks), [
      "idp:runners.installationId is 33333333 in Pulumi.prod.yaml, but Pulumi.dev.yaml's idp:runners.installationId is 11111111 for the same GitHub App 3456789 in the organization fixture-org: one App has one installation per organization. Fix: set both to the id in the App's installation URL (github.com/organizations/fixture-org/settings/installations/<id>).",
    ]);
    // The same App in another organization is another installation.
    stacks["prod"] = edited(stacks["prod"], (s) => ({ ...s, github: { ...s.github, owner: "other-org" } }));
    assert.deepEqual(appInstallationProblems(stacks), []);
  });

  it("refuses a runner group, scale set name or label that two environments share", () => {
    const stacks = fixtures();
    stacks["prod"] = edited(stacks["prod"]!, (s) =>
      withRunners(s, (r) => ({
        ...r,
        scaleSets: r.scaleSets.map((set, index) =>
          index === 0 ? { ...set, runnerGroup: "fixture-dev", labels: ["fixture-dev-node"] } : set,
        ),
      })),
    );
    assert.deepEqual(runnerRoutingProblems(stacks), [
      `idp:runners.scaleSets[0].runnerGroup in Pulumi.prod.yaml uses the runner group "fixture-dev", which Pulumi.dev.yaml uses too: GitHub could send one environment's jobs to the other's runners. Fix: rename it in one of the two stack files.`,
      `idp:runners.scaleSets[0].labels in Pulumi.prod.yaml uses the runner name or label "fixture-dev-node", which Pulumi.dev.yaml uses too: GitHub could send one environment's jobs to the other's runners. Fix: rename it in one of the two stack files.`,
    ]);
  });

  it("the user's stacks agree", () => {
    const stacks = Object.fromEntries(
      listStacks().map((stack) => [stack, parseConfig(loadStackConfig(stack))]),
    );
    assert.deepEqual(appInstallationProblems(stacks), []);
    assert.deepEqual(runnerRoutingProblems(stacks), []);
    assert.deepEqual(dnsOwnerProblems(stacks), []);
  });
});
describe("each stack's identity may write its own folder of the management repository", () => {
  it("holds for the fixtures: dev lists the App staging and prod write their folders with", () => {
    assert.deepEqual(seedingIdentityProblems(fixtures()), []);
  });

  it("names the key to set when the organization stack lists another App, or none", () => {
    const stacks = fixtures();
    const dev = stacks["dev"]!;
    const settings = dev.settings.github.environmentSettings;
    const edited = {
      ...stacks,
      dev: {
        ...dev,
        settings: {
          ...dev.settings,
          github: {
            ...dev.settings.github,
            environmentSettings: {
              ...settings,
              staging: { ...settings["staging"]!, appId: 1111111 },
              prod: { domain: settings["prod"]!.domain },
            },
          },
        },
      },
    };
    assert.deepEqual(seedingIdentityProblems(edited), [
      "idp:github.environmentSettings.prod.appId in Pulumi.dev.yaml is unset, but the prod stack writes its folder of the management repository as the GitHub App 7654321 (Pulumi.prod.yaml), which the ruleset would then refuse. Fix: set idp:github.environmentSettings.prod.appId to 7654321 in Pulumi.dev.yaml",
      "idp:github.environmentSettings.staging.appId in Pulumi.dev.yaml is 1111111, but the staging stack writes its folder of the management repository as the GitHub App 7654321 (Pulumi.staging.yaml), which the ruleset would then refuse. Fix: set idp:github.environmentSettings.staging.appId to 7654321 in Pulumi.dev.yaml",
    ]);
  });
});

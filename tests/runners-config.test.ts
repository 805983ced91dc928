/**
 * `idp:runners`: every validation message, exactly, and the mapping from config (plus the profile) to
 * the arguments of the Runners component.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { runnersSettingsFrom } from "../stacks/args";
import { parseConfig } from "../stacks/config";
import { PROFILES } from "../stacks/profiles";
import { quantityValue } from "../stacks/schema";
import { editedConfig, setSecret, type StackConfigObject, configProblems } from "./harness";

type ScaleSet = Record<string, unknown>;
interface RunnersValue {
  appId?: number;
  apiServerCidrs: string[];
  scaleSets: ScaleSet[];
  [key: string]: unknown;
}

function runners(config: StackConfigObject): RunnersValue {
  return config.values["idp:runners"] as RunnersValue;
}

function firstScaleSet(config: StackConfigObject): ScaleSet {
  return runners(config).scaleSets[0]!;
}

const problems = configProblems;

describe("idp:runners config", () => {
  it("rejects a scale set name ARC cannot take", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["name"] = "a".repeat(46);
      }),
      [
        `Invalid config idp:runners.scaleSets[0].name: must be at most 45 characters (ARC's limit on a runner scale set name) (got string "${"a".repeat(46)}"). Fix: pulumi config set --path 'idp:runners.scaleSets[0].name' idp-linux`,
      ],
    );
  });

  it("rejects a repeated scale set", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        runners(c).scaleSets.push({ name: "fixture-dev-linux" });
      }),
      [
        `Invalid config idp:runners.scaleSets[1].name: repeats the scale set "fixture-dev-linux". Fix: pulumi config set --path 'idp:runners.scaleSets[1].name' fixture-dev-linux-2`,
      ],
    );
  });

  it("rejects maxRunners above the profile's bound", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["maxRunners"] = 5;
      }),
      [
        `Invalid config idp:runners.scaleSets[0].maxRunners: is 5, above the dev profile's bound of 2 runners per scale set. Fix: pulumi config set --path 'idp:runners.scaleSets[0].maxRunners' 2`,
      ],
    );
    assert.deepEqual(
      problems("prod", (c) => {
        firstScaleSet(c)["maxRunners"] = 31;
      }),
      [
        `Invalid config idp:runners.scaleSets[0].maxRunners: is 31, above the prod profile's bound of 30 runners per scale set. Fix: pulumi config set --path 'idp:runners.scaleSets[0].maxRunners' 30`,
      ],
    );
  });

  it("rejects minRunners above maxRunners, or above the profile's bound when maxRunners is not set", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        firstScaleSet(c)["minRunners"] = 25;
      }),
      [
        `Invalid config idp:runners.scaleSets[0].minRunners: is 25, above maxRunners 4. Fix: pulumi config set --path 'idp:runners.scaleSets[0].minRunners' 4`,
      ],
    );
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["minRunners"] = 3;
      }),
      [
        `Invalid config idp:runners.scaleSets[0].minRunners: is 3, above the dev profile's bound of 2 runners (maxRunners is not set). Fix: pulumi config set --path 'idp:runners.scaleSets[0].minRunners' 2`,
      ],
    );
  });

  it("rejects GitHub's shared Default group and labels any environment's runners could carry", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["runnerGroup"] = "Default";
        firstScaleSet(c)["labels"] = ["gpu", "x64"];
      }),
      [
        `Invalid config idp:runners.scaleSets[0].runnerGroup: "Default" is GitHub's Default group, which every environment's runners would share; leave runnerGroup out (the stack creates a group named after its cluster) or name a group of this environment. Fix: pulumi config set --path 'idp:runners.scaleSets[0].runnerGroup' fixture-dev`,
        `Invalid config idp:runners.scaleSets[0].labels[1]: "x64" is a label every environment's runners could carry, so GitHub may send another environment's job to these runners; use labels that name this environment, or none: workflows select a scale set by its group and name. Fix: pulumi config set --path 'idp:runners.scaleSets[0].labels[1]' fixture-dev-x64`,
      ],
    );
  });

  it("rejects labels ARC refuses", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["labels"] = ["", "x".repeat(256)];
      }),
      [
        `Invalid config idp:runners.scaleSets[0].labels[0]: must not be empty (got string ""). Fix: pulumi config set --path 'idp:runners.scaleSets[0].labels[0]' idp-dev-gpu`,
        `Invalid config idp:runners.scaleSets[0].labels[1]: must be shorter than 256 characters (ARC's limit on a scale set label) (got string "${"x".repeat(56)}...). Fix: pulumi config set --path 'idp:runners.scaleSets[0].labels[1]' idp-dev-gpu`,
      ],
    );
  });

  it("rejects malformed quantities and a limit below its request", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["resources"] = {
          requests: { memory: "2Gi" },
          limits: { memory: "1Gi", cpu: "lots" },
        };
        firstScaleSet(c)["workVolumeSize"] = "10GB";
      }),
      [
        `Invalid config idp:runners.scaleSets[0].resources.limits.cpu: must be a Kubernetes quantity such as 500m, 2 or 4Gi (got string "lots"). Fix: pulumi config set --path 'idp:runners.scaleSets[0].resources.limits.cpu' 1`,
        `Invalid config idp:runners.scaleSets[0].resources.limits.memory: is 1Gi, below the request of 2Gi; a limit must be at least the request. Fix: pulumi config set --path 'idp:runners.scaleSets[0].resources.limits.memory' 4Gi`,
        `Invalid config idp:runners.scaleSets[0].workVolumeSize: must be a Kubernetes quantity such as 500m, 2 or 4Gi (got string "10GB"). Fix: pulumi config set --path 'idp:runners.scaleSets[0].workVolumeSize' 10Gi`,
      ],
    );
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["resources"] = {
          requests: { memory: "2Gi", cpu: "1" },
          limits: { memory: "1Gi", cpu: "500m" },
        };
      }),
      [
        `Invalid config idp:runners.scaleSets[0].resources.limits.cpu: is 500m, below the request of 1; a limit must be at least the request. Fix: pulumi config set --path 'idp:runners.scaleSets[0].resources.limits.cpu' 1`,
        `Invalid config idp:runners.scaleSets[0].resources.limits.memory: is 1Gi, below the request of 2Gi; a limit must be at least the request. Fix: pulumi config set --path 'idp:runners.scaleSets[0].resources.limits.memory' 4Gi`,
      ],
    );
  });

  it("rejects an unknown container mode", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        firstScaleSet(c)["containerMode"] = "docker";
      }),
      [
        `Invalid config idp:runners.scaleSets[0].containerMode: expected one of "kubernetes", "dind", got string "docker". Fix: pulumi config set --path 'idp:runners.scaleSets[0].containerMode' kubernetes`,
      ],
    );
  });

  it("requires at least one scale set and one API server CIDR", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        runners(c).scaleSets = [];
        runners(c).apiServerCidrs = [];
      }),
      [
        `Invalid config idp:runners.apiServerCidrs[0]: is required: the NetworkPolicies let ARC reach the Kubernetes API server only at the listed CIDRs. Fix: pulumi config set --path 'idp:runners.apiServerCidrs[0]' 172.18.0.2/32`,
        `Invalid config idp:runners.scaleSets[0].name: is required: idp:runners must list at least one scale set (or remove idp:runners). Fix: pulumi config set --path 'idp:runners.scaleSets[0].name' idp-linux`,
      ],
    );
  });

  it("rejects a malformed CIDR", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        runners(c).apiServerCidrs = ["10.20.0.0"];
      }),
      [
        `Invalid config idp:runners.apiServerCidrs[0]: must be a CIDR such as 172.18.0.0/16 or fd00:10::/64 (got string "10.20.0.0"). Fix: pulumi config set --path 'idp:runners.apiServerCidrs[0]' 172.18.0.2/32`,
      ],
    );
  });

  it("refuses an API server range wider than its endpoints need (a whole VPC), saying where to find them", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        runners(c).apiServerCidrs = ["10.40.0.0/24", "10.40.0.0/16", "fd00:10::/64"];
      }),
      [16, 64].map(
        (width, i) =>
          `Invalid config idp:runners.apiServerCidrs[${i + 1}]: is a /${width}, wider than the API server's endpoints need (at most /20 for IPv4, /116 for IPv6): runner pods could reach anything in it on 443 and 6443. List the endpoints' addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes) as /32s, or on EKS the CIDRs of the subnets the control plane's network interfaces are in (aws eks describe-cluster: resourcesVpcConfig.subnetIds). Fix: pulumi config set --path 'idp:runners.apiServerCidrs[${i + 1}]' 172.18.0.2/32`,
      ),
    );
    const accepted = parseConfig(
      editedConfig("prod", (c) => {
        runners(c).apiServerCidrs = ["10.40.0.0/20", "10.40.16.7/32", "fd00:10::/120"];
      }),
    );
    assert.deepEqual(accepted.settings.runners?.apiServerCidrs, [
      "10.40.0.0/20",
      "10.40.16.7/32",
      "fd00:10::/120",
    ]);
  });

  it("requires the App ids and rejects unknown keys", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        delete runners(c).appId;
        firstScaleSet(c)["runners"] = 3;
      }),
      [
        `Invalid config idp:runners.appId: is required but not set. Fix: pulumi config set --path 'idp:runners.appId' 2345678`,
        `Invalid config idp:runners.scaleSets[0].runners: unknown key (known keys: name, runnerGroup, labels, minRunners, maxRunners, resources, containerMode, workVolumeSize). Fix: pulumi config rm --path 'idp:runners.scaleSets[0].runners'`,
      ],
    );
  });

  it("requires the runners' App private key, as a secret, only when idp:runners is set", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        delete c.values["idp:runnersGithubAppPrivateKey"];
      }),
      [
        `Invalid config idp:runnersGithubAppPrivateKey: is required because idp:runners is set. Fix: pulumi config set --stack prod --secret idp:runnersGithubAppPrivateKey <value>, which stores it encrypted in Pulumi.prod.yaml (PEM private key of the runner controller's GitHub App (idp:runners.appId). Required when idp:runners is set.)`,
      ],
    );
    assert.deepEqual(
      problems("prod", (c) => {
        c.secretKeys.delete("idp:runnersGithubAppPrivateKey");
      }),
      [
        `Invalid config idp:runnersGithubAppPrivateKey: is a secret but is stored in plaintext. Fix: pulumi config rm idp:runnersGithubAppPrivateKey && pulumi config set --secret idp:runnersGithubAppPrivateKey <value>`,
      ],
    );
    const withoutRunners = parseConfig(
      editedConfig("prod", (c) => {
        delete c.values["idp:runners"];
        delete c.values["idp:runnersGithubAppPrivateKey"];
      }),
    );
    assert.equal(runnersSettingsFrom(withoutRunners), undefined);
  });

  it("maps config to the component's arguments, with the profile's bounds as defaults", async () => {
    const config = parseConfig(
      editedConfig("prod", (c) => {
        setSecret(c, "runnersGithubAppPrivateKey", "pem-marker");
        runners(c).scaleSets.push(
          { name: "docker-builds", containerMode: "dind", runnerGroup: "builders" },
          { name: "small", maxRunners: 0 },
        );
      }),
    );
    const settings = runnersSettingsFrom(config)!;
    assert.equal(settings.profile, PROFILES.prod);
    assert.equal(settings.githubOwner, "fixture-org");
    assert.deepEqual([settings.githubApp.appId, settings.githubApp.installationId], [3456789, 11111111]);
    assert.equal(await pulumi.isSecret(pulumi.output(settings.githubApp.privateKey)), true);
    assert.deepEqual(settings.apiServerCidrs, ["10.40.0.0/24", "10.40.1.0/24"]);
    assert.deepEqual(settings.scaleSets, [
      {
        name: "fixture-prod-linux",
        // Named after the cluster: each environment's runners in a group of their own.
        runnerGroup: "fixture-prod",
        labels: ["fixture-prod-large"],
        minRunners: 1,
        maxRunners: 4,
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
        containerMode: "kubernetes",
        workVolumeSize: "10Gi",
      },
      {
        name: "fixture-prod-docker",
        runnerGroup: "fixture-prod",
        labels: ["fixture-prod-docker"],
        minRunners: 1,
        maxRunners: 2,
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
        containerMode: "dind",
        workVolumeSize: "10Gi",
      },
      {
        name: "docker-builds",
        runnerGroup: "builders",
        labels: [],
        minRunners: 1,
        maxRunners: 30,
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
        containerMode: "dind",
        workVolumeSize: "10Gi",
      },
      {
        name: "small",
        runnerGroup: "fixture-prod",
        labels: [],
        // The prod profile keeps one runner warm, but never more than the scale set's maximum.
        minRunners: 0,
        maxRunners: 0,
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } },
        containerMode: "kubernetes",
        workVolumeSize: "10Gi",
      },
    ]);
  });

  it("reads Kubernetes quantities", () => {
    assert.equal(quantityValue("500m"), 0.5);
    assert.equal(quantityValue("2"), 2);
    assert.equal(quantityValue("1Gi"), 2 ** 30);
    assert.equal(quantityValue("1G"), 1e9);
    assert.ok(quantityValue("1Gi") > quantityValue("1000Mi"));
    assert.throws(() => quantityValue("1GB"), /not a Kubernetes quantity: 1GB/);
  });
});

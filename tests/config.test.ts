/**
 * Every validation message of the stack config, exactly: each names the key, what is wrong and the
 * command that fixes it, on one line.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../stacks/config";
import { PROFILES } from "../stacks/profiles";
import {
  editedConfig,
  setSecret,
  stackConfigObject,
  toRaw,
  type StackConfigObject,
  configProblems,
} from "./harness";

const problems = configProblems;

function object(config: StackConfigObject, key: string): Record<string, unknown> {
  return config.values[`idp:${key}`] as Record<string, unknown>;
}

describe("stack config validation", () => {
  it("accepts every stack file in the repository", () => {
    for (const stack of ["dev", "staging", "prod"]) {
      const config = parseConfig(toRaw(stackConfigObject(stack)));
      assert.equal(config.profile, PROFILES[config.settings.profile]);
    }
  });

  it("applies defaults and hands secrets over as Pulumi secrets", async () => {
    const config = parseConfig(
      editedConfig("staging", (c) => {
        delete object(c, "aws")["identity"];
      }),
    );
    assert.equal(config.settings.aws?.identity, "pod-identity");
    assert.equal(config.settings.github.auth, "app");
    const key = config.secrets.githubAppPrivateKey!;
    assert.equal(await pulumi.isSecret(key), true);
  });

  it("rejects an unknown top-level key with a suggestion", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:domian"] = "x.example.com";
      }),
      [`Invalid config idp:domian: unknown key (did you mean "domain"?). Fix: pulumi config rm 'idp:domian'`],
    );
  });

  it("rejects an unknown top-level key without a close match by listing the known keys", () => {
    const [line, ...rest] = problems("dev", (c) => {
      c.values["idp:zzzzzz"] = "1";
    });
    assert.equal(rest.length, 0);
    assert.match(
      line!,
      /^Invalid config idp:zzzzzz: unknown key \(known keys: profile, domain, cluster, .*\)\. Fix: pulumi config rm 'idp:zzzzzz'$/,
    );
  });

  it("rejects an unknown nested key with a suggestion", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        object(c, "cluster")["kubecontext"] = "kind-x";
      }),
      [
        `Invalid config idp:cluster.kubecontext: unknown key (did you mean "kubeContext"?). Fix: pulumi config rm --path 'idp:cluster.kubecontext'`,
      ],
    );
  });

  it("rejects a missing required key", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        delete c.values["idp:domain"];
      }),
      [
        `Invalid config idp:domain: is required but not set. Fix: pulumi config set 'idp:domain' dev.idp.example.com`,
      ],
    );
  });

  it("rejects a missing required nested key", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        delete object(c, "github")["owner"];
      }),
      [
        `Invalid config idp:github.owner: is required but not set. Fix: pulumi config set --path 'idp:github.owner' acme-platform`,
      ],
    );
  });

  it("rejects a wrong type", () => {
    assert.deepEqual(
      problems("staging", (c) => {
        object(c, "github")["appId"] = "1234567";
      }),
      [
        `Invalid config idp:github.appId: expected number, got string "1234567". Fix: pulumi config set --path 'idp:github.appId' 123456`,
      ],
    );
  });

  it("rejects an object given as text", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:cluster"] = "idp-dev";
      }),
      [
        `Invalid config idp:cluster: expected object, got string "idp-dev". Fix: pulumi config set --path 'idp:cluster.name' idp-dev`,
      ],
    );
  });

  it("rejects a value outside an enum", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:profile"] = "production";
      }),
      [
        `Invalid config idp:profile: expected one of "dev", "staging", "prod", got string "production". Fix: pulumi config set 'idp:profile' dev`,
      ],
    );
  });

  it("rejects a malformed value with what a valid one looks like", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["idp:domain"] = "Not_A_Domain";
      }),
      [
        `Invalid config idp:domain: must be a lowercase DNS name with at least two labels, such as dev.idp.example.com (got string "Not_A_Domain"). Fix: pulumi config set 'idp:domain' dev.idp.example.com`,
      ],
    );
    assert.deepEqual(
      problems("prod", (c) => {
        object(c, "aws")["accountId"] = "1234";
      }),
      [
        `Invalid config idp:aws.accountId: must be a 12-digit AWS account id, quoted in YAML ("123456789012") (got string "1234"). Fix: pulumi config set --path 'idp:aws.accountId' 123456789012`,
      ],
    );
  });

  it("requires the OIDC provider for IRSA", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        delete object(c, "aws")["oidcProviderArn"];
      }),
      [
        `Invalid config idp:aws.oidcProviderArn: is required when idp:aws.identity is irsa (or set identity to pod-identity). Fix: pulumi config set --path 'idp:aws.oidcProviderArn' arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`,
      ],
    );
  });

  it("requires the app ids for GitHub App auth", () => {
    assert.deepEqual(
      problems("prod", (c) => {
        delete object(c, "github")["installationId"];
      }),
      [
        `Invalid config idp:github.installationId: is required when idp:github.auth is app. Fix: pulumi config set --path 'idp:github.installationId' 45678901`,
      ],
    );
  });

  it("requires the secret that the auth mode needs", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        delete c.values["idp:githubToken"];
      }),
      [
        `Invalid config idp:githubToken: is required because idp:github.auth is token. Fix: pulumi config set --stack dev --secret idp:githubToken <value>, which stores it encrypted in Pulumi.dev.yaml (An organization owner's classic GitHub token with the scopes admin:org, repo, workflow and admin:repo_hook; docs/github-permissions.md says why. Required when idp:github.auth is token.)`,
      ],
    );
  });

  it("rejects a secret stored in plaintext and never echoes it", () => {
    const lines = problems("dev", (c) => {
      c.values["idp:githubToken"] = "ghp_plaintextmarker";
      c.secretKeys.delete("idp:githubToken");
    });
    assert.deepEqual(lines, [
      `Invalid config idp:githubToken: is a secret but is stored in plaintext. Fix: pulumi config rm idp:githubToken && pulumi config set --secret idp:githubToken <value>`,
    ]);
    assert.ok(!lines.join("\n").includes("ghp_plaintextmarker"));
  });

  it("rejects an empty secret", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        setSecret(c, "githubToken", "");
      }),
      [`Invalid config idp:githubToken: is empty. Fix: pulumi config set --secret idp:githubToken <value>`],
    );
  });

  it("rejects a plain setting stored as a secret, which would be declassified", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.secretKeys.add("idp:domain");
      }),
      [
        `Invalid config idp:domain: is stored as a secret but is not secret, and would be used in plaintext. Fix: pulumi config rm idp:domain && pulumi config set idp:domain <value>`,
      ],
    );
  });

  it("rejects provider config that this program would ignore", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["aws:region"] = "eu-west-1";
      }),
      [
        `Invalid config aws:region: ignored, the aws provider is configured explicitly from idp:aws. Fix: pulumi config rm aws:region`,
      ],
    );
  });

  it("rejects keys of unknown namespaces", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        c.values["other:key"] = "x";
      }),
      [
        `Invalid config other:key: unknown namespace "other"; this program reads only idp:* keys. Fix: pulumi config rm other:key`,
      ],
    );
  });

  it("rejects an app named like a platform service, whose default host would be that service's", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        (c.values["idp:apps"] as Array<Record<string, unknown>>).push({ name: "argocd", team: "orders" });
      }),
      [
        `Invalid config idp:apps[2].name: names a platform service's host (argocd.<domain>); choose another name (got string "argocd"). Fix: in Pulumi.yaml, set idp:apps[2].name (under config: idp:apps: default:, shared by every stack) to my-app`,
      ],
    );
  });

  it("rejects a repeated team, an app of an unknown team and a repeated app", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        const teams = c.values["idp:teams"] as Array<Record<string, unknown>>;
        teams.push({ slug: "orders" });
        const apps = c.values["idp:apps"] as Array<Record<string, unknown>>;
        apps.push({ name: "orders-api", team: "orders" }, { name: "ledger", team: "finance" });
      }),
      [
        `Invalid config idp:teams[3].slug: repeats the team "orders". Fix: in Pulumi.yaml, set idp:teams[3].slug (under config: idp:teams: default:, shared by every stack) to orders-2`,
        `Invalid config idp:apps[2].name: repeats the app "orders-api". Fix: in Pulumi.yaml, set idp:apps[2].name (under config: idp:apps: default:, shared by every stack) to orders-api-2`,
        `Invalid config idp:apps[3].team: names the team "finance", which is not in idp:teams (core, orders, search). Fix: in Pulumi.yaml, set idp:apps[3].team (under config: idp:apps: default:, shared by every stack) to orders`,
      ],
    );
  });

  it("requires a platform admin team", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        for (const team of c.values["idp:teams"] as Array<Record<string, unknown>>)
          team["platformAdmin"] = false;
      }),
      [
        `Invalid config idp:teams[0].platformAdmin: no team is marked platformAdmin; at least one team must administer the platform. Fix: in Pulumi.yaml, set idp:teams[0].platformAdmin (under config: idp:teams: default:, shared by every stack) to true`,
      ],
    );
  });

  it("requires the stack's environment among the management repository's environments", () => {
    assert.deepEqual(
      problems("dev", (c) => {
        object(c, "github")["environments"] = ["staging", "prod"];
      }),
      [
        `Invalid config idp:github.environments: does not list this stack's environment "dev" (staging, prod). Fix: pulumi config set --path 'idp:github.environments[2]' dev`,
      ],
    );
  });

  it("reports every problem, one line each", () => {
    const lines = problems("dev", (c) => {
      c.values["idp:profile"] = "qa";
      delete c.values["idp:domain"];
    });
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => !line.includes("\n") && line.includes(" Fix: ")));
  });
});

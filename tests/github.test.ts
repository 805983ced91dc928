/**
 * The GitHub organization part under mocks: which stack owns what, the repositories and their
 * protection, the ruleset and its bypass, the credentials the workflows use, ordering of the writes,
 * and every seeded file with its rule and content checks.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { managementRepoPaths, teamNamespace, teamProject } from "../components/conventions";
import { appResource, BACKSTAGE_ID_LABEL, sqlDatabaseResource } from "../components/crossplane/api";
import { appRuleset, AUTOMATION, GITHUB_ACTIONS_APP_ID, VALIDATE_CHECK } from "../components/github/model";
import { BASE_IMAGES } from "../components/versions";
import { PROFILES } from "../stacks/profiles";
import type { ResourceRecord } from "../synth/records";
import { summarize, writeSynth } from "../synth/render";
import { crdValidator } from "./crd-schema";
import { editedConfig, managementTree, setSecret, synthStack, type Synth } from "./harness";

type Files = Record<string, { content: string; mode: "managed" | "seed-once" }>;

const T = {
  org: "idp:github:GitHubOrganization",
  repo: "github:index/repository:Repository",
  team: "github:index/team:Team",
  membership: "github:index/teamMembership:TeamMembership",
  teamRepo: "github:index/teamRepository:TeamRepository",
  ruleset: "github:index/repositoryRuleset:RepositoryRuleset",
  seed: "pulumi-nodejs:dynamic/github:RepositorySeed",
  folderSeed: "pulumi-nodejs:dynamic/github:EnvironmentFolderSeed",
  orgSecret: "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
  orgSecretRepo: "github:index/actionsOrganizationSecretRepository:ActionsOrganizationSecretRepository",
  orgVariable: "github:index/actionsOrganizationVariable:ActionsOrganizationVariable",
  environment: "github:index/repositoryEnvironment:RepositoryEnvironment",
  environmentPolicy:
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy",
  envSecret: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
  envVariable: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
} as const;

function files(synth: Synth, name: string): Files {
  return synth.inputs<{ files: Files }>(synth.one(T.seed, name)).files;
}

function parseAll(content: string): Array<Record<string, unknown>> {
  return YAML.parseAllDocuments(content).map((doc) => {
    assert.deepEqual(doc.errors, [], "valid YAML");
    return doc.toJS() as Record<string, unknown>;
  });
}

/** Every `secrets.X` / `vars.X` a workflow references, with the environment of the job using it. */
function references(
  workflow: string,
): Array<{ kind: "secrets" | "vars"; name: string; environment?: string }> {
  const parsed = YAML.parse(workflow) as { jobs: Record<string, { environment?: string }> };
  const out: Array<{ kind: "secrets" | "vars"; name: string; environment?: string }> = [];
  for (const [id, job] of Object.entries(parsed.jobs)) {
    const text = YAML.stringify(job);
    for (const m of text.matchAll(/\$\{\{\s*(secrets|vars)\.([A-Z0-9_]+)\s*\}\}/g)) {
      out.push({
        kind: m[1] as "secrets" | "vars",
        name: m[2]!,
        ...(job.environment !== undefined ? { environment: job.environment } : {}),
      });
    }
    assert.ok(id.length > 0);
  }
  return out;
}

describe("GitHub organization", () => {
  let dev: Synth;
  let staging: Synth;
  let prod: Synth;
  before(async () => {
    dev = await synthStack("dev");
    staging = await synthStack("staging");
    prod = await synthStack("prod");
  });

  describe("ownership across stacks", () => {
    it("is created only by the stack with manageOrganization (dev)", async () => {
      assert.equal(dev.ofType(T.org).length, 1);
      for (const stack of ["staging", "prod"]) {
        const synth = await synthStack(stack);
        // Argo CD's deploy key and webhook are this environment's own (components/argocd.ts).
        const perStack = new Set([
          "github:index/repositoryDeployKey:RepositoryDeployKey",
          "github:index/repositoryWebhook:RepositoryWebhook",
          // Each environment's runners join groups of their own (components/runners.ts).
          "github:index/actionsRunnerGroup:ActionsRunnerGroup",
        ]);
        assert.deepEqual(
          synth
            .find(
              (r) =>
                r.custom &&
                (r.type.startsWith("github:") || r.type === T.seed || r.type === T.folderSeed) &&
                !perStack.has(r.type) &&
                // Its own environment's folder of the management repository, which it writes itself.
                r.name !== "idp-environment-folder-seed",
            )
            .map((r) => r.type),
          [],
          `${stack} creates no org-wide GitHub object`,
        );
        const folder = synth.inputs<{ repository: string; files: Record<string, unknown> }>(
          synth.one(T.folderSeed, "idp-environment-folder-seed"),
        );
        assert.equal(folder.repository, "platform-management");
        assert.deepEqual(
          Object.keys(folder.files).filter((path) => !path.startsWith(`environments/${stack}/`)),
          [],
          `${stack} writes only environments/${stack}/`,
        );
        for (const record of synth.find(
          (r) => perStack.has(r.type) && r.type !== "github:index/actionsRunnerGroup:ActionsRunnerGroup",
        )) {
          assert.equal(synth.inputs(record)["repository"], "platform-management", `${record.name} by name`);
        }
        // ...but refers to the same management repository by name.
        assert.equal(
          synth.result.stackOutputs["managementRepository"],
          "https://github.com/fixture-org/platform-management.git",
        );
      }
    });

    it("exports the repositories and how to request an app", () => {
      assert.equal(
        dev.result.stackOutputs["managementRepository"],
        "https://github.com/fixture-org/platform-management.git",
      );
      assert.equal(
        dev.result.stackOutputs["templateRepository"],
        "https://github.com/fixture-org/app-template",
      );
      assert.equal(
        dev.result.stackOutputs["requestAnApp"],
        "https://github.com/fixture-org/platform-management/actions/workflows/create-app.yaml",
      );
    });
  });

  describe("teams and memberships", () => {
    it("creates one visible team per configured team, named so that GitHub derives the configured slug", () => {
      const teams = dev.ofType(T.team).map((r) => dev.inputs(r));
      assert.deepEqual(
        teams.map((t) => [t["name"], t["privacy"]]),
        [
          ["Core", "closed"],
          ["Orders", "closed"],
          ["Search", "closed"],
        ],
      );
    });

    it("creates memberships only where config lists them, maintainers first", async () => {
      // The fixture lists a maintainer and a member for orders only.
      assert.deepEqual(
        dev.ofType(T.membership).map((r) => [r.name, dev.inputs(r)["username"], dev.inputs(r)["role"]]),
        [
          ["idp-github-team-orders-fixture-lead", "fixture-lead", "maintainer"],
          ["idp-github-team-orders-fixture-dev", "fixture-dev", "member"],
        ],
      );
      const synth = await synthStack("dev", {
        config: editedConfig("dev", (c) => {
          const teams = c.values["idp:teams"] as Array<Record<string, unknown>>;
          teams[1]!["maintainers"] = ["alice"];
          teams[1]!["members"] = ["bob", "alice"];
        }),
      });
      const memberships = synth.ofType(T.membership);
      assert.deepEqual(
        memberships.map((r) => [r.name, synth.inputs(r)["username"], synth.inputs(r)["role"]]),
        [
          ["idp-github-team-orders-alice", "alice", "maintainer"],
          ["idp-github-team-orders-bob", "bob", "member"],
        ],
      );
      const payments = synth.one(T.team, "idp-github-team-orders");
      assert.ok(memberships.every((m) => synth.dependsOn(m, payments)));
    });
  });

  describe("management repository", () => {
    let repo: ResourceRecord;
    before(() => {
      repo = dev.one(T.repo, "idp-github-management");
    });

    it("is private, protected in Pulumi in every profile, and archived instead of deleted on destroy", () => {
      const inputs = dev.inputs(repo);
      assert.equal(inputs["visibility"], "private");
      assert.equal(inputs["archiveOnDestroy"], true);
      // Created empty: the seed's first commit carries the seeded README (seed-once), not GitHub's.
      assert.equal(inputs["autoInit"], undefined);
      assert.equal(inputs["deleteBranchOnMerge"], true);
      assert.equal(inputs["vulnerabilityAlerts"], true);
      // dev's profile protects nothing stateful; the management repository is protected anyway...
      assert.equal(PROFILES.dev.protectStateful, false);
      assert.equal(repo.options.protect, true);
      // ...and not retained: a retained resource is never deleted, so it would never be archived.
      assert.equal(repo.options.retainOnDelete, false);
    });

    it("grants product teams push (branches, pull requests) and platform admins maintain", () => {
      const access = dev
        .ofType(T.teamRepo)
        .filter((r) => r.name.startsWith("idp-github-management-access-"))
        .map((r) => [r.name.replace("idp-github-management-access-", ""), dev.inputs(r)["permission"]]);
      assert.deepEqual(access, [
        ["core", "maintain"],
        ["orders", "push"],
        ["search", "push"],
      ]);
    });

    it("guards the default branch with a ruleset: reviewed pull requests that pass validate, no force push, no deletion", () => {
      const ruleset = dev.inputs(dev.one(T.ruleset, "idp-github-management-ruleset"));
      assert.equal(ruleset["repository"], "platform-management");
      assert.equal(ruleset["target"], "branch");
      assert.equal(ruleset["enforcement"], "active");
      assert.deepEqual(ruleset["conditions"], { refName: { includes: ["refs/heads/main"], excludes: [] } });
      assert.deepEqual(ruleset["rules"], {
        deletion: true,
        nonFastForward: true,
        pullRequest: {
          requiredApprovingReviewCount: 1,
          requireCodeOwnerReview: true,
          dismissStaleReviewsOnPush: true,
          requiredReviewThreadResolution: true,
          requireLastPushApproval: true,
        },
        requiredStatusChecks: {
          requiredChecks: [{ context: VALIDATE_CHECK, integrationId: GITHUB_ACTIONS_APP_ID }],
          strictRequiredStatusChecksPolicy: false,
        },
      });
    });

    it("lets only the identities that seed bypass it: this stack's, and the App each other environment's stack writes its folder with", async () => {
      // dev seeds with a token (organization admins); staging and prod write their folders as the App
      // idp:github.environmentSettings names for them.
      const byToken = dev.inputs(dev.one(T.ruleset, "idp-github-management-ruleset"))["bypassActors"];
      assert.deepEqual(byToken, [
        { actorType: "OrganizationAdmin", bypassMode: "always" },
        { actorType: "Integration", actorId: 7654321, bypassMode: "always" },
      ]);
      const asApp = await synthStack("dev", {
        config: editedConfig("dev", (c) => {
          const gh = c.values["idp:github"] as Record<string, unknown>;
          Object.assign(gh, { auth: "app", appId: 1234567, installationId: 87654321 });
          delete c.values["idp:githubToken"];
          setSecret(c, "githubAppPrivateKey", "app-key-marker");
        }),
      });
      assert.deepEqual(asApp.inputs(asApp.one(T.ruleset, "idp-github-management-ruleset"))["bypassActors"], [
        { actorType: "Integration", actorId: 1234567, bypassMode: "always" },
        { actorType: "Integration", actorId: 7654321, bypassMode: "always" },
      ]);
      // With every stack on one App, that App alone; organization admins never, unless a stack uses a token.
      const oneApp = await synthStack("dev", {
        config: editedConfig("dev", (c) => {
          const gh = c.values["idp:github"] as Record<string, unknown>;
          Object.assign(gh, { auth: "app", appId: 7654321, installationId: 22222222 });
          delete c.values["idp:githubToken"];
          setSecret(c, "githubAppPrivateKey", "app-key-marker");
        }),
      });
      assert.deepEqual(
        oneApp.inputs(oneApp.one(T.ruleset, "idp-github-management-ruleset"))["bypassActors"],
        [{ actorType: "Integration", actorId: 7654321, bypassMode: "always" }],
      );
      const credentials = asApp.inputs(asApp.one(T.seed, "idp-github-management-seed"))["credentials"];
      assert.deepEqual(credentials, {
        appId: 1234567,
        installationId: 87654321,
        privateKey: "app-key-marker",
      });
      assert.deepEqual(asApp.plaintextLeaks("app-key-marker"), []);
    });

    it("is seeded in one commit after the teams can review, and protected only after the seed", () => {
      const seed = dev.one(T.seed, "idp-github-management-seed");
      const ruleset = dev.one(T.ruleset, "idp-github-management-ruleset");
      assert.ok(dev.dependsOn(ruleset, seed), "ruleset after the seed");
      assert.ok(dev.dependsOn(seed, repo));
      for (const team of dev.ofType(T.team)) assert.ok(dev.dependsOn(seed, team), `seed after ${team.name}`);
      for (const access of dev.ofType(T.teamRepo).filter((r) => r.name.includes("-management-access-"))) {
        assert.ok(dev.dependsOn(seed, access));
      }
      // One commit resource per repository, and one for this environment's folder (each stack writes its own).
      assert.equal(dev.ofType(T.seed).length, 2);
      assert.equal(dev.ofType(T.folderSeed).length, 1);
      const folder = dev.one(T.folderSeed, "idp-environment-folder-seed");
      assert.ok(dev.dependsOn(folder, seed), "the environment's folder after the repository's seed");
      const defaultBranch = dev.one("github:index/branchDefault:BranchDefault");
      assert.deepEqual(dev.inputs(defaultBranch), { repository: "platform-management", branch: "main" });
      assert.ok(dev.dependsOn(defaultBranch, seed), "the seed creates the branch");
    });
  });

  describe("synth output", () => {
    it("reports the GitHub writes on the critical path and records each seeded file's rule", () => {
      const summary = summarize(dev.result);
      assert.match(
        summary,
        /GitHub writes on the critical path: \d+; longest chain of dependent GitHub writes: 5\./,
      );
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "idp-github-test-"));
      try {
        writeSynth(dev.result, out);
        const rules = JSON.parse(
          fs.readFileSync(path.join(out, "dev", "seeded-files.json"), "utf8"),
        ) as Array<{
          repository: string;
          path: string;
          mode: string;
        }>;
        const rule = (repository: string, file: string) =>
          rules.find((r) => r.repository === repository && r.path === file)?.mode;
        assert.equal(rule("platform-management", "README.md"), "seed-once");
        assert.equal(rule("platform-management", ".github/CODEOWNERS"), "managed");
        assert.equal(rule("app-template", "Dockerfile"), "managed");
        assert.equal(rule("app-template", "src/server.js"), "seed-once");
        assert.equal(
          rules.length,
          Object.keys(files(dev, "idp-github-management-seed")).length +
            Object.keys(
              dev.inputs<{ files: Files }>(dev.one(T.folderSeed, "idp-environment-folder-seed")).files,
            ).length +
            Object.keys(files(dev, "idp-github-template-seed")).length,
        );
        assert.equal(
          rule("platform-management", "environments/dev/infrastructure/namespaces.yaml"),
          "managed",
        );
        assert.equal(
          fs.readFileSync(
            path.join(out, "dev", "repos", "platform-management", ".github", "CODEOWNERS"),
            "utf8",
          ),
          files(dev, "idp-github-management-seed")[".github/CODEOWNERS"]!.content,
        );
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });
  });

  describe("seeding resources", () => {
    it("use the explicit dynamic provider and keep credentials secret", () => {
      const provider = dev.one("pulumi:providers:pulumi-nodejs", "idp-dynamic");
      for (const seed of dev.ofType(T.seed)) {
        assert.equal(seed.provider.replace(/::[^:]*$/, ""), provider.urn);
        assert.deepEqual(dev.secretInputs(seed), ["credentials"]);
        assert.deepEqual(seed.options.additionalSecretOutputs, ["credentials"]);
        assert.equal(dev.inputs(seed)["branch"], "main");
        assert.equal(dev.inputs(seed)["owner"], "fixture-org");
      }
    });

    it("never hold a secret config value in plaintext", async () => {
      const synth = await synthStack("dev", {
        config: editedConfig("dev", (c) => {
          setSecret(c, "githubToken", "token-marker");
          setSecret(c, "githubSelfServiceAppPrivateKey", "self-service-key-marker");
          setSecret(c, "githubDeliveryAppPrivateKey", "delivery-key-marker");
        }),
      });
      for (const marker of ["token-marker", "self-service-key-marker", "delivery-key-marker"]) {
        assert.deepEqual(synth.plaintextLeaks(marker), [], marker);
      }
      assert.equal(
        synth.inputs(synth.one(T.envSecret, "idp-github-self-service-key"))["value"],
        "self-service-key-marker",
      );
      for (const name of ["idp-github-self-service-delivery-key", "idp-github-app-orders-api-delivery-key"]) {
        assert.equal(synth.inputs(synth.one(T.envSecret, name))["value"], "delivery-key-marker", name);
      }
      assert.deepEqual(synth.ofType(T.orgSecret), [], "no organization secret");
      assert.deepEqual(synth.inputs(synth.one(T.seed, "idp-github-management-seed"))["credentials"], {
        token: "token-marker",
      });
    });
  });

  describe("credentials the workflows use", () => {
    it("keeps the self-service and delivery keys in an environment of the management repository that only main can use", () => {
      const environment = dev.inputs(dev.one(T.environment, "idp-github-self-service"));
      assert.deepEqual(environment, {
        repository: "platform-management",
        environment: AUTOMATION.selfServiceEnvironment,
        canAdminsBypass: false,
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      });
      assert.deepEqual(dev.inputs(dev.one(T.environmentPolicy, "idp-github-self-service-branch")), {
        repository: "platform-management",
        environment: AUTOMATION.selfServiceEnvironment,
        branchPattern: "main",
      });
      for (const [name, secretName] of [
        ["idp-github-self-service-key", AUTOMATION.selfServicePrivateKeySecret],
        // create-app and sync-delivery-key install it in the app repositories they set up.
        ["idp-github-self-service-delivery-key", AUTOMATION.deliveryPrivateKeySecret],
      ] as const) {
        const secret = dev.inputs(dev.one(T.envSecret, name));
        assert.equal(secret["secretName"], secretName);
        assert.equal(secret["environment"], AUTOMATION.selfServiceEnvironment);
        assert.deepEqual(dev.secretInputs(dev.one(T.envSecret, name)), ["value"]);
      }
      assert.deepEqual(dev.inputs(dev.one(T.envVariable, "idp-github-self-service-client-id")), {
        repository: "platform-management",
        environment: AUTOMATION.selfServiceEnvironment,
        variableName: AUTOMATION.selfServiceClientIdVariable,
        value: "Iv23liFIXTURESELF001",
      });
    });

    it("keeps Port's credentials for the catalog workflow in a port environment only main can use", async () => {
      assert.deepEqual(dev.inputs(dev.one(T.environment, "idp-github-port")), {
        repository: "platform-management",
        environment: AUTOMATION.portEnvironment,
        canAdminsBypass: false,
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      });
      assert.equal(
        dev.inputs(dev.one(T.environmentPolicy, "idp-github-port-branch"))["branchPattern"],
        "main",
      );
      const variables = dev
        .ofType(T.envVariable)
        .map((r) => dev.inputs(r))
        .filter((v) => v["environment"] === AUTOMATION.portEnvironment)
        .map((v) => [v["variableName"], v["value"]]);
      assert.deepEqual(variables, [
        [AUTOMATION.portApiUrlVariable, "https://api.getport.io"],
        [AUTOMATION.portClientIdVariable, "FIXTUREPORTCLIENT0000000000000001"],
      ]);
      const secret = dev.one(T.envSecret, "idp-github-port-client-secret");
      assert.equal(dev.inputs(secret)["secretName"], AUTOMATION.portClientSecret);
      assert.deepEqual(dev.secretInputs(secret), ["value"]);
      // Without idp:port, no port environment (the catalog workflow then skips with a notice) and no exporter.
      const withoutPort = await synthStack("dev", {
        config: editedConfig("dev", (c) => {
          delete c.values["idp:port"];
          delete c.values["idp:portClientSecret"];
          c.secretKeys.delete("idp:portClientSecret");
        }),
      });
      const names = (synth: Synth) => synth.resources.map((r) => r.name).filter((n) => /-port(-|$)/.test(n));
      assert.deepEqual(names(withoutPort), []);
      assert.deepEqual(names(dev).sort(), [
        "idp-github-port",
        "idp-github-port-api-url",
        "idp-github-port-branch",
        "idp-github-port-client-id",
        "idp-github-port-client-secret",
        // Port's exporter in the cluster (tests/port.test.ts).
        "idp-port-exporter",
        "idp-port-exporter-credentials",
        "idp-port-exporter-credentials-secret",
        "idp-port-exporter-ns",
        "idp-port-exporter-reader",
        "idp-port-exporter-reader-binding",
        "idp-port-exporter-release",
        "idp-port-exporter-sa",
      ]);
    });

    it("gives each app repository the delivery key in an environment only its protected main can use, never an organization secret", () => {
      assert.deepEqual(dev.ofType(T.orgSecret), []);
      assert.deepEqual(dev.ofType(T.orgSecretRepo), []);
      for (const app of ["orders-api", "search-ui"]) {
        const repository = dev.one(T.repo, `idp-github-app-${app}`);
        assert.ok((dev.inputs(repository)["topics"] as string[]).includes("idp-app"));
        const environment = dev.one(T.environment, `idp-github-app-${app}-delivery`);
        assert.deepEqual(dev.inputs(environment), {
          repository: app,
          environment: AUTOMATION.deliveryEnvironment,
          canAdminsBypass: false,
          deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
        });
        assert.deepEqual(dev.inputs(dev.one(T.environmentPolicy, `idp-github-app-${app}-delivery-branch`)), {
          repository: app,
          environment: AUTOMATION.deliveryEnvironment,
          branchPattern: "main",
        });
        const key = dev.one(T.envSecret, `idp-github-app-${app}-delivery-key`);
        assert.deepEqual(
          [dev.inputs(key)["secretName"], dev.inputs(key)["environment"]],
          [AUTOMATION.deliveryPrivateKeySecret, AUTOMATION.deliveryEnvironment],
        );
        assert.deepEqual(dev.secretInputs(key), ["value"]);
        assert.ok(dev.dependsOn(key, environment), "the environment exists before its secret");
        const ruleset = dev.inputs(dev.one(T.ruleset, `idp-github-app-${app}-ruleset`));
        assert.deepEqual(ruleset["conditions"], { refName: { includes: ["refs/heads/main"], excludes: [] } });
        assert.deepEqual(ruleset["bypassActors"], [], "nobody bypasses an app repository's ruleset");
        assert.deepEqual(ruleset["rules"], {
          deletion: true,
          nonFastForward: true,
          pullRequest: {
            requiredApprovingReviewCount: 1,
            requireCodeOwnerReview: false,
            dismissStaleReviewsOnPush: true,
            requiredReviewThreadResolution: false,
            requireLastPushApproval: true,
          },
          requiredStatusChecks: {
            requiredChecks: [{ context: "test", integrationId: GITHUB_ACTIONS_APP_ID }],
            strictRequiredStatusChecksPolicy: false,
          },
        });
      }
      assert.deepEqual(dev.inputs(dev.one(T.orgVariable)), {
        variableName: AUTOMATION.deliveryClientIdVariable,
        value: "Iv23liFIXTUREDELIV01",
        visibility: "private",
      });
    });

    it("the template's promote job uses the delivery key through the delivery environment only", () => {
      const workflow = YAML.parse(
        files(dev, "idp-github-template-seed")[".github/workflows/build.yaml"]!.content,
      ) as {
        jobs: Record<string, { environment?: string }>;
      };
      assert.equal(workflow.jobs["promote"]!.environment, AUTOMATION.deliveryEnvironment);
      assert.deepEqual(
        Object.entries(workflow.jobs)
          .filter(([, job]) => job.environment !== undefined)
          .map(([id]) => id),
        ["promote"],
      );
    });

    it("creates every secret and variable a seeded workflow references, in the scope the job sees", () => {
      const workflows = [
        ...Object.entries(files(dev, "idp-github-management-seed")),
        ...Object.entries(files(dev, "idp-github-template-seed")),
      ].filter(([path]) => path.startsWith(".github/workflows/"));
      assert.equal(workflows.length, 5);
      const orgSecrets = dev.ofType(T.orgSecret).map((r) => dev.inputs(r)["secretName"]);
      const orgVariables = dev.ofType(T.orgVariable).map((r) => dev.inputs(r)["variableName"]);
      const envSecrets = dev
        .ofType(T.envSecret)
        .map((r) => [dev.inputs(r)["environment"], dev.inputs(r)["secretName"]]);
      const envVariables = dev
        .ofType(T.envVariable)
        .map((r) => [dev.inputs(r)["environment"], dev.inputs(r)["variableName"]]);
      let count = 0;
      for (const [path, file] of workflows) {
        for (const ref of references(file.content)) {
          count++;
          if (ref.kind === "secrets" && ref.name === "GITHUB_TOKEN") continue;
          const pool =
            ref.kind === "secrets"
              ? [
                  ...orgSecrets,
                  ...envSecrets.filter(([env]) => env === ref.environment).map(([, name]) => name),
                ]
              : [
                  ...orgVariables,
                  ...envVariables.filter(([env]) => env === ref.environment).map(([, name]) => name),
                ];
          assert.ok(pool.includes(ref.name), `${path}: ${ref.kind}.${ref.name} is created for its job`);
        }
      }
      assert.equal(count, 16);
    });
  });

  describe("template and app repositories", () => {
    it("makes the template a private GitHub template, archived on destroy", () => {
      const template = dev.inputs(dev.one(T.repo, "idp-github-template"));
      assert.equal(template["isTemplate"], true);
      assert.equal(template["visibility"], "private");
      assert.equal(template["autoInit"], undefined);
      assert.equal(template["archiveOnDestroy"], true);
    });

    it("creates each configured app's repository from the seeded template, owned by its team", () => {
      const seed = dev.one(T.seed, "idp-github-template-seed");
      for (const app of ["orders-api", "search-ui"]) {
        const repo = dev.one(T.repo, `idp-github-app-${app}`);
        const inputs = dev.inputs(repo);
        assert.equal(inputs["name"], app);
        assert.deepEqual(inputs["template"], { owner: "fixture-org", repository: "app-template" });
        assert.equal(inputs["archiveOnDestroy"], true);
        assert.ok(dev.dependsOn(repo, seed), `${app} copies the seeded template`);
        assert.deepEqual(repo.options.ignoreChanges, ["template"]);
      }
      const access = dev
        .ofType(T.teamRepo)
        .filter((r) => r.name.startsWith("idp-github-app-"))
        .map((r) => [r.name, dev.inputs(r)["permission"]]);
      assert.deepEqual(access, [
        ["idp-github-app-orders-api-access-orders", "maintain"],
        ["idp-github-app-orders-api-access-core", "maintain"],
        ["idp-github-app-search-ui-access-search", "maintain"],
        ["idp-github-app-search-ui-access-core", "maintain"],
      ]);
    });
  });

  describe("seeded management repository", () => {
    let tree: Files;
    before(() => {
      // As the stacks together seed it: dev's shared files and every environment's own folder.
      tree = managementTree(dev, staging, prod);
    });

    it("marks what people own after bootstrap seed-once and what the platform generates managed", () => {
      const modes = (pattern: RegExp) => [
        ...new Set(
          Object.keys(tree)
            .filter((p) => pattern.test(p))
            .map((p) => tree[p]!.mode),
        ),
      ];
      assert.deepEqual(modes(/^README\.md$/), ["seed-once"]);
      assert.deepEqual(modes(/^environments\/[^/]+\/apps\//), ["seed-once"]);
      assert.deepEqual(modes(/^environments\/[^/]+\/infrastructure\/README\.md$/), ["seed-once"]);
      assert.deepEqual(modes(/^\.github\//), ["managed"]);
      assert.deepEqual(modes(/^environments\/[^/]+\/argocd\//), ["managed"]);
      assert.deepEqual(modes(/^environments\/[^/]+\/infrastructure\/namespaces\.yaml$/), ["managed"]);
      // Generated, except the created-apps Location create-app adds targets to.
      assert.deepEqual(modes(/^catalog\//), ["managed", "seed-once"]);
      assert.equal(tree["catalog/backstage/apps.yaml"]!.mode, "seed-once");
      assert.deepEqual(modes(/^platform\//), ["managed"]);
      assert.deepEqual(modes(/^\.yamllint\.yaml$/), ["managed"]);
    });

    it("lets Renovate update only what people own: no generated file, no app image", () => {
      const config = JSON.parse(tree["renovate.json"]!.content) as { ignorePaths: string[] };
      const ignored = (file: string) => config.ignorePaths.some((glob) => path.matchesGlob(file, glob));
      for (const [file, { mode }] of Object.entries(tree)) {
        if (file === "renovate.json" || file === ".yamllint.yaml" || file === "README.md") continue;
        if (mode === "managed" || (file.startsWith("environments/") && file.includes("/apps/"))) {
          assert.ok(ignored(file), `${file} is not Renovate's to change`);
        }
      }
      // Manifests a team adds to an environment's infrastructure folder get updates.
      assert.ok(!ignored("environments/prod/infrastructure/monitoring/values.yaml"));
    });

    it("has one folder per environment with apps, Argo CD applications and infrastructure", () => {
      for (const env of ["dev", "staging", "prod"]) {
        for (const folder of ["apps", "argocd", "infrastructure"]) {
          assert.ok(
            Object.keys(tree).some((p) => p.startsWith(`environments/${env}/${folder}/`)),
            `environments/${env}/${folder}/`,
          );
        }
      }
    });

    it("holds only well-formed YAML and JSON", () => {
      for (const [path, file] of Object.entries(tree)) {
        if (/\.ya?ml$/.test(path)) parseAll(file.content);
        if (path.endsWith(".json")) JSON.parse(file.content);
      }
    });

    it("seeds configured apps in the first environment on their main image, built by the XR API's builders", () => {
      const folder = managementRepoPaths.app("dev", "orders", "orders-api");
      assert.deepEqual(parseAll(tree[`${folder}/app.yaml`]!.content), [
        appResource({
          name: "orders-api",
          namespace: "team-orders",
          image: "ghcr.io/fixture-org/orders-api:main",
          host: "orders-api.dev.fixture.example.test",
          database: "orders-api",
        }),
      ]);
      assert.deepEqual(parseAll(tree[`${folder}/database.yaml`]!.content), [
        sqlDatabaseResource({ name: "orders-api", namespace: "team-orders" }),
      ]);
      const web = managementRepoPaths.app("dev", "search", "search-ui");
      assert.equal(tree[`${web}/database.yaml`], undefined, "no database unless asked");
      const [app] = parseAll(tree[`${web}/app.yaml`]!.content);
      assert.equal((app!["spec"] as Record<string, unknown>)["database"], undefined);
    });

    it("seeds no app in staging or prod: an app arrives there with its first promotion, on a pinned image", () => {
      for (const env of ["staging", "prod"]) {
        const apps = Object.keys(tree).filter(
          (p) => p.startsWith(`environments/${env}/apps/`) && !p.endsWith("/README.md"),
        );
        assert.deepEqual(apps, [], env);
        assert.match(
          tree[`environments/${env}/apps/orders/README.md`]!.content,
          new RegExp(
            `An app arrives here with its first promotion \\(its \`build\` workflow run for ${env}\\)`,
          ),
        );
      }
    });

    it("gives apps with a database SchemaHero tables on the database named after their SQLDatabase", () => {
      const validator = crdValidator();
      for (const env of ["dev"]) {
        const folder = managementRepoPaths.app(env, "orders", "orders-api");
        const [database] = parseAll(tree[`${folder}/database.yaml`]!.content);
        const tables = parseAll(tree[`${folder}/tables.yaml`]!.content);
        assert.ok(tables.length > 0);
        for (const table of tables) {
          assert.equal(table["apiVersion"], "schemas.schemahero.io/v1alpha4");
          assert.equal(
            (table["spec"] as { database: string }).database,
            (database!["metadata"] as { name: string }).name,
          );
          assert.equal((table["metadata"] as { namespace: string }).namespace, teamNamespace("orders"));
          if (validator) assert.deepEqual(validator.validate(table), []);
        }
      }
      if (!validator) console.log("      (skipped SchemaHero CRD validation: ../shared/crds is absent)");
    });

    it("has a CODEOWNERS whose every owner is a created team: teams own their app folders, admins the rest", () => {
      const created = new Set(dev.ofType(T.team).map((r) => String(dev.inputs(r)["name"]).toLowerCase()));
      const lines = tree[".github/CODEOWNERS"]!.content.split("\n").filter((l) => l && !l.startsWith("#"));
      assert.equal(lines[0], "* @fixture-org/core");
      for (const line of lines) {
        for (const handle of line.split(/\s+/).slice(1)) {
          const [org, team] = handle.slice(1).split("/");
          assert.equal(org, "fixture-org");
          assert.ok(created.has(team!), `${handle} exists`);
        }
      }
      for (const env of ["dev", "staging", "prod"]) {
        for (const team of ["core", "orders", "search"]) {
          assert.ok(lines.includes(`/environments/${env}/apps/${team}/ @fixture-org/${team}`));
        }
      }
    });

    it("has one Argo CD Application per team and environment whose path exists in the seeded tree", async () => {
      const { Application } = await import("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application");
      const validator = crdValidator();
      for (const [env, profile] of [
        ["dev", PROFILES.dev],
        ["staging", PROFILES.staging],
        ["prod", PROFILES.prod],
      ] as const) {
        const applications = Object.keys(tree).filter((p) => p.startsWith(`environments/${env}/argocd/`));
        assert.deepEqual(applications.sort(), [
          `environments/${env}/argocd/core.yaml`,
          `environments/${env}/argocd/orders.yaml`,
          `environments/${env}/argocd/platform-infrastructure.yaml`,
          `environments/${env}/argocd/search.yaml`,
        ]);
        for (const path of applications) {
          const [application] = parseAll(tree[path]!.content);
          const spec = application!["spec"] as {
            project: string;
            source: {
              repoURL: string;
              path: string;
              targetRevision: string;
              directory: { recurse: boolean };
            };
            destination: { namespace?: string };
            syncPolicy: { automated: { prune: boolean; selfHeal: boolean } };
          };
          // The SSH URL Argo CD's repository Secret (a read-only deploy key) is registered under.
          assert.equal(spec.source.repoURL, "git@github.com:fixture-org/platform-management.git");
          assert.equal(spec.source.targetRevision, "main");
          assert.ok(
            Object.keys(tree).some((p) => p.startsWith(`${spec.source.path}/`)),
            `${spec.source.path} exists in the seeded tree`,
          );
          assert.deepEqual(spec.syncPolicy.automated, profile.gitOpsSync, `${env} syncs as its profile says`);
          const team = path
            .split("/")
            .pop()!
            .replace(/\.yaml$/, "");
          if (team !== "platform-infrastructure") {
            assert.equal(spec.project, teamProject(team));
            assert.equal(spec.destination.namespace, teamNamespace(team));
            assert.equal(spec.source.path, managementRepoPaths.teamApps(env, team));
          }
          // The package's base class is ESM-only: its typings do not resolve under this tsconfig.
          (new Application(application) as unknown as { validate(): void }).validate();
          if (validator) assert.deepEqual(validator.validate(application!), [], path);
        }
      }
      if (!validator) console.log("      (skipped Argo CD CRD validation: ../shared/crds is absent)");
    });

    it("creates every team's namespace in each environment's infrastructure folder, baseline enforced and restricted audited", () => {
      for (const env of ["dev", "staging", "prod"]) {
        const namespaces = parseAll(tree[`environments/${env}/infrastructure/namespaces.yaml`]!.content);
        assert.deepEqual(
          namespaces.map((n) => (n["metadata"] as { name: string }).name),
          ["team-core", "team-orders", "team-search"],
        );
        for (const namespace of namespaces) {
          const metadata = namespace["metadata"] as {
            labels: Record<string, string>;
            annotations: Record<string, string>;
          };
          // SchemaHero's per-database controller pods carry no securityContext: restricted would reject them.
          assert.equal(metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
          assert.equal(metadata.labels["pod-security.kubernetes.io/audit"], "restricted");
          assert.equal(metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
          assert.equal(metadata.annotations["argocd.argoproj.io/sync-options"], "Prune=false,Delete=false");
        }
      }
    });

    it("gives Port an action and Backstage a Template that run create-app with exactly its inputs", () => {
      const workflow = YAML.parse(tree[".github/workflows/create-app.yaml"]!.content) as {
        on: {
          workflow_dispatch: {
            inputs: Record<string, { type: string; options?: string[]; default?: unknown }>;
          };
        };
      };
      const inputs = workflow.on.workflow_dispatch.inputs;
      const [action] = JSON.parse(tree["catalog/port/actions.json"]!.content) as Array<{
        trigger: {
          blueprintIdentifier: string;
          userInputs: { properties: Record<string, Record<string, unknown>>; required: string[] };
        };
        invocationMethod: Record<string, unknown>;
      }>;
      const template = parseAll(tree["catalog/backstage/templates/create-app.yaml"]!.content)[0]! as {
        kind: string;
        spec: {
          parameters: Array<{ properties: Record<string, Record<string, unknown>>; required: string[] }>;
          steps: Array<{ action: string; input: Record<string, unknown> }>;
        };
      };
      assert.equal(template.kind, "Template");
      for (const asked of [action!.trigger.userInputs, template.spec.parameters[0]!]) {
        assert.deepEqual(Object.keys(asked.properties), Object.keys(inputs));
        assert.deepEqual(
          asked.required,
          Object.keys(inputs).filter((k) => (inputs[k] as { required?: boolean }).required),
        );
        assert.equal(asked.properties["name"]!["type"], "string");
        assert.deepEqual(asked.properties["team"]!["enum"], inputs["team"]!.options);
        assert.equal(asked.properties["database"]!["type"], inputs["database"]!.type);
        assert.equal(asked.properties["database"]!["default"], inputs["database"]!.default);
      }
      assert.equal(action!.trigger.blueprintIdentifier, "component");
      assert.deepEqual(action!.invocationMethod, {
        type: "GITHUB",
        org: "fixture-org",
        repo: "platform-management",
        workflow: "create-app.yaml",
        workflowInputs: {
          name: "{{ .inputs.name }}",
          team: "{{ .inputs.team }}",
          database: "{{ .inputs.database }}",
        },
        reportWorkflowStatus: true,
      });
      assert.deepEqual(template.spec.steps, [
        {
          id: "create-app",
          name: "Run create-app",
          action: "github:actions:dispatch",
          input: {
            repoUrl: "github.com?owner=fixture-org&repo=platform-management",
            workflowId: "create-app.yaml",
            branchOrTagName: "main",
            workflowInputs: {
              name: "${{ parameters.name }}",
              team: "${{ parameters.team }}",
              database: "${{ parameters.database }}",
            },
          },
        },
      ]);
      // The name pattern is create-app's own check, so the portal refuses what the workflow would.
      const pattern = new RegExp(String(action!.trigger.userInputs.properties["name"]!["pattern"]));
      assert.ok(pattern.test("orders-api") && !pattern.test("Orders_API") && !pattern.test("-x"));
    });

    it("has a Backstage catalog whose every reference resolves, listed by its Location", () => {
      const dir = "catalog/backstage";
      const entities = Object.entries(tree)
        .filter(([p]) => p.startsWith(`${dir}/`))
        .flatMap(([, file]) => parseAll(file.content));
      const refs = new Set(
        entities.map((e) => `${String(e["kind"]).toLowerCase()}:${(e["metadata"] as { name: string }).name}`),
      );
      // Groups come from Backstage's GitHub org provider, named after the teams' slugs: the teams this stack creates.
      for (const team of dev.ofType(T.team)) refs.add(`group:${team.name.replace(/^idp-github-team-/, "")}`);
      const resolve = (ref: string, kind: string) => (ref.includes(":") ? ref : `${kind}:${ref}`);
      const location = parseAll(tree[`${dir}/all.yaml`]!.content)[0]!;
      for (const target of (location["spec"] as { targets: string[] }).targets) {
        assert.ok(tree[`${dir}/${target.replace(/^\.\//, "")}`], `Location target ${target} is seeded`);
      }
      // The created-apps Location starts empty: create-app adds a target per app (conformance/flow.test.ts).
      assert.deepEqual(parseAll(tree[`${dir}/apps.yaml`]!.content)[0]!["spec"], { targets: [] });
      const kinds = new Map<string, number>();
      for (const entity of entities) {
        kinds.set(String(entity["kind"]), (kinds.get(String(entity["kind"])) ?? 0) + 1);
        const spec = (entity["spec"] ?? {}) as Record<string, unknown>;
        const checks: Array<[unknown, string]> = [
          [spec["owner"], "group"],
          [spec["system"], "system"],
          [spec["domain"], "domain"],
          ...((spec["providesApis"] as string[] | undefined) ?? []).map((r): [string, string] => [r, "api"]),
          ...((spec["dependsOn"] as string[] | undefined) ?? []).map((r): [string, string] => [
            r,
            "component",
          ]),
        ];
        for (const [ref, kind] of checks) {
          if (typeof ref === "string") assert.ok(refs.has(resolve(ref, kind)), `${ref} resolves`);
        }
      }
      assert.deepEqual(Object.fromEntries(kinds), {
        Location: 2,
        Template: 1,
        Domain: 1,
        System: 3,
        Component: 2,
        API: 2,
        Resource: 1,
      });
    });

    it("points each Component at its source tree, at what its App composes and at the Application that syncs it", () => {
      const components = Object.entries(tree)
        .filter(([p]) => p.startsWith("catalog/backstage/teams/"))
        .flatMap(([, file]) => parseAll(file.content))
        .filter((e) => e["kind"] === "Component") as Array<{
        metadata: { name: string; annotations: Record<string, string> };
        spec: { system: string };
      }>;
      assert.deepEqual(
        components.map((c) => c.metadata.name),
        ["orders-api", "search-ui"],
      );
      for (const { metadata, spec } of components) {
        const annotations = metadata.annotations;
        assert.equal(
          annotations["backstage.io/source-location"],
          `url:https://github.com/fixture-org/${metadata.name}/tree/main/`,
        );
        // The App composition labels everything it composes with BACKSTAGE_ID_LABEL = the App's name.
        assert.equal(annotations[BACKSTAGE_ID_LABEL], metadata.name);
        assert.equal(annotations["backstage.io/kubernetes-namespace"], teamNamespace(spec.system));
        for (const env of ["dev", "staging", "prod"]) {
          const application = parseAll(
            tree[`environments/${env}/argocd/${spec.system}.yaml`]!.content,
          )[0] as {
            metadata: { name: string };
            spec: { source: { path: string } };
          };
          assert.equal(annotations["argocd/app-name"], application.metadata.name);
          assert.ok(
            managementRepoPaths
              .app(env, spec.system, metadata.name)
              .startsWith(`${application.spec.source.path}/`),
            `${env}: the Application syncs ${metadata.name}'s folder`,
          );
        }
      }
    });

    it("has Port blueprints of the same model and entities whose relations point at existing entities", () => {
      const blueprints = JSON.parse(tree["catalog/port/blueprints.json"]!.content) as Array<{
        identifier: string;
        relations: Record<string, { target: string; many: boolean }>;
      }>;
      assert.deepEqual(
        blueprints.map((b) => b.identifier),
        [
          "domain",
          "system",
          "api",
          "resource",
          "component",
          // What runs, filled by Port's exporter (components/port.ts).
          "argocd_application",
          "app_instance",
          "workload",
          "database_instance",
        ],
      );
      const byId = new Map(blueprints.map((b) => [b.identifier, b]));
      const entities = JSON.parse(tree["catalog/port/entities.json"]!.content) as Array<{
        identifier: string;
        blueprint: string;
        relations: Record<string, string | string[]>;
      }>;
      const seen = new Map<string, string>();
      for (const entity of entities) {
        const blueprint = byId.get(entity.blueprint);
        assert.ok(blueprint, `blueprint ${entity.blueprint}`);
        for (const [name, value] of Object.entries(entity.relations)) {
          const relation: { target: string; many: boolean } | undefined = blueprint.relations[name];
          assert.ok(relation, `${entity.blueprint}.${name} is a relation`);
          assert.equal(Array.isArray(value), relation.many, `${entity.identifier}.${name} cardinality`);
          for (const target of [value].flat()) {
            assert.equal(
              seen.get(target),
              relation.target,
              `${entity.identifier}.${name} → ${target} exists before it`,
            );
          }
        }
        seen.set(entity.identifier, entity.blueprint);
      }
      assert.equal(seen.get("orders-api"), "component");
      assert.equal(seen.get("orders-api-database"), "resource");
    });

    it("gives each environment a skeleton that renders exactly like a configured app, with and without a database", () => {
      const render = (content: string, app: string, team: string, image: string) =>
        content
          .replace(/__APP__/g, app)
          .replace(/__TEAM__/g, team)
          .replace(/__IMAGE__/g, image);
      const domains = {
        dev: "dev.fixture.example.test",
        staging: "staging.fixture.example.test",
        prod: "fixture.example.test",
      };
      for (const [env, domain] of Object.entries(domains)) {
        const skeleton = (file: string) => tree[`platform/skeleton/${env}/${file}`]!.content;
        const image = "ghcr.io/fixture-org/orders-api:sha-0123456789abcdef0123456789abcdef01234567";
        assert.deepEqual(
          parseAll(render(skeleton("app-with-database.yaml"), "orders-api", "orders", image)),
          [
            appResource({
              name: "orders-api",
              namespace: "team-orders",
              image,
              host: `orders-api.${domain}`,
              database: "orders-api",
            }),
          ],
        );
        const [plain] = parseAll(render(skeleton("app.yaml"), "orders-api", "orders", image));
        assert.equal(
          (plain!["spec"] as Record<string, unknown>)["database"],
          undefined,
          `${env}: no database`,
        );
        if (env === "dev") {
          // The first environment's configured apps are exactly what the skeleton renders.
          const folder = managementRepoPaths.app(env, "orders", "orders-api");
          const main = "ghcr.io/fixture-org/orders-api:main";
          assert.equal(
            render(skeleton("app-with-database.yaml"), "orders-api", "orders", main),
            tree[`${folder}/app.yaml`]!.content,
          );
          for (const file of ["database.yaml", "tables.yaml"]) {
            assert.equal(
              render(skeleton(file), "orders-api", "orders", main),
              tree[`${folder}/${file}`]!.content,
            );
          }
          const web = managementRepoPaths.app(env, "search", "search-ui");
          assert.equal(
            render(skeleton("app.yaml"), "search-ui", "search", "ghcr.io/fixture-org/search-ui:main"),
            tree[`${web}/app.yaml`]!.content,
          );
        }
      }
    });
  });

  describe("seeded workflows", () => {
    let management: Files;
    let template: Files;
    before(() => {
      management = managementTree(dev);
      template = files(dev, "idp-github-template-seed");
    });

    it("pin every action to a full commit SHA with its release tag, and start from read-only permissions", () => {
      const workflows = { ...management, ...template };
      for (const [path, file] of Object.entries(workflows).filter(([p]) =>
        p.startsWith(".github/workflows/"),
      )) {
        const uses = [...file.content.matchAll(/uses: (\S+)(.*)$/gm)];
        assert.ok(uses.length > 0, path);
        for (const [, reference, comment] of uses) {
          assert.match(reference!, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${path}: ${reference}`);
          assert.match(comment!, /^ {2}# v\d+\.\d+\.\d+$/, `${path}: ${reference} names its tag`);
        }
        const parsed = YAML.parse(file.content) as { permissions: unknown };
        assert.deepEqual(parsed.permissions, { contents: "read" }, path);
      }
    });

    it("validate runs on pull requests as the check the ruleset requires: yamllint, then kubeconform", () => {
      const workflow = YAML.parse(management[".github/workflows/validate.yaml"]!.content) as {
        on: { pull_request: { branches: string[] } };
        jobs: Record<string, { name: string; steps: Array<{ run?: string }> }>;
      };
      assert.deepEqual(workflow.on.pull_request.branches, ["main"]);
      const job = Object.values(workflow.jobs)[0]!;
      assert.equal(job.name, VALIDATE_CHECK);
      const script = job.steps.map((s) => s.run ?? "").join("\n");
      assert.match(script, /yamllint --strict \./);
      assert.match(script, /go install "github.com\/yannh\/kubeconform\/cmd\/kubeconform@v0\.7\.0"/);
      assert.match(script, /argoproj\/argo-cd\/v3\.4\.4\/manifests\/crds\/application-crd\.yaml/);
      assert.match(
        script,
        /schemahero\/schemahero\/v0\.25\.0\/config\/crds\/v1\/schemas\.schemahero\.io_tables\.yaml/,
      );
      assert.match(script, /kubeconform -strict -summary/);
      // The stack seeds the schemas of the platform's kinds (the XRDs'), so kubeconform skips none.
      assert.match(script, /-schema-location "platform\/schemas\/\{\{ \.Group \}\}/);
      assert.doesNotMatch(script, /-skip /);
    });

    it("create-app takes name, team (the configured teams) and database, and adds the app to the first environment", () => {
      const workflow = YAML.parse(management[".github/workflows/create-app.yaml"]!.content) as {
        on: { workflow_dispatch: { inputs: Record<string, { type: string; options?: string[] }> } };
        jobs: Record<
          string,
          { environment: string; env: Record<string, string>; steps: Array<{ run?: string }> }
        >;
      };
      const inputs = workflow.on.workflow_dispatch.inputs;
      assert.deepEqual(Object.keys(inputs), ["name", "team", "database"]);
      assert.deepEqual(inputs["team"]!.options, ["core", "orders", "search"]);
      assert.equal(inputs["database"]!.type, "boolean");
      const job = workflow.jobs["create-app"]!;
      assert.equal(job.environment, AUTOMATION.selfServiceEnvironment);
      assert.equal(job.env["TEMPLATE"], "app-template");
      const script = job.steps.map((s) => s.run ?? "").join("\n");
      assert.match(
        script,
        /render_app dev "\$TEAM" "\$APP_NAME" "ghcr\.io\/\$\{OWNER,,\}\/\$APP_NAME:main" "\$DATABASE"/,
      );
      assert.match(script, /gh repo create "\$OWNER\/\$APP_NAME" --template "\$OWNER\/\$TEMPLATE" --private/);
      assert.match(script, /gh pr create --base main/);
      // Inputs reach scripts only through the environment, never interpolated into the script.
      assert.doesNotMatch(script, /\$\{\{/);
      for (const file of ["app.yaml", "app-with-database.yaml", "database.yaml", "tables.yaml"]) {
        for (const env of ["dev", "staging", "prod"]) {
          assert.ok(management[`platform/skeleton/${env}/${file}`], `skeleton ${env}/${file} is seeded`);
        }
      }
    });

    it("create-app mints a token per purpose: only creating the repository is organization-wide", () => {
      const workflow = YAML.parse(management[".github/workflows/create-app.yaml"]!.content) as {
        jobs: Record<
          string,
          {
            steps: Array<{
              id?: string;
              with?: Record<string, string>;
              env?: Record<string, string>;
              name?: string;
            }>;
          }
        >;
      };
      const steps = workflow.jobs["create-app"]!.steps;
      const token = (id: string) => {
        const step = steps.find((s) => s.id === id)!;
        const { ["client-id"]: _client, ["private-key"]: _key, owner: _owner, ...rest } = step.with!;
        return rest;
      };
      assert.deepEqual(token("create-token"), { "permission-administration": "write" });
      assert.deepEqual(token("repository-token"), {
        repositories: "${{ inputs.name }}",
        "permission-administration": "write",
        "permission-environments": "write",
        "permission-secrets": "write",
        "permission-actions": "write",
        "permission-members": "read",
      });
      assert.deepEqual(token("management-token"), {
        repositories: "platform-management",
        "permission-contents": "write",
        "permission-pull-requests": "write",
      });
      // Each step uses the narrowest token that does its work.
      const uses: Record<string, string> = Object.fromEntries(
        steps
          .filter((s) => s.env?.["GH_TOKEN"] !== undefined)
          .map((s): [string, string] => [s.name ?? "", s.env!["GH_TOKEN"]!]),
      );
      assert.deepEqual(uses, {
        "Create the repository from the template": "${{ steps.create-token.outputs.token }}",
        "Give the repository its topics and teams": "${{ steps.repository-token.outputs.token }}",
        "Give the repository its delivery environment and ruleset":
          "${{ steps.repository-token.outputs.token }}",
        "Open the pull request": "${{ steps.management-token.outputs.token }}",
        "Start the app's first build": "${{ steps.repository-token.outputs.token }}",
      });
    });

    it("create-app refuses a name that is not a DNS label or is a platform service's host, running its own check", () => {
      const workflow = YAML.parse(management[".github/workflows/create-app.yaml"]!.content) as {
        jobs: Record<string, { steps: Array<{ name?: string; run?: string }> }>;
      };
      const check = workflow.jobs["create-app"]!.steps.find((s) => s.name === "Check the name")!.run!;
      const run = (name: string) =>
        spawnSync("bash", ["-e", "-c", check], { env: { ...process.env, APP_NAME: name }, encoding: "utf8" });
      assert.equal(run("orders-api").status, 0);
      const reserved = run("argocd");
      assert.equal(reserved.status, 1);
      assert.match(
        reserved.stdout,
        /::error::argocd\.<domain> is a platform service's host; choose another name/,
      );
      assert.equal(run("Orders_API").status, 1);
    });

    it("create-app's step, run with bash on the seeded tree, writes exactly a configured app's files (with and without a database)", () => {
      const workflow = YAML.parse(management[".github/workflows/create-app.yaml"]!.content) as {
        jobs: Record<string, { steps: Array<{ name?: string; run?: string }> }>;
      };
      const step = workflow.jobs["create-app"]!.steps.find((s) => s.name === "Add the app to dev")!.run!;
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "idp-create-app-"));
      try {
        for (const [file, spec] of Object.entries(management)) {
          if (file.startsWith("environments/dev/apps/") && !file.endsWith("README.md")) continue;
          fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
          fs.writeFileSync(path.join(root, file), spec.content);
        }
        for (const [app, team, database] of [
          ["orders-api", "orders", "true"],
          ["search-ui", "search", "false"],
        ] as const) {
          const run = spawnSync("bash", ["-e", "-c", step], {
            cwd: root,
            // The org's login in any case: GHCR names are lowercase.
            env: { ...process.env, APP_NAME: app, TEAM: team, DATABASE: database, OWNER: "Fixture-Org" },
            encoding: "utf8",
          });
          assert.equal(run.status, 0, run.stderr);
          const folder = managementRepoPaths.app("dev", team, app);
          const expected = Object.keys(management)
            .filter((f) => f.startsWith(`${folder}/`))
            .sort();
          assert.deepEqual(
            fs
              .readdirSync(path.join(root, folder))
              .map((f) => `${folder}/${f}`)
              .sort(),
            expected,
          );
          for (const file of expected) {
            assert.equal(fs.readFileSync(path.join(root, file), "utf8"), management[file]!.content, file);
          }
          for (const env of ["staging", "prod"]) {
            assert.equal(fs.existsSync(path.join(root, managementRepoPaths.app(env, team, app))), false, env);
          }
        }
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it("create-app gives a new repository the delivery environment, key and ruleset, idempotently (run with bash)", () => {
      const workflow = YAML.parse(management[".github/workflows/create-app.yaml"]!.content) as {
        jobs: Record<string, { steps: Array<{ name?: string; run?: string; env?: Record<string, string> }> }>;
      };
      const step = workflow.jobs["create-app"]!.steps.find(
        (s) => s.name === "Give the repository its delivery environment and ruleset",
      )!;
      assert.equal(step.env!["DELIVERY_KEY"], `\${{ secrets.${AUTOMATION.deliveryPrivateKeySecret} }}`);
      const bin = fs.mkdtempSync(path.join(os.tmpdir(), "idp-gh-"));
      try {
        const log = path.join(bin, "calls");
        const existing = path.join(bin, "existing");
        // gh: records each call and its stdin; GET lists answer from `existing` (names, one per line).
        fs.writeFileSync(
          path.join(bin, "gh"),
          [
            "#!/bin/bash",
            `{ echo "gh $*"; if [ ! -t 0 ]; then sed 's/^/  stdin: /'; fi; } >> "${log}"`,
            `if [ "$1" = api ] && [[ "$*" == *"--jq"* ]]; then cat "${existing}" 2> /dev/null; fi`,
            "",
          ].join("\n"),
          { mode: 0o755 },
        );
        const run = () => {
          fs.rmSync(log, { force: true });
          const result = spawnSync("bash", ["-e", "-o", "pipefail", "-c", step.run!], {
            env: {
              ...process.env,
              PATH: `${bin}:${process.env["PATH"]}`,
              OWNER: "fixture-org",
              APP_NAME: "new-api",
              GH_TOKEN: "t",
              DELIVERY_KEY: "-----BEGIN KEY-----\nmarker\n-----END KEY-----",
            },
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
          });
          assert.equal(result.status, 0, result.stderr);
          return fs.readFileSync(log, "utf8");
        };
        const first = run();
        const calls = first.split("\n").filter((line) => line.startsWith("gh "));
        assert.deepEqual(calls, [
          "gh api --method PUT repos/fixture-org/new-api/environments/delivery --input -",
          "gh api repos/fixture-org/new-api/environments/delivery/deployment-branch-policies --jq .branch_policies[].name",
          "gh api --method POST repos/fixture-org/new-api/environments/delivery/deployment-branch-policies -f name=main -f type=branch",
          "gh secret set PLATFORM_DELIVERY_PRIVATE_KEY --env delivery --repo fixture-org/new-api",
          "gh api repos/fixture-org/new-api/rulesets --jq .[].name",
          "gh api --method POST repos/fixture-org/new-api/rulesets --input -",
        ]);
        const bodies = first
          .split("\n")
          .filter((line) => line.startsWith("  stdin: "))
          .map((l) => l.slice(9));
        assert.deepEqual(JSON.parse(bodies[0]!), {
          can_admins_bypass: false,
          deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
        });
        assert.deepEqual(bodies.slice(1, 4), ["-----BEGIN KEY-----", "marker", "-----END KEY-----"]);
        assert.deepEqual(JSON.parse(bodies[4]!), appRuleset("main"));
        // Run again where the policy and the ruleset exist: only the environment and the key are set.
        fs.writeFileSync(existing, "main\nprotect-default-branch\n");
        assert.deepEqual(
          run()
            .split("\n")
            .filter((line) => line.startsWith("gh ") && line.includes("POST")),
          [],
        );
      } finally {
        fs.rmSync(bin, { recursive: true, force: true });
      }
    });

    it("the template's build pushes the moving main tag from the default branch, dispatched or pushed, and only there", () => {
      const workflow = YAML.parse(template[".github/workflows/build.yaml"]!.content) as {
        jobs: Record<string, { steps: Array<{ name?: string; run?: string }> }>;
      };
      const step = workflow.jobs["image"]!.steps.find((s) => s.name === "Build and push the image")!.run!;
      const bin = fs.mkdtempSync(path.join(os.tmpdir(), "idp-docker-"));
      try {
        const log = path.join(bin, "docker.log");
        fs.writeFileSync(path.join(bin, "docker"), `#!/bin/sh\necho "$*" >> "${log}"\ncat > /dev/null\n`, {
          mode: 0o755,
        });
        const pushes = (ref: string, event: string) => {
          fs.rmSync(log, { force: true });
          const output = path.join(bin, "output");
          fs.rmSync(output, { force: true });
          const run = spawnSync("bash", ["-e", "-c", step], {
            env: {
              ...process.env,
              PATH: `${bin}:${process.env["PATH"]}`,
              GITHUB_REPOSITORY: "Fixture-Org/orders-api",
              GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
              GITHUB_REF: ref,
              GITHUB_EVENT_NAME: event,
              GITHUB_ACTOR: "someone",
              GITHUB_SERVER_URL: "https://github.com",
              GITHUB_OUTPUT: output,
              REGISTRY_TOKEN: "token",
            },
            encoding: "utf8",
          });
          assert.equal(run.status, 0, run.stderr);
          assert.equal(
            fs.readFileSync(output, "utf8"),
            "reference=ghcr.io/fixture-org/orders-api:sha-0123456789abcdef0123456789abcdef01234567\n",
          );
          return fs
            .readFileSync(log, "utf8")
            .split("\n")
            .filter((line) => line.startsWith("push "));
        };
        const sha = "push ghcr.io/fixture-org/orders-api:sha-0123456789abcdef0123456789abcdef01234567";
        const main = "push ghcr.io/fixture-org/orders-api:main";
        assert.deepEqual(pushes("refs/heads/main", "push"), [sha, main]);
        // create-app's first build is dispatched: it must push the tag the new app's App names.
        assert.deepEqual(pushes("refs/heads/main", "workflow_dispatch"), [sha, main]);
        assert.deepEqual(pushes("refs/heads/feature", "workflow_dispatch"), [sha]);
      } finally {
        fs.rmSync(bin, { recursive: true, force: true });
      }
    });

    it("the template's build pushes to GHCR with GITHUB_TOKEN and promotes through the management repository", () => {
      const workflow = YAML.parse(template[".github/workflows/build.yaml"]!.content) as {
        jobs: Record<
          string,
          {
            permissions?: Record<string, string>;
            steps: Array<{ run?: string; with?: Record<string, string> }>;
          }
        >;
      };
      assert.deepEqual(workflow.jobs["image"]!.permissions, { contents: "read", packages: "write" });
      assert.match(
        workflow.jobs["image"]!.steps.map((s) => s.run ?? "").join("\n"),
        /docker push "\$image:\$tag"/,
      );
      const token = workflow.jobs["promote"]!.steps.find((s) => s.with?.["client-id"] !== undefined)!;
      assert.deepEqual(token.with, {
        "client-id": `\${{ vars.${AUTOMATION.deliveryClientIdVariable} }}`,
        "private-key": `\${{ secrets.${AUTOMATION.deliveryPrivateKeySecret} }}`,
        owner: "${{ github.repository_owner }}",
        repositories: "platform-management",
        "permission-contents": "write",
        "permission-pull-requests": "write",
      });
      assert.match(
        workflow.jobs["promote"]!.steps.map((s) => s.run ?? "").join("\n"),
        /yq --inplace '\.spec\.image = strenv\(IMAGE_REFERENCE\)'/,
      );
    });
  });

  describe("seeded template repository", () => {
    it("is a small service with a health endpoint, a schema, a pinned non-root Dockerfile and its pipeline", () => {
      const tree = files(dev, "idp-github-template-seed");
      assert.deepEqual(Object.keys(tree).sort(), [
        ".dockerignore",
        ".github/workflows/build.yaml",
        "Dockerfile",
        "README.md",
        "openapi.yaml",
        "package-lock.json",
        "package.json",
        "renovate.json",
        "schema/tables.yaml",
        "src/server.js",
        "test/server.test.js",
      ]);
      assert.match(tree["src/server.js"]!.content, /\/healthz/);
      const dockerfile = tree["Dockerfile"]!.content;
      const base = `${BASE_IMAGES.node.image}:${BASE_IMAGES.node.version}-${BASE_IMAGES.node.variant}`;
      assert.deepEqual(
        dockerfile.split("\n").filter((line) => line.startsWith("FROM ")),
        [`FROM ${base} AS dependencies`, `FROM ${base}`],
      );
      assert.match(dockerfile, /^USER 1000:1000$/m);
      assert.equal(tree["Dockerfile"]!.mode, "managed");
      assert.equal(tree[".github/workflows/build.yaml"]!.mode, "managed");
      assert.equal(tree["src/server.js"]!.mode, "seed-once");
      const [table] = parseAll(tree["schema/tables.yaml"]!.content);
      assert.equal(table!["kind"], "Table");
    });
  });
});

/**
 * The GitHub permissions table (components/github/permissions.ts) against what the stacks create, and
 * docs/github-permissions.md against the table.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import {
  GITHUB_PERMISSIONS,
  isGitHubResourceType,
  missingPermissions,
  requiredPermissions,
} from "../components/github/permissions";
import { PERMISSIONS_FILE, renderPermissions } from "../stacks/github-permissions-doc";
import { listStacks } from "../synth/stack-files";
import { synthFixture, synthUserStack, type Synth } from "./harness";

/**
 * The permission names GitHub knows (the keys of an installation's `permissions`: github/docs
 * `src/github-apps/data/fpt-2022-11-28/server-to-server-permissions.json`), so a misspelt name in the
 * table fails here instead of on an App settings page.
 */
const APP_PERMISSIONS = new Set([
  "actions",
  "actions_variables",
  "administration",
  "checks",
  "contents",
  "deployments",
  "environments",
  "issues",
  "members",
  "organization_actions_variables",
  "organization_administration",
  "organization_hooks",
  "organization_secrets",
  "organization_self_hosted_runners",
  "pull_requests",
  "repository_hooks",
  "secrets",
  "statuses",
  "workflows",
]);
/** Classic token scopes (GitHub docs, "Scopes for OAuth apps"). */
const TOKEN_SCOPES = new Set([
  "repo",
  "public_repo",
  "workflow",
  "admin:org",
  "write:org",
  "read:org",
  "admin:repo_hook",
  "write:repo_hook",
  "admin:org_hook",
  "delete_repo",
]);

const githubTypes = (synth: Synth): string[] =>
  [...new Set(synth.resources.map((r) => r.type))].filter(isGitHubResourceType).sort();

describe("GitHub permissions", () => {
  it("names only permissions and scopes GitHub has, and every row says what, when and which endpoints", () => {
    for (const [type, need] of Object.entries(GITHUB_PERMISSIONS)) {
      assert.ok(isGitHubResourceType(type), type);
      for (const permission of Object.keys(need.app))
        assert.ok(APP_PERMISSIONS.has(permission), `${type}: ${permission}`);
      for (const scope of need.token) assert.ok(TOKEN_SCOPES.has(scope), `${type}: ${scope}`);
      assert.ok(need.what.length > 0 && need.when.length > 0 && need.endpoints.length > 0, type);
      assert.ok(Object.keys(need.app).length > 0 && need.token.length > 0, type);
    }
  });

  it("finds a GitHub resource kind without a row, and ignores the provider and non-GitHub types", () => {
    assert.deepEqual(
      missingPermissions([
        "github:index/issue:Issue",
        "github:index/team:Team",
        "pulumi:providers:github",
        "kubernetes:core/v1:Namespace",
        "pulumi-nodejs:dynamic/github:Something",
      ]),
      ["github:index/issue:Issue", "pulumi-nodejs:dynamic/github:Something"],
    );
  });

  it("asks for the Workflows permission and workflow scope where files are seeded, and Webhooks where hooks are created", () => {
    const seed = requiredPermissions(["pulumi-nodejs:dynamic/github:RepositorySeed"]);
    assert.deepEqual(seed.app, { contents: "write", workflows: "write" });
    assert.deepEqual(seed.token, ["repo", "workflow"]);
    const hook = requiredPermissions(["github:index/repositoryWebhook:RepositoryWebhook"]);
    assert.deepEqual(hook.app, { repository_hooks: "write" });
    // The union keeps the higher level: the repository reads contents, the seed writes them.
    const both = requiredPermissions([
      "github:index/repository:Repository",
      "pulumi-nodejs:dynamic/github:RepositorySeed",
    ]);
    assert.equal(both.app["contents"], "write");
    assert.deepEqual(
      requiredPermissions(["github:index/repositoryRuleset:RepositoryRuleset"]).prerequisites,
      [GITHUB_PERMISSIONS["github:index/repositoryRuleset:RepositoryRuleset"]!.prerequisite],
    );
  });

  for (const stack of ["dev", "staging", "prod"]) {
    it(`fixture ${stack}: every GitHub resource kind it creates is in the table, marked as the stack creates it`, async () => {
      const synth = await synthFixture(stack);
      const types = githubTypes(synth);
      assert.ok(
        types.includes("github:index/repositoryDeployKey:RepositoryDeployKey"),
        "every stack has its deploy key",
      );
      assert.deepEqual(missingPermissions(types), []);
      const managing = synth.ofType("github:index/repository:Repository").length > 0;
      if (!managing) {
        assert.deepEqual(
          types.filter((type) => GITHUB_PERMISSIONS[type]!.organizationStackOnly),
          [],
          "a stack that does not manage the organization creates only rows marked organizationStackOnly: false",
        );
      }
    });
  }

  it("the fixture stacks together create every kind in the table (no row for something nothing creates)", async () => {
    const types = new Set<string>();
    for (const stack of ["dev", "staging", "prod"])
      githubTypes(await synthFixture(stack)).forEach((t) => types.add(t));
    assert.deepEqual(
      Object.keys(GITHUB_PERMISSIONS).filter((type) => !types.has(type)),
      [],
    );
  });

  for (const stack of listStacks()) {
    it(`${stack}: every GitHub resource kind the stack creates is in the table`, async () => {
      assert.deepEqual(missingPermissions(githubTypes(await synthUserStack(stack))), []);
    });
  }

  it("docs/github-permissions.md is generated from the table (run npm run docs:permissions)", () => {
    assert.equal(fs.readFileSync(PERMISSIONS_FILE, "utf8"), renderPermissions());
  });
});

/**
 * `GitHubOrganization` on its own: argument validation, the schemas of the platform's kinds for the
 * validate workflow, internal visibility, and the application template's own tests.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import {
  GitHubOrganization,
  validateOrganizationArgs,
  type GitHubOrganizationArgs,
} from "../components/github";
import { dockerfile, TEMPLATE_SEED_DIR } from "../components/github/template-repo";
import { PROFILES } from "../stacks/profiles";
import { synthProgram } from "./harness";

const ARGS: GitHubOrganizationArgs = {
  owner: "acme",
  stack: "dev",
  auth: { kind: "token", token: pulumi.secret("token") },
  managementRepository: "platform-management",
  templateRepository: "app-template",
  teams: [
    { slug: "platform", name: "Platform", platformAdmin: true, maintainers: [], members: [] },
    { slug: "payments", name: "Payments", platformAdmin: false, maintainers: [], members: [] },
  ],
  apps: [{ name: "checkout-api", team: "payments", database: true }],
  environments: [
    { name: "dev", domain: "dev.example.com", profile: PROFILES.dev },
    { name: "prod", domain: "example.com", profile: PROFILES.prod },
  ],
  selfServiceApp: { clientId: "Iv23liSELFSERVICE001", privateKey: pulumi.secret("self-service") },
  deliveryApp: { clientId: "Iv23liDELIVERY000001", privateKey: pulumi.secret("delivery") },
};

type Files = Record<string, { content: string; mode: string }>;

describe("GitHubOrganization component", () => {
  it("rejects arguments the config schema would have rejected, naming each problem", () => {
    assert.throws(
      () =>
        validateOrganizationArgs({
          ...ARGS,
          teams: [{ ...ARGS.teams[1]! }, { ...ARGS.teams[1]! }],
          apps: [
            { name: "app-template", team: "payments", database: false },
            { name: "ledger", team: "finance", database: false },
          ],
          environments: [],
        }),
      {
        message:
          "GitHubOrganization: no team is a platform admin team; team slugs repeat; app ledger names the unknown team finance; an app is named like the management or template repository; no environments",
      },
    );
  });

  it("seeds the schemas of the platform's kinds it is given, and the validate workflow checks those kinds", async () => {
    const appSchema = {
      type: "object",
      properties: { apiVersion: { type: "string" }, kind: { type: "string" }, spec: { type: "object" } },
    };
    const synth = await synthProgram(
      () =>
        new GitHubOrganization("org", {
          ...ARGS,
          resourceSchemas: [
            { group: "platform.idp.internal", version: "v1alpha1", kind: "App", schema: appSchema },
          ],
        }),
    );
    const files = synth.inputs<{ files: Files }>(
      synth.one("pulumi-nodejs:dynamic/github:RepositorySeed", "org-management-seed"),
    ).files;
    const schema = files["platform/schemas/platform.idp.internal/app_v1alpha1.json"]!;
    assert.equal(schema.mode, "managed");
    assert.deepEqual(JSON.parse(schema.content), appSchema);
    const validate = files[".github/workflows/validate.yaml"]!.content;
    assert.match(validate, /-skip platform\.idp\.internal\/v1alpha1\/SQLDatabase \\/);
    assert.doesNotMatch(validate, /v1alpha1\/App[,\s]/);
    assert.match(
      validate,
      /-schema-location "platform\/schemas\/\{\{ \.Group \}\}\/\{\{ \.ResourceKind \}\}_\{\{ \.ResourceAPIVersion \}\}\.json"/,
    );
  });

  it("creates internal template and app repositories when asked, and create-app follows", async () => {
    const synth = await synthProgram(
      () => new GitHubOrganization("org", { ...ARGS, repositoryVisibility: "internal" }),
    );
    const visibility = (name: string) =>
      synth.inputs(synth.one("github:index/repository:Repository", name))["visibility"];
    assert.equal(visibility("org-management"), "private");
    assert.equal(visibility("org-template"), "internal");
    assert.equal(visibility("org-app-checkout-api"), "internal");
    const files = synth.inputs<{ files: Files }>(
      synth.one("pulumi-nodejs:dynamic/github:RepositorySeed", "org-management-seed"),
    ).files;
    assert.match(
      files[".github/workflows/create-app.yaml"]!.content,
      /--template "\$OWNER\/\$TEMPLATE" --internal/,
    );
  });

  it("names the environments it was given, in order, in the workflows", async () => {
    const synth = await synthProgram(() => new GitHubOrganization("org", ARGS));
    const template = synth.inputs<{ files: Files }>(
      synth.one("pulumi-nodejs:dynamic/github:RepositorySeed", "org-template-seed"),
    ).files;
    const build = template[".github/workflows/build.yaml"]!.content;
    assert.match(build, /options:\n {10}- dev\n {10}- prod\n {8}default: dev/);
    assert.match(build, /inputs\.environment \|\| 'dev'/);
  });

  it("ships an application template whose own tests pass", () => {
    const run = spawnSync(process.execPath, ["--test"], { cwd: TEMPLATE_SEED_DIR, encoding: "utf8" });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /# pass 4/);
  });

  it("ships a template that installs from its lockfile: npm ci && npm test pass in a copy, as its pipeline runs them", async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "idp-template-"));
    try {
      fs.cpSync(TEMPLATE_SEED_DIR, copy, { recursive: true });
      const npm = (...args: string[]) =>
        spawnSync("npm", args, {
          cwd: copy,
          encoding: "utf8",
          env: { ...process.env, npm_config_offline: "true" },
        });
      const ci = npm("ci", "--ignore-scripts", "--no-audit", "--no-fund");
      assert.equal(ci.status, 0, ci.stdout + ci.stderr);
      const test = npm("test");
      assert.equal(test.status, 0, test.stdout + test.stderr);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    // The image installs from the same lockfile, in a stage of its own.
    const docker = dockerfile();
    assert.match(docker, /COPY package\.json package-lock\.json \.\/\nRUN npm ci --omit=dev/);
    assert.equal((docker.match(/^FROM /gm) ?? []).length, 2);
    const synth = await synthProgram(() => new GitHubOrganization("org", ARGS));
    const template = synth.inputs<{ files: Files }>(
      synth.one("pulumi-nodejs:dynamic/github:RepositorySeed", "org-template-seed"),
    ).files;
    assert.equal(template["Dockerfile"]!.content, docker);
    assert.ok(template["package-lock.json"], "the lockfile is seeded");
    const build = YAML.parse(template[".github/workflows/build.yaml"]!.content) as {
      jobs: { test: { steps: Array<{ run?: string }> } };
    };
    assert.deepEqual(
      build.jobs.test.steps.filter((step) => step.run !== undefined).map((step) => step.run),
      ["npm ci --ignore-scripts --no-audit --no-fund", "npm test"],
    );
    // Renovate pins the base image's digest on its first run.
    const renovate = JSON.parse(fs.readFileSync(path.join(TEMPLATE_SEED_DIR, "renovate.json"), "utf8")) as {
      pinDigests: boolean;
    };
    assert.equal(renovate.pinDigests, true);
  });
});

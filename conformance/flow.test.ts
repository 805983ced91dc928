/**
 * The developer flow's scripts as GitHub runs them: bash with mikefarah's yq v4 (GitHub's ubuntu-24.04
 * image carries it) and git, on the management repository the fixture stacks seed. `gh` is the only
 * stand-in: it answers the bot's user id and records the pull requests it is asked to open.
 *
 * - the app pipeline's promote step: a new app not merged yet, a first promotion into staging and prod
 *   (the app and its database arrive from the skeleton, its tables from the app's repository), an image
 *   update in dev;
 * - the management repository's validate step that refuses movable images where the profile says so.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { managementRepoPaths } from "../components/conventions";
import { appResource } from "../components/crossplane/api";
import { CATALOG_STEP, IMMUTABLE_IMAGES_STEP, UNIQUE_HOSTS_STEP } from "../components/github/workflows";
import { fixtureStack, tools, type FixtureStack } from "./fixtures";

type Json = Record<string, unknown>;
type Workflow = { jobs: Record<string, { steps: Array<{ name?: string; run?: string }> }> };

const SHA = "0123456789abcdef0123456789abcdef01234567";

function step(workflow: string, job: string, name: string): string {
  const parsed = YAML.parse(workflow) as Workflow;
  const found = parsed.jobs[job]?.steps.find((s) => s.name === name)?.run;
  assert.ok(found, `${job} has a step "${name}"`);
  return found;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function parseAll(content: string): Json[] {
  return YAML.parseAllDocuments(content).map((d) => d.toJS() as Json);
}

/** A workspace like the promote job's: the app's checkout, the management repository in ./management. */
class Workspace {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "idp-flow-"));
  readonly origin = path.join(this.root, "management.git");
  readonly app = path.join(this.root, "app");
  readonly bin = path.join(this.root, "bin");
  readonly pullRequests = path.join(this.root, "pull-requests.log");

  constructor(management: Readonly<Record<string, string>>, template: Readonly<Record<string, string>>) {
    const seed = path.join(this.root, "seed");
    for (const [file, content] of Object.entries(management)) {
      fs.mkdirSync(path.join(seed, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(seed, file), content);
    }
    git(this.root, "init", "--quiet", "--bare", "--initial-branch=main", this.origin);
    git(seed, "init", "--quiet", "--initial-branch=main");
    git(seed, "add", ".");
    git(
      seed,
      "-c",
      "user.name=seed",
      "-c",
      "user.email=seed@example.test",
      "commit",
      "--quiet",
      "-m",
      "seed",
    );
    git(seed, "push", "--quiet", this.origin, "main");
    fs.mkdirSync(path.join(this.app, "schema"), { recursive: true });
    fs.writeFileSync(path.join(this.app, "schema", "tables.yaml"), template["schema/tables.yaml"]!);
    fs.mkdirSync(this.bin);
    // gh: the bot's user id, setup-git, and pull requests recorded (none exists yet).
    fs.writeFileSync(
      path.join(this.bin, "gh"),
      [
        "#!/bin/bash",
        'case "$1 $2" in',
        '  "api users/"*) echo 41898282 ;;',
        '  "auth setup-git") ;;',
        '  "pr view") exit 1 ;;',
        `  "pr create") echo "$*" >> "${this.pullRequests}" ;;`,
        '  *) echo "gh stub: unexpected $*" >&2; exit 2 ;;',
        "esac",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    fs.copyFileSync(tools().yq, path.join(this.bin, "yq"));
    fs.chmodSync(path.join(this.bin, "yq"), 0o755);
  }

  /** A fresh clone of the management repository (of `branch`, default main) in its own folder. */
  clone(folder: string, branch = "main"): string {
    const tree = path.join(this.root, folder);
    fs.rmSync(tree, { recursive: true, force: true });
    git(this.root, "clone", "--quiet", "--branch", branch, this.origin, tree);
    return tree;
  }

  /** A fresh checkout of the management repository, as actions/checkout leaves it. */
  checkout(): void {
    fs.rmSync(path.join(this.app, "management"), { recursive: true, force: true });
    git(this.app, "clone", "--quiet", this.origin, "management");
  }

  run(script: string, cwd: string, env: Record<string, string>): ReturnType<typeof spawnSync> {
    return spawnSync("bash", ["-e", "-o", "pipefail", "-c", script], {
      cwd,
      encoding: "utf8",
      env: {
        PATH: `${this.bin}:${process.env["PATH"] ?? ""}`,
        HOME: this.root,
        GIT_CONFIG_NOSYSTEM: "1",
        ...env,
      },
    });
  }

  /** The files of a branch of the management repository under a folder: path → content. */
  branchFiles(branch: string, folder: string): Record<string, string> {
    const names = git(this.origin, "ls-tree", "-r", "--name-only", branch, "--", folder)
      .split("\n")
      .filter(Boolean);
    return Object.fromEntries(names.map((name) => [name, git(this.origin, "show", `${branch}:${name}`)]));
  }

  branches(): string[] {
    return git(this.origin, "for-each-ref", "--format=%(refname:short)", "refs/heads")
      .split("\n")
      .filter(Boolean);
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

describe("the developer flow's scripts, run with bash, git and yq v4", () => {
  let stack: FixtureStack;
  let management: Readonly<Record<string, string>>;
  let template: Readonly<Record<string, string>>;
  let promote: string;
  let workspace: Workspace;
  const domains: Record<string, string> = {};

  before(async () => {
    stack = await fixtureStack("dev");
    const repositories = Object.values(stack.repositories);
    management = repositories.find((files) => ".github/workflows/create-app.yaml" in files)!;
    template = repositories.find((files) => ".github/workflows/build.yaml" in files)!;
    promote = step(template[".github/workflows/build.yaml"]!, "promote", "Open the promotion pull request");
    for (const env of ["dev", "staging", "prod"]) domains[env] = (await fixtureStack(env)).domain;
    workspace = new Workspace(management, template);
  });
  after(() => workspace.dispose());

  const promoteEnv = (app: string, environment: string, image: string) => ({
    GITHUB_REPOSITORY: `fixture-org/${app}`,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_SHA: SHA,
    ENVIRONMENT: environment,
    IMAGE_REFERENCE: image,
    GH_TOKEN: "token",
    BOT: "fixture-delivery",
  });

  it("a new app whose create-app pull request is open: dev waits for the merge, staging refuses", () => {
    workspace.checkout();
    const dev = workspace.run(
      promote,
      workspace.app,
      promoteEnv("new-api", "dev", `ghcr.io/fixture-org/new-api:sha-${SHA}`),
    );
    assert.equal(dev.status, 0, String(dev.stderr));
    assert.match(
      String(dev.stdout),
      /::notice::new-api is not in environments\/dev yet: it runs this build's main image once its create-app pull request merges/,
    );
    workspace.checkout();
    const staging = workspace.run(
      promote,
      workspace.app,
      promoteEnv("new-api", "staging", `ghcr.io/fixture-org/new-api:sha-${SHA}`),
    );
    assert.equal(staging.status, 1);
    assert.match(
      String(staging.stdout),
      /::error::new-api is not in environments\/dev yet: merge its create-app pull request first/,
    );
    assert.deepEqual(workspace.branches(), ["main"]);
  });

  it("the first promotion into staging brings the app, its database and the app's own tables", () => {
    workspace.checkout();
    const image = `ghcr.io/fixture-org/orders-api:sha-${SHA}`;
    const run = workspace.run(promote, workspace.app, promoteEnv("orders-api", "staging", image));
    assert.equal(run.status, 0, `${String(run.stdout)}\n${String(run.stderr)}`);
    const folder = managementRepoPaths.app("staging", "orders", "orders-api");
    const files = workspace.branchFiles("promote/orders-api/staging", folder);
    assert.deepEqual(
      Object.keys(files).sort(),
      ["app.yaml", "database.yaml", "tables.yaml"].map((f) => `${folder}/${f}`),
    );
    assert.deepEqual(parseAll(files[`${folder}/app.yaml`]!), [
      appResource({
        name: "orders-api",
        namespace: "team-orders",
        image,
        host: `orders-api.${domains["staging"]!}`,
        database: "orders-api",
      }),
    ]);
    assert.deepEqual(
      parseAll(files[`${folder}/database.yaml`]!),
      parseAll(management[`${managementRepoPaths.app("dev", "orders", "orders-api")}/database.yaml`]!),
    );
    // The app repository's tables, named after the app, in its team's namespace.
    const tables = parseAll(files[`${folder}/tables.yaml`]!);
    const own = parseAll(template["schema/tables.yaml"]!);
    assert.equal(tables.length, own.length);
    for (const [i, table] of tables.entries()) {
      const spec = own[i]!["spec"] as { name: string };
      assert.deepEqual(table["metadata"], { name: `orders-api-${spec.name}`, namespace: "team-orders" });
      assert.deepEqual(table["spec"], { ...spec, database: "orders-api" });
    }
    const pullRequests = fs.readFileSync(workspace.pullRequests, "utf8");
    assert.match(pullRequests, /--head promote\/orders-api\/staging --title Promote orders-api in staging/);
    // Committed as the App's bot user.
    assert.equal(
      git(workspace.origin, "log", "-1", "--format=%an <%ae>", "promote/orders-api/staging").trim(),
      "fixture-delivery[bot] <41898282+fixture-delivery[bot]@users.noreply.github.com>",
    );
  });

  it("an app without a database reaches prod without one", () => {
    workspace.checkout();
    const image = `ghcr.io/fixture-org/search-ui:sha-${SHA}`;
    const run = workspace.run(promote, workspace.app, promoteEnv("search-ui", "prod", image));
    assert.equal(run.status, 0, `${String(run.stdout)}\n${String(run.stderr)}`);
    const folder = managementRepoPaths.app("prod", "search", "search-ui");
    const files = workspace.branchFiles("promote/search-ui/prod", folder);
    assert.deepEqual(Object.keys(files), [`${folder}/app.yaml`]);
    assert.deepEqual(parseAll(files[`${folder}/app.yaml`]!), [
      appResource({
        name: "search-ui",
        namespace: "team-search",
        image,
        host: `search-ui.${domains["prod"]!}`,
      }),
    ]);
  });

  it("a promotion in dev changes only the image", () => {
    workspace.checkout();
    const image = `ghcr.io/fixture-org/orders-api:sha-${SHA}`;
    const run = workspace.run(promote, workspace.app, promoteEnv("orders-api", "dev", image));
    assert.equal(run.status, 0, `${String(run.stdout)}\n${String(run.stderr)}`);
    const diff = git(
      workspace.origin,
      "diff",
      "--unified=0",
      "main",
      "promote/orders-api/dev",
      "--",
      "environments/dev/apps/orders/orders-api/app.yaml",
    );
    const changed = diff.split("\n").filter((line) => /^[-+] /.test(line));
    assert.deepEqual(changed, ["-  image: ghcr.io/fixture-org/orders-api:main", `+  image: ${image}`]);
  });

  it("the validate workflow refuses a movable image in staging and prod, and takes promoted ones", () => {
    const check = step(management[".github/workflows/validate.yaml"]!, "validate", IMMUTABLE_IMAGES_STEP);
    const tree = workspace.clone("validate", "promote/orders-api/staging");
    // main's dev app on its moving tag, and the promoted staging app on sha-<commit>: accepted.
    const ok = workspace.run(check, tree, {});
    assert.equal(ok.status, 0, `${String(ok.stdout)}\n${String(ok.stderr)}`);
    const file = `${managementRepoPaths.app("staging", "orders", "orders-api")}/app.yaml`;
    const content = fs.readFileSync(path.join(tree, file), "utf8");
    fs.writeFileSync(
      path.join(tree, file),
      content.replace(/image: .*/, "image: ghcr.io/fixture-org/orders-api:main"),
    );
    const moved = workspace.run(check, tree, {});
    assert.equal(moved.status, 1);
    assert.equal(
      String(moved.stdout).trim(),
      `::error file=${file}::ghcr.io/fixture-org/orders-api:main can move: staging runs immutable images only (a digest, a sha-<commit> tag or a version tag); promote the app to set one`,
    );
  });

  it("the validate workflow refuses two Apps claiming one host in an environment, by default name or explicitly", () => {
    const check = step(management[".github/workflows/validate.yaml"]!, "validate", UNIQUE_HOSTS_STEP);
    const tree = workspace.clone("hosts");
    const ok = workspace.run(check, tree, {});
    assert.equal(ok.status, 0, `${String(ok.stdout)}\n${String(ok.stderr)}`);
    // Another team's App whose explicit host is orders-api's default one.
    const folder = path.join(tree, managementRepoPaths.app("dev", "search", "hijack"));
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(
      path.join(folder, "app.yaml"),
      YAML.stringify(
        appResource({
          name: "hijack",
          namespace: "team-search",
          image: "ghcr.io/fixture-org/hijack:1.0.0",
          host: `orders-api.${domains["dev"]!}`,
        }),
      ),
    );
    const claimed = workspace.run(check, tree, {});
    assert.equal(claimed.status, 1);
    assert.equal(
      String(claimed.stdout).trim(),
      `::error::dev: more than one App claims orders-api.${domains["dev"]!}; give each App a host of its own`,
    );
  });

  it("create-app adds a new app's Backstage and Port entries, exactly what a configured app gets", () => {
    const catalog = step(management[".github/workflows/create-app.yaml"]!, "create-app", CATALOG_STEP);
    const tree = workspace.clone("catalog");
    // orders-api (team orders, with a database) is also a configured app: its entries are in teams/orders.yaml.
    const run = workspace.run(catalog, tree, { APP_NAME: "orders-api", TEAM: "orders", DATABASE: "true" });
    assert.equal(run.status, 0, `${String(run.stdout)}\n${String(run.stderr)}`);
    const written = parseAll(
      fs.readFileSync(path.join(tree, "catalog/backstage/apps/orders-api.yaml"), "utf8"),
    );
    const team = parseAll(management["catalog/backstage/teams/orders.yaml"]!).filter(
      (entity) => entity["kind"] !== "System",
    );
    assert.deepEqual(written, team);
    const port = JSON.parse(
      fs.readFileSync(path.join(tree, "catalog/port/apps/orders-api.json"), "utf8"),
    ) as Json[];
    const configured = (JSON.parse(management["catalog/port/entities.json"]!) as Json[]).filter((entity) =>
      ["orders-api", "orders-api-api", "orders-api-database"].includes(String(entity["identifier"])),
    );
    assert.deepEqual(port, configured);
    // The created-apps Location lists it; the catalog's root Location includes that one.
    const location = parseAll(fs.readFileSync(path.join(tree, "catalog/backstage/apps.yaml"), "utf8"))[0]!;
    assert.deepEqual((location["spec"] as { targets: string[] }).targets, ["./apps/orders-api.yaml"]);
    const root = parseAll(management["catalog/backstage/all.yaml"]!)[0]!;
    assert.ok((root["spec"] as { targets: string[] }).targets.includes("./apps.yaml"));
  });
});

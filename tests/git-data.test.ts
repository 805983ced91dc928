/**
 * The seeding provider (components/github/git-data.ts) against an in-memory GitHub: one commit per
 * sync, seed-once and managed rules, idempotence, retries when the branch moves, GitHub App auth,
 * diff and refresh, and the provider as Pulumi serializes it into the state.
 */
import * as assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  appJwt,
  checkSeed,
  diffSeed,
  gitBlobSha,
  MAX_SYNC_ATTEMPTS,
  createRepositorySeedProvider,
  syncRepository,
  type SeedDeps,
  type SeedInputs,
  type SeedOutputs,
} from "../components/github/git-data";
import { seedProviderSource } from "../components/github/repository-seed";
import { PROJECT_ROOT } from "../synth/stack-files";
import { FakeGitHub } from "./fake-github";

const REPO = "acme/platform-management";

function deps(github: FakeGitHub, sleeps: number[] = []): SeedDeps {
  return {
    fetch: github.fetch,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: () => Date.UTC(2026, 0, 1),
  };
}

function inputs(files: SeedInputs["files"], extra: Partial<SeedInputs> = {}): SeedInputs {
  return {
    owner: "acme",
    repository: "platform-management",
    branch: "main",
    message: "Seed from the platform",
    files,
    credentials: { token: "test-token" },
    ...extra,
  };
}

const FILES: SeedInputs["files"] = {
  "README.md": { content: "# ours\n", mode: "seed-once" },
  ".github/CODEOWNERS": { content: "* @acme/platform\n", mode: "managed" },
  "environments/dev/apps/payments/checkout-api/app.yaml": { content: "kind: App\n", mode: "seed-once" },
};

describe("seeding provider (Git Data API)", () => {
  let github: FakeGitHub;
  beforeEach(() => {
    github = new FakeGitHub();
    github.seedRepository(REPO, "main", { "README.md": "# platform-management\n" });
  });

  it("writes every file in one commit on top of the branch: one tree, one commit, one ref update", async () => {
    const before = github.heads.get(`${REPO}:main`)!;
    const outs = await syncRepository(inputs(FILES), deps(github));
    assert.deepEqual(
      github.writes().map((r) => `${r.method} ${r.path}`),
      [
        "POST /repos/acme/platform-management/git/trees",
        "POST /repos/acme/platform-management/git/commits",
        "PATCH /repos/acme/platform-management/git/refs/heads/main",
      ],
    );
    const commit = github.headCommit(REPO, "main");
    assert.deepEqual(commit.parents, [before]);
    assert.equal(outs.commitSha, github.heads.get(`${REPO}:main`));
    assert.equal(github.file(REPO, "main", ".github/CODEOWNERS"), "* @acme/platform\n");
    assert.equal(
      github.file(REPO, "main", "environments/dev/apps/payments/checkout-api/app.yaml"),
      "kind: App\n",
    );
    // The ref update refuses anything but a fast-forward.
    assert.deepEqual(github.writes()[2]!.body, { sha: outs.commitSha, force: false });
    // The tree is built on the current one: files not seeded stay.
    assert.equal((github.writes()[0]!.body as { base_tree: string }).base_tree.length, 40);
  });

  it("never overwrites a seed-once file that exists, and rewrites a managed file that differs", async () => {
    await syncRepository(inputs(FILES), deps(github));
    assert.equal(github.file(REPO, "main", "README.md"), "# platform-management\n", "seed-once: kept");
    // People edit both kinds of file after bootstrap.
    github.pushOutOfBand(
      REPO,
      "main",
      "environments/dev/apps/payments/checkout-api/app.yaml",
      "kind: App # edited\n",
    );
    github.pushOutOfBand(REPO, "main", ".github/CODEOWNERS", "* @someone\n");
    const outs = await syncRepository(inputs(FILES), deps(github));
    assert.equal(
      github.file(REPO, "main", "environments/dev/apps/payments/checkout-api/app.yaml"),
      "kind: App # edited\n",
    );
    assert.equal(github.file(REPO, "main", ".github/CODEOWNERS"), "* @acme/platform\n");
    const tree = (github.writes().at(-3)!.body as { tree: Array<{ path: string }> }).tree;
    assert.deepEqual(
      tree.map((entry) => entry.path),
      [".github/CODEOWNERS"],
    );
    assert.equal(outs.blobShas[".github/CODEOWNERS"], gitBlobSha("* @acme/platform\n"));
    assert.equal(outs.blobShas["README.md"], gitBlobSha("# platform-management\n"));
  });

  it("is idempotent: a second sync with nothing to change writes nothing", async () => {
    const first = await syncRepository(inputs(FILES), deps(github));
    const writes = github.writes().length;
    const second = await syncRepository(inputs(FILES), deps(github));
    assert.equal(github.writes().length, writes);
    assert.equal(second.commitSha, first.commitSha);
    assert.deepEqual(second.blobShas, first.blobShas);
  });

  it("starts again from the new head when someone else moved the branch (422 not a fast forward)", async () => {
    let intruder: string | undefined;
    github.beforeRefUpdate = (attempt) => {
      if (attempt === 1) intruder = github.pushOutOfBand(REPO, "main", "other.txt", "someone else\n");
    };
    const sleeps: number[] = [];
    const outs = await syncRepository(inputs(FILES), deps(github, sleeps));
    assert.equal(sleeps.length, 1, "backed off once");
    const commit = github.headCommit(REPO, "main");
    assert.deepEqual(commit.parents, [intruder], "rebuilt on the intruding commit");
    assert.equal(outs.commitSha, github.heads.get(`${REPO}:main`));
    assert.equal(github.file(REPO, "main", "other.txt"), "someone else\n", "the other commit survives");
    assert.equal(github.file(REPO, "main", ".github/CODEOWNERS"), "* @acme/platform\n");
    assert.equal(github.writes().filter((r) => r.method === "PATCH").length, 2);
  });

  it("gives up after a bounded number of attempts when the branch keeps moving", async () => {
    github.refuseRefUpdate = { status: 422, message: "Update is not a fast forward" };
    const sleeps: number[] = [];
    await assert.rejects(
      syncRepository(inputs(FILES), deps(github, sleeps)),
      new RegExp(`main moved during each of ${MAX_SYNC_ATTEMPTS} attempts to commit; run pulumi up again`),
    );
    assert.deepEqual(sleeps, [500, 1000, 2000, 4000]);
  });

  it("does not take a 409 for a race: GitHub answers 409 for an empty repository, never for a moved branch", async () => {
    github.refuseRefUpdate = { status: 409, message: "Git Repository is empty." };
    const sleeps: number[] = [];
    await assert.rejects(
      syncRepository(inputs(FILES), deps(github, sleeps)),
      /answered 409: Git Repository is empty\./,
    );
    assert.deepEqual(sleeps, []);
  });

  it("explains a ruleset refusal instead of retrying it", async () => {
    github.refuseRefUpdate = { status: 422, message: "Repository rule violations found" };
    const sleeps: number[] = [];
    await assert.rejects(
      syncRepository(inputs(FILES), deps(github, sleeps)),
      /a repository rule refused the seeding commit on main .*must be a bypass actor/,
    );
    assert.deepEqual(sleeps, []);
  });

  it("initializes an empty repository with its first file, then commits the rest on top", async () => {
    github.emptyRepositories.add("acme/empty");
    const outs = await syncRepository(inputs(FILES, { repository: "empty" }), deps(github));
    assert.deepEqual(
      github.writes().map((r) => `${r.method} ${r.path}`),
      [
        "PUT /repos/acme/empty/contents/.github/CODEOWNERS",
        "POST /repos/acme/empty/git/trees",
        "POST /repos/acme/empty/git/commits",
        "PATCH /repos/acme/empty/git/refs/heads/main",
      ],
    );
    assert.equal((github.writes()[0]!.body as { branch: string }).branch, "main");
    assert.equal(github.headCommit("acme/empty", "main").parents.length, 1);
    for (const [path, file] of Object.entries(FILES)) {
      assert.equal(github.file("acme/empty", "main", path), file.content);
      assert.equal(outs.blobShas[path], gitBlobSha(file.content));
    }
  });

  it("refuses a branch or repository that does not exist", async () => {
    await assert.rejects(
      syncRepository(inputs(FILES, { branch: "release" }), deps(github)),
      /acme\/platform-management has no branch release \(or the repository does not exist\)/,
    );
  });

  it("authenticates as a GitHub App: RS256 JWT, then an installation token for every call", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    github.appPublicKey = publicKey.export({ type: "spki", format: "pem" }).toString();
    github.appId = 123456;
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await syncRepository(
      inputs(FILES, { credentials: { appId: 123456, installationId: 42, privateKey: pem } }),
      deps(github),
    );
    const [mint, ...rest] = github.requests;
    assert.equal(mint!.path, "/app/installations/42/access_tokens");
    assert.deepEqual([...github.issuedTokens.values()], [42]);
    assert.ok(rest.length > 0 && rest.every((r) => r.authorization === "Bearer ghs_installation_1"));
    const claims = JSON.parse(
      Buffer.from(appJwt(123456, pem, Date.UTC(2026, 0, 1)).split(".")[1]!, "base64url").toString(),
    ) as { iss: number; iat: number; exp: number };
    assert.deepEqual(claims, {
      iss: 123456,
      iat: Date.UTC(2026, 0, 1) / 1000 - 60,
      exp: Date.UTC(2026, 0, 1) / 1000 + 540,
    });
  });

  it("never puts credentials in URLs", async () => {
    await syncRepository(inputs(FILES), deps(github));
    assert.ok(github.requests.every((r) => !r.path.includes("test-token")));
  });
});

describe("seeding provider: diff, refresh, delete, check", () => {
  const olds = (files: SeedInputs["files"], blobShas: Record<string, string>): SeedOutputs => ({
    ...inputs(files),
    commitSha: "a".repeat(40),
    blobShas,
  });
  const synced = olds(
    FILES,
    Object.fromEntries(Object.entries(FILES).map(([path, file]) => [path, gitBlobSha(file.content)])),
  );

  it("reports no change when nothing the repository needs differs", () => {
    assert.deepEqual(diffSeed(synced, inputs(FILES)), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("changes for a managed file's new content, a new file, a changed rule and new credentials", () => {
    const changed = (files: SeedInputs["files"], extra: Partial<SeedInputs> = {}) =>
      diffSeed(synced, inputs(files, extra)).changes;
    assert.equal(
      changed({ ...FILES, ".github/CODEOWNERS": { content: "* @acme/admins\n", mode: "managed" } }),
      true,
    );
    assert.equal(changed({ ...FILES, "new.txt": { content: "x", mode: "seed-once" } }), true);
    assert.equal(changed({ ...FILES, "README.md": { content: "# ours\n", mode: "managed" } }), true);
    assert.equal(changed(FILES, { credentials: { token: "rotated" } }), true);
  });

  it("ignores a seed-once file's new content: people own that file", () => {
    const files = {
      ...FILES,
      "README.md": { content: "# rewritten by the platform\n", mode: "seed-once" as const },
    };
    assert.equal(diffSeed(synced, inputs(files)).changes, false);
  });

  it("replaces when the repository, owner or branch changes", () => {
    assert.deepEqual(diffSeed(synced, inputs(FILES, { repository: "other" })).replaces, ["repository"]);
  });

  it("refresh reads what the repository holds; a deleted managed file then makes a change", async () => {
    const github = new FakeGitHub();
    github.seedRepository(REPO, "main", {});
    const provider = createRepositorySeedProvider(() => deps(github));
    const created = await provider.create(inputs(FILES));
    assert.equal(created.id, "acme/platform-management:main");
    github.deleteFile(REPO, "main", ".github/CODEOWNERS");
    const read = await provider.read(created.id, created.outs);
    assert.equal(read.props.blobShas[".github/CODEOWNERS"], undefined);
    assert.equal(read.props.commitSha, github.heads.get(`${REPO}:main`));
    assert.equal((await provider.diff(created.id, read.props, inputs(FILES))).changes, true);
    const updated = await provider.update(created.id, read.props, inputs(FILES));
    assert.equal(github.file(REPO, "main", ".github/CODEOWNERS"), "* @acme/platform\n");
    assert.equal(updated.outs.blobShas[".github/CODEOWNERS"], gitBlobSha("* @acme/platform\n"));
  });

  it("refresh of a repository that is gone drops the resource, so the next up seeds it again", async () => {
    const github = new FakeGitHub();
    const provider = createRepositorySeedProvider(() => deps(github));
    const read = await provider.read("acme/gone:main", { ...synced, repository: "gone" });
    assert.equal(read.id, "");
  });

  it("delete never touches the repository", async () => {
    const github = new FakeGitHub();
    const provider = createRepositorySeedProvider(() => deps(github));
    await provider.delete();
    assert.equal(github.requests.length, 0);
  });

  it("check rejects paths that leave the repository and unknown rules", () => {
    assert.deepEqual(
      checkSeed(
        inputs({
          "../escape": { content: "", mode: "managed" },
          "/absolute": { content: "", mode: "managed" },
          "a/./b": { content: "", mode: "managed" },
          ok: { content: "", mode: "sometimes" as never },
        }),
      ).map((f) => f.reason),
      [
        "../escape: must be a relative path without . or .. segments",
        "/absolute: must be a relative path without . or .. segments",
        "a/./b: must be a relative path without . or .. segments",
        "ok: mode must be managed or seed-once",
      ],
    );
    assert.deepEqual(checkSeed(inputs(FILES)), []);
  });
});

describe("seeding provider as stored in the state", () => {
  it("is self-contained: the stored code runs against GitHub through the global fetch", async () => {
    const text = seedProviderSource();
    assert.equal(
      text,
      fs.readFileSync(path.join(PROJECT_ROOT, "components/github/seed-provider.js"), "utf8"),
    );
    assert.ok(text.length < 64_000, `the provider's code is ${text.length} bytes`);
    // Only Node built-ins are required at run time: nothing of the project or its packages.
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(required)], ["node:crypto"]);

    const module = { exports: {} as Record<string, unknown> };
    // Evaluate the text as Pulumi's dynamic-provider host does: a CommonJS module whose handler()
    // returns the provider.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const load = new Function("exports", "require", "module", text) as (
      exports: unknown,
      require: NodeJS.Require,
      module: unknown,
    ) => void;
    load(module.exports, require, module);
    const provider = (module.exports["handler"] as () => ReturnType<typeof createRepositorySeedProvider>)();

    const github = new FakeGitHub();
    github.seedRepository(REPO, "main", {});
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((
      url: string,
      init: { method: string; headers: Record<string, string>; body?: string },
    ) => github.fetch(url, init)) as unknown as typeof fetch;
    try {
      const created = await provider.create(inputs(FILES));
      assert.equal(github.file(REPO, "main", ".github/CODEOWNERS"), "* @acme/platform\n");
      assert.equal(created.outs.commitSha, github.heads.get(`${REPO}:main`));
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});

/**
 * The seeding provider against GitHub's answers when it refuses or struggles (tests/fake-github.ts
 * answers as GitHub does): missing `workflow` scope or Workflows permission, rate limits, stalls and
 * 5xx, repositories that are gone or only invisible, executable and binary files, new provider code,
 * and an organization secret whose value update empties its repository list.
 */
import * as assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  createProvider,
  diffSeed,
  gitBlobSha,
  MAX_REQUEST_ATTEMPTS,
  readSeed,
  syncRepository,
  type SeedDeps,
  type SeedInputs,
  type SeedOutputs,
} from "../components/github/git-data";
import { seedProviderVersion } from "../components/github/repository-seed";
import { FakeGitHub } from "./fake-github";

const REPO = "acme/platform-management";
const NOW = Date.UTC(2026, 0, 1);

function deps(github: FakeGitHub, sleeps: number[] = [], extra: Partial<SeedDeps> = {}): SeedDeps {
  return {
    fetch: github.fetch,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: () => NOW,
    ...extra,
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

const WORKFLOW: SeedInputs["files"] = {
  ".github/workflows/validate.yaml": { content: "on: push\n", mode: "managed" },
  "README.md": { content: "# seeded\n", mode: "managed" },
};

function app(github: FakeGitHub): SeedInputs["credentials"] {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  github.appPublicKey = publicKey.export({ type: "spki", format: "pem" }).toString();
  github.appId = 123456;
  return {
    appId: 123456,
    installationId: 42,
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

describe("GitHub: what a real organization answers", () => {
  let github: FakeGitHub;
  beforeEach(() => {
    github = new FakeGitHub();
    github.seedRepository(REPO, "main", { "README.md": "# platform-management\n" });
  });

  describe("workflow files", () => {
    it("stops before writing anything when the token lacks the workflow scope, naming it", async () => {
      github.tokenScopes = ["repo", "admin:org"];
      await assert.rejects(
        syncRepository(inputs(WORKFLOW), deps(github)),
        /^Error: The GitHub token lacks the workflow scope, needed to write \.github\/workflows\/validate\.yaml \(its scopes: repo, admin:org\)/,
      );
      assert.deepEqual(github.writes(), []);
    });

    it("explains GitHub's 404 when a token's scopes are not visible (fine-grained) and it lacks workflows", async () => {
      github.tokenScopes = [];
      // A fine-grained token: no X-OAuth-Scopes to read before writing; GitHub answers the tree with 404.
      const original = github.fetch;
      const noScopes: typeof github.fetch = async (url, init) => {
        const response = await original(url, init);
        return {
          ...response,
          headers: {
            get: (name: string) => (name === "x-oauth-scopes" ? null : response.headers!.get(name)),
          },
        };
      };
      await assert.rejects(
        syncRepository(inputs(WORKFLOW), { ...deps(github), fetch: noScopes }),
        /GitHub refused to write \.github\/workflows\/validate\.yaml \(404 Not Found\): writing workflow files needs the token's workflow scope or the App's Workflows permission/,
      );
    });

    it("stops before writing when the App installation lacks the Workflows permission, naming it", async () => {
      const credentials = app(github);
      github.installationPermissions = { contents: "write", metadata: "read" };
      await assert.rejects(
        syncRepository(inputs(WORKFLOW, { credentials }), deps(github)),
        /^Error: GitHub App installation 42 lacks the permission workflows: write, needed to write \.github\/workflows\/validate\.yaml \(App settings → Permissions → Repository permissions → Workflows: Read and write/,
      );
      assert.deepEqual(
        github.writes().filter((r) => r.path.includes("/git/")),
        [],
      );
    });

    it("names the permission GitHub says a refused call needs", async () => {
      github.inject.push({
        method: "POST",
        path: /\/git\/commits$/,
        status: 403,
        body: { message: "Resource not accessible by integration" },
        headers: { "x-accepted-github-permissions": "contents=write" },
      });
      await assert.rejects(
        syncRepository(inputs({ "README.md": { content: "# x\n", mode: "managed" } }), deps(github)),
        /answered 403: Resource not accessible by integration \(it needs the permission contents=write\)$/,
      );
    });

    it("writes workflow files with the scope", async () => {
      await syncRepository(inputs(WORKFLOW), deps(github));
      assert.equal(github.file(REPO, "main", ".github/workflows/validate.yaml"), "on: push\n");
    });
  });

  describe("limits, stalls and failures", () => {
    it("waits Retry-After on a 429, then goes on", async () => {
      github.inject.push({
        method: "POST",
        path: /\/git\/trees$/,
        status: 429,
        body: { message: "You have exceeded a secondary rate limit." },
        headers: { "retry-after": "7" },
      });
      const sleeps: number[] = [];
      await syncRepository(inputs(WORKFLOW), deps(github, sleeps));
      assert.deepEqual(sleeps, [7000]);
      assert.equal(github.file(REPO, "main", "README.md"), "# seeded\n");
    });

    it("waits for a primary rate limit's reset when it is near, and stops saying when otherwise", async () => {
      const headers = (resetIn: number) => ({
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(NOW / 1000) + resetIn),
      });
      github.inject.push({
        path: /\/git\/ref\/heads\/main$/,
        status: 403,
        body: { message: "API rate limit exceeded" },
        headers: headers(120),
      });
      const sleeps: number[] = [];
      await syncRepository(inputs(WORKFLOW), deps(github, sleeps));
      assert.deepEqual(sleeps, [121_000]);
      github.inject.push({
        path: /\/git\/ref\/heads\/main$/,
        status: 403,
        body: { message: "API rate limit exceeded" },
        headers: headers(3600),
      });
      await assert.rejects(
        syncRepository(inputs(WORKFLOW), deps(github)),
        /GitHub's rate limit is used up until 2026-01-01T01:00:00\.000Z: run pulumi up again after that/,
      );
    });

    it("retries a 5xx and a stalled request, within a bounded number of attempts", async () => {
      github.inject.push({
        path: /\/git\/commits$/,
        method: "POST",
        status: 502,
        body: { message: "Bad Gateway" },
      });
      github.inject.push({
        path: /\/git\/trees\/\w+\?recursive=1$/,
        status: 0,
        body: undefined,
        stall: true,
      });
      const sleeps: number[] = [];
      await syncRepository(inputs(WORKFLOW), deps(github, sleeps, { timeoutMs: 20 }));
      assert.deepEqual(sleeps, [1000, 1000]);
      for (let i = 0; i < MAX_REQUEST_ATTEMPTS; i++) {
        github.inject.push({
          path: /\/git\/ref\/heads\/main$/,
          status: 503,
          body: { message: "Unavailable" },
        });
      }
      await assert.rejects(syncRepository(inputs(WORKFLOW), deps(github)), /answered 503: Unavailable/);
    });
  });

  describe("refresh: gone or not visible", () => {
    const seeded = async (github: FakeGitHub, credentials: SeedInputs["credentials"]): Promise<SeedOutputs> =>
      syncRepository(
        inputs({ "README.md": { content: "# x\n", mode: "managed" } }, { credentials }),
        deps(github),
      );

    it("drops a repository that is gone (an installation that sees every repository does not see it)", async () => {
      const credentials = app(github);
      const outs = await seeded(github, credentials);
      github.heads.delete(`${REPO}:main`);
      assert.equal((await readSeed("acme/platform-management:main", outs, deps(github))).id, "");
    });

    it("stops with the reason when the repository is only invisible, instead of dropping the seed", async () => {
      const credentials = app(github);
      const outs = await seeded(github, credentials);
      github.invisible.add(REPO);
      github.installation = { repository_selection: "selected", suspended_at: null };
      await assert.rejects(
        readSeed("acme/platform-management:main", outs, deps(github)),
        /acme\/platform-management is not visible to Pulumi's GitHub credentials: GitHub App installation 42 sees only selected repositories, and acme\/platform-management is not one of them/,
      );
      github.installation = { repository_selection: "all", suspended_at: "2026-01-01T00:00:00Z" };
      await assert.rejects(readSeed("x", outs, deps(github)), /installation 42 is suspended/);
    });

    it("names an uninstalled App", async () => {
      const credentials = app(github);
      const outs = await seeded(github, credentials);
      github.installation = undefined;
      await assert.rejects(
        readSeed("x", outs, deps(github)),
        /GitHub App 123456 has no installation 42 \(uninstalled\?\)/,
      );
    });
  });

  describe("files", () => {
    it("keeps an executable file executable, and rewrites a managed file whose mode differs", async () => {
      const script = {
        "scripts/check.sh": { content: "#!/bin/sh\nexit 0\n", mode: "managed" as const, executable: true },
      };
      await syncRepository(inputs(script), deps(github));
      assert.equal(github.mode(REPO, "main", "scripts/check.sh"), "100755");
      const before = github.heads.get(`${REPO}:main`);
      await syncRepository(inputs(script), deps(github));
      assert.equal(github.heads.get(`${REPO}:main`), before, "nothing to change");
      await syncRepository(
        inputs({ "scripts/check.sh": { ...script["scripts/check.sh"], executable: false } }),
        deps(github),
      );
      assert.equal(github.mode(REPO, "main", "scripts/check.sh"), "100644");
    });

    it("writes bytes given in base64 as a blob of their own", async () => {
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]).toString(
        "base64",
      );
      const outs = await syncRepository(
        inputs({ "docs/logo.png": { content: png, mode: "managed", encoding: "base64" } }),
        deps(github),
      );
      assert.equal(outs.blobShas["docs/logo.png"], gitBlobSha(png, "base64"));
      assert.ok(github.writes().some((r) => r.path.endsWith("/git/blobs")));
    });
  });

  it("applies new provider code: its digest is an input, so a code change alone is a change", () => {
    const base = inputs({ "README.md": { content: "x", mode: "managed" } });
    const olds = {
      ...base,
      providerVersion: "old",
      commitSha: "c",
      blobShas: { "README.md": gitBlobSha("x") },
    };
    assert.equal(diffSeed(olds, { ...base, providerVersion: "old" }).changes, false);
    assert.equal(diffSeed(olds, { ...base, providerVersion: seedProviderVersion() }).changes, true);
    assert.match(seedProviderVersion(), /^[0-9a-f]{16}$/);
  });

  it("the host's handler is the seed provider", async () => {
    const provider = createProvider(() => deps(github));
    const seed = await provider.create(inputs({ "README.md": { content: "# routed\n", mode: "managed" } }));
    assert.equal(github.file(REPO, "main", "README.md"), "# routed\n");
    assert.equal((await provider.read(seed.id, seed.outs)).id, seed.id);
  });
});

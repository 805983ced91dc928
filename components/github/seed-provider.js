// @ts-check
/**
 * The provider behind `RepositorySeed`: seeds many files into one branch of a GitHub repository as ONE
 * commit through the Git Data API (tree with `base_tree` → commit → fast-forward ref update), instead of
 * one Contents API write per file. One write per repository cannot race with itself, so the 409 "is at X
 * but expected Y" conflicts of per-file writes (integrations/terraform-provider-github#2909) cannot
 * happen; when someone else moves the branch between our read and our ref update, GitHub refuses the
 * fast-forward and the sync starts again from the new head. An empty repository (the Git Data API
 * refuses those) first gets its first file through the Contents API.
 *
 * Rules per file:
 * - `managed`: the platform owns it; written whenever the repository's content differs.
 * - `seed-once`: people own it after bootstrap; written only when the path does not exist.
 * - Deleting the resource (or dropping a file) never deletes anything from the repository.
 *
 * This file is stored verbatim in the Pulumi state as the dynamic provider's code (`__provider`; the
 * Node.js dynamic-provider host loads it as a CommonJS module and calls `exports.handler()`). So it is
 * plain JavaScript, self-contained: it requires only `node:crypto` and talks HTTP through the global
 * `fetch` (Node 22). Every side effect goes through `SeedDeps`, so tests drive it with a fake `fetch`
 * and no network. Types live in git-data.ts and are checked here through JSDoc.
 */
"use strict";

const { createHash, createSign } = require("node:crypto");

/** @typedef {import("./git-data").SeedFileSpec} SeedFileSpec */
/** @typedef {import("./git-data").SeedInputs} SeedInputs */
/** @typedef {import("./git-data").SeedOutputs} SeedOutputs */
/** @typedef {import("./git-data").SeedDeps} SeedDeps */
/** @typedef {import("./git-data").SeedPlan} SeedPlan */
/** @typedef {{ readonly sha: string; readonly type: string }} TreeEntry */
/** @typedef {{ readonly head: string; readonly tree: string; readonly entries: ReadonlyMap<string, TreeEntry> }} RepositoryState */
/**
 * @typedef {object} Api
 * @property {(method: string, path: string, body?: unknown, accept?: readonly number[]) => Promise<{ status: number; data: unknown }>} call
 */

/** Ref updates attempted before giving up when the branch keeps moving. */
const MAX_SYNC_ATTEMPTS = 5;
const DEFAULT_API = "https://api.github.com";

class GitHubApiError extends Error {
  /**
   * @param {number} status
   * @param {string} method
   * @param {string} path
   * @param {string} detail
   */
  constructor(status, method, path, detail) {
    super(`GitHub API ${method} ${path} answered ${status}: ${detail}`);
    this.name = "GitHubApiError";
    this.status = status;
    this.method = method;
    this.path = path;
    this.detail = detail;
  }
}

/**
 * Git's object id of a blob: sha1("blob <bytes>\0<content>"). Compares local content with the repository's.
 * @param {string} content
 * @returns {string}
 */
function gitBlobSha(content) {
  const bytes = Buffer.from(content, "utf8");
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`, "utf8"), bytes]))
    .digest("hex");
}

/** @param {Buffer | string} data */
function base64url(data) {
  return Buffer.from(data).toString("base64url");
}

/**
 * A GitHub App JWT (RS256), valid 9 minutes from 60 seconds ago (clock drift), as GitHub recommends.
 * @param {number} appId
 * @param {string} privateKey
 * @param {number} nowMilliseconds
 * @returns {string}
 */
function appJwt(appId, privateKey, nowMilliseconds) {
  const now = Math.floor(nowMilliseconds / 1000);
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ iat: now - 60, exp: now + 540, iss: appId }));
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

/**
 * @param {SeedDeps} deps
 * @param {string} root
 * @param {string} authorization
 * @returns {Api}
 */
function api(deps, root, authorization) {
  return {
    async call(method, path, body, accept = []) {
      const response = await deps.fetch(`${root}${path}`, {
        method,
        headers: {
          accept: "application/vnd.github+json",
          authorization,
          "x-github-api-version": "2022-11-28",
          "user-agent": "idp-platform-seed",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      /** @type {unknown} */
      let data = undefined;
      try {
        data = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        data = text;
      }
      if ((response.status < 200 || response.status >= 300) && !accept.includes(response.status)) {
        const message =
          data !== null && typeof data === "object" && "message" in data
            ? String(data.message)
            : text.slice(0, 200);
        throw new GitHubApiError(response.status, method, path, message);
      }
      return { status: response.status, data };
    },
  };
}

/**
 * An authenticated client: the token as is, or an installation token minted from the App's JWT.
 * @param {Pick<SeedInputs, "credentials" | "apiUrl">} inputs
 * @param {SeedDeps} deps
 * @returns {Promise<Api>}
 */
async function connect(inputs, deps) {
  const root = (inputs.apiUrl ?? DEFAULT_API).replace(/\/+$/, "");
  const credentials = inputs.credentials;
  if ("token" in credentials) return api(deps, root, `Bearer ${credentials.token}`);
  const jwt = appJwt(credentials.appId, credentials.privateKey, deps.now());
  /** @type {{ data: { token: string } }} */
  const minted = /** @type {any} */ (
    await api(deps, root, `Bearer ${jwt}`).call(
      "POST",
      `/app/installations/${credentials.installationId}/access_tokens`,
    )
  );
  return api(deps, root, `Bearer ${minted.data.token}`);
}

/** @param {Pick<SeedInputs, "owner" | "repository">} inputs */
function repoPath(inputs) {
  return `/repos/${encodeURIComponent(inputs.owner)}/${encodeURIComponent(inputs.repository)}`;
}

/** @param {string} branch */
function refPath(branch) {
  return branch.split("/").map(encodeURIComponent).join("/");
}

/**
 * The branch head and its full tree; "empty" for a repository without any commit (GitHub answers 409),
 * "missing" when the repository or the branch does not exist (404).
 * @param {Api} client
 * @param {SeedInputs} inputs
 * @returns {Promise<RepositoryState | "empty" | "missing">}
 */
async function readRepository(client, inputs) {
  const repo = repoPath(inputs);
  /** @type {{ status: number; data: { object: { sha: string } } }} */
  const ref = /** @type {any} */ (
    await client.call("GET", `${repo}/git/ref/heads/${refPath(inputs.branch)}`, undefined, [404, 409])
  );
  if (ref.status === 409) return "empty";
  if (ref.status === 404) return "missing";
  const head = ref.data.object.sha;
  /** @type {{ data: { tree: { sha: string } } }} */
  const commit = /** @type {any} */ (await client.call("GET", `${repo}/git/commits/${head}`));
  /** @type {{ data: { truncated: boolean; tree: Array<{ path: string; sha: string; type: string }> } }} */
  const listing = /** @type {any} */ (
    await client.call("GET", `${repo}/git/trees/${commit.data.tree.sha}?recursive=1`)
  );
  const tree = listing.data;
  if (tree.truncated) {
    throw new Error(
      `${inputs.owner}/${inputs.repository}: the tree of ${inputs.branch} is too large to list in one request; seed a smaller repository`,
    );
  }
  return {
    head,
    tree: commit.data.tree.sha,
    entries: new Map(tree.tree.map((entry) => [entry.path, { sha: entry.sha, type: entry.type }])),
  };
}

/**
 * Which files to write against the repository's current tree. Pure.
 * @param {Readonly<Record<string, SeedFileSpec>>} files
 * @param {ReadonlyMap<string, TreeEntry>} existing
 * @returns {SeedPlan}
 */
function planChanges(files, existing) {
  /** @type {string[]} */
  const writes = [];
  /** @type {Record<string, string>} */
  const blobShas = {};
  for (const path of Object.keys(files).sort()) {
    const file = /** @type {SeedFileSpec} */ (files[path]);
    const current = existing.get(path);
    if (current !== undefined && current.type !== "blob") {
      throw new Error(`${path} exists in the repository as a ${current.type}, not a file`);
    }
    const desired = gitBlobSha(file.content);
    if (current === undefined || (file.mode === "managed" && current.sha !== desired)) {
      writes.push(path);
      blobShas[path] = desired;
    } else {
      blobShas[path] = current.sha;
    }
  }
  return { writes, blobShas };
}

/**
 * A refused ref update that a retry from the new head can fix: the branch moved under us.
 * @param {unknown} error
 */
function isRefRace(error) {
  if (!(error instanceof GitHubApiError)) return false;
  if (error.status === 409) return true;
  return (
    error.status === 422 &&
    /fast.forward|is at .* but expected|reference cannot be updated/i.test(error.detail)
  );
}

/**
 * Brings the branch to the desired files in one new commit (two for an empty repository). Idempotent:
 * when nothing differs it writes nothing and returns the current head.
 * @param {SeedInputs} inputs
 * @param {SeedDeps} deps
 * @returns {Promise<SeedOutputs>}
 */
async function syncRepository(inputs, deps) {
  const client = await connect(inputs, deps);
  const repo = repoPath(inputs);
  let initialized = false;
  for (let attempt = 1; ; attempt++) {
    const state = await readRepository(client, inputs);
    if (state === "missing") {
      throw new Error(
        `${inputs.owner}/${inputs.repository} has no branch ${inputs.branch} (or the repository does not exist): seeding never creates branches other than the first`,
      );
    }
    if (state === "empty" && initialized) {
      throw new Error(`${inputs.owner}/${inputs.repository} is still empty after its first commit`);
    }
    if (state === "empty") {
      // The Git Data API refuses empty repositories: the Contents API writes the first file (and so the
      // branch); the other files follow as one commit on top of it.
      await initializeRepository(client, inputs);
      initialized = true;
      continue;
    }
    const plan = planChanges(inputs.files, state.entries);
    if (plan.writes.length === 0) return { ...inputs, commitSha: state.head, blobShas: plan.blobShas };

    /** @type {{ data: { sha: string } }} */
    const tree = /** @type {any} */ (
      await client.call("POST", `${repo}/git/trees`, {
        base_tree: state.tree,
        tree: plan.writes.map((path) => ({
          path,
          mode: "100644",
          type: "blob",
          content: /** @type {SeedFileSpec} */ (inputs.files[path]).content,
        })),
      })
    );
    /** @type {{ data: { sha: string } }} */
    const commit = /** @type {any} */ (
      await client.call("POST", `${repo}/git/commits`, {
        message: inputs.message,
        tree: tree.data.sha,
        parents: [state.head],
      })
    );
    try {
      await client.call("PATCH", `${repo}/git/refs/heads/${refPath(inputs.branch)}`, {
        sha: commit.data.sha,
        force: false,
      });
      return { ...inputs, commitSha: commit.data.sha, blobShas: plan.blobShas };
    } catch (error) {
      if (!isRefRace(error) || attempt >= MAX_SYNC_ATTEMPTS) {
        if (isRefRace(error)) {
          throw new Error(
            `${inputs.owner}/${inputs.repository}: ${inputs.branch} moved during each of ${MAX_SYNC_ATTEMPTS} attempts to commit; run pulumi up again`,
          );
        }
        if (error instanceof GitHubApiError && /rule/i.test(error.detail)) {
          throw new Error(
            `${inputs.owner}/${inputs.repository}: a repository rule refused the seeding commit on ${inputs.branch} (${error.detail}); the identity Pulumi authenticates with must be a bypass actor of the branch's ruleset`,
          );
        }
        throw error;
      }
      // Someone else moved the branch: back off, then rebuild the commit on the new head.
      await deps.sleep(500 * 2 ** (attempt - 1));
    }
  }
}

/**
 * The first commit of an empty repository: its first desired file, on the branch, via the Contents API.
 * @param {Api} client
 * @param {SeedInputs} inputs
 */
async function initializeRepository(client, inputs) {
  const [path] = Object.keys(inputs.files).sort();
  if (path === undefined) throw new Error("no files to seed");
  const encodedPath = path.split("/").map(encodeURIComponent).join("/");
  // 422/409: someone else initialized it meanwhile; the sync continues on top of their commit.
  await client.call(
    "PUT",
    `${repoPath(inputs)}/contents/${encodedPath}`,
    {
      message: inputs.message,
      content: Buffer.from(/** @type {SeedFileSpec} */ (inputs.files[path]).content, "utf8").toString(
        "base64",
      ),
      branch: inputs.branch,
    },
    [409, 422],
  );
}

/**
 * What the repository holds now for the desired paths: for `pulumi refresh`.
 * @param {string} id
 * @param {SeedOutputs} props
 * @param {SeedDeps} deps
 * @returns {Promise<{ id: string; props: SeedOutputs }>}
 */
async function readSeed(id, props, deps) {
  const client = await connect(props, deps);
  const state = await readRepository(client, props);
  if (state === "missing") return { id: "", props }; // gone: the next `pulumi up` seeds it again
  if (state === "empty") return { id, props: { ...props, commitSha: "", blobShas: {} } };
  /** @type {Record<string, string>} */
  const blobShas = {};
  for (const path of Object.keys(props.files)) {
    const entry = state.entries.get(path);
    if (entry !== undefined && entry.type === "blob") blobShas[path] = entry.sha;
  }
  return { id, props: { ...props, commitSha: state.head, blobShas } };
}

/** @type {ReadonlyArray<"owner" | "repository" | "branch">} */
const REPLACING_KEYS = ["owner", "repository", "branch"];

/**
 * Whether `pulumi up` must sync. Changes: a new path, a changed rule, a managed file whose content
 * differs from what the repository held at the last sync or refresh, new credentials or API root
 * (the state must carry working ones for refresh). A seed-once file's new content alone is no change:
 * people own that file now.
 * @param {SeedOutputs} olds
 * @param {SeedInputs} news
 * @returns {{ changes: boolean; replaces: string[]; deleteBeforeReplace: false }}
 */
function diffSeed(olds, news) {
  const replaces = REPLACING_KEYS.filter((key) => olds[key] !== news[key]);
  const oldFiles = olds.files ?? {};
  const oldShas = olds.blobShas ?? {};
  const filesChanged = Object.entries(news.files).some(([path, file]) => {
    const old = oldFiles[path];
    if (old === undefined || old.mode !== file.mode) return true;
    return file.mode === "managed" && oldShas[path] !== gitBlobSha(file.content);
  });
  const changes =
    replaces.length > 0 ||
    filesChanged ||
    JSON.stringify(olds.credentials) !== JSON.stringify(news.credentials) ||
    olds.apiUrl !== news.apiUrl;
  return { changes, replaces, deleteBeforeReplace: false };
}

/**
 * Input rules GitHub would otherwise reject halfway through.
 * @param {SeedInputs} news
 * @returns {Array<{ property: string; reason: string }>}
 */
function checkSeed(news) {
  /** @type {Array<{ property: string; reason: string }>} */
  const failures = [];
  for (const key of /** @type {const} */ (["owner", "repository", "branch", "message"])) {
    if (typeof news[key] !== "string" || news[key].length === 0) {
      failures.push({ property: key, reason: `${key} must be a non-empty string` });
    }
  }
  /** @type {Readonly<Record<string, SeedFileSpec | null>>} */
  const files = news.files ?? {};
  if (Object.keys(files).length === 0) failures.push({ property: "files", reason: "no files to seed" });
  for (const [path, file] of Object.entries(files)) {
    const segments = path.split("/");
    if (path.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..")) {
      failures.push({
        property: "files",
        reason: `${path}: must be a relative path without . or .. segments`,
      });
    }
    if (file === null || typeof file !== "object" || typeof file.content !== "string") {
      failures.push({ property: "files", reason: `${path}: content must be a string` });
    } else if (file.mode !== "managed" && file.mode !== "seed-once") {
      failures.push({ property: "files", reason: `${path}: mode must be managed or seed-once` });
    }
  }
  return failures;
}

/** @param {SeedInputs} inputs */
function seedId(inputs) {
  return `${inputs.owner}/${inputs.repository}:${inputs.branch}`;
}

/**
 * The dynamic provider, over the given side effects.
 * @param {() => SeedDeps} deps
 */
function createRepositorySeedProvider(deps) {
  return {
    /**
     * @param {SeedInputs} _olds
     * @param {SeedInputs} news
     */
    check(_olds, news) {
      const failures = checkSeed(news);
      return Promise.resolve(failures.length > 0 ? { inputs: news, failures } : { inputs: news });
    },
    /**
     * @param {string} _id
     * @param {SeedOutputs} olds
     * @param {SeedInputs} news
     */
    diff(_id, olds, news) {
      return Promise.resolve(diffSeed(olds, news));
    },
    /** @param {SeedInputs} inputs */
    async create(inputs) {
      return { id: seedId(inputs), outs: await syncRepository(inputs, deps()) };
    },
    /**
     * @param {string} id
     * @param {SeedOutputs} props
     */
    read(id, props) {
      return readSeed(id, props, deps());
    },
    /**
     * @param {string} _id
     * @param {SeedOutputs} _olds
     * @param {SeedInputs} news
     */
    async update(_id, _olds, news) {
      return { outs: await syncRepository(news, deps()) };
    },
    /** Deleting never removes files: the repository keeps what people built on the seed. */
    delete() {
      return Promise.resolve();
    },
  };
}

/**
 * Side effects of a real run: Node's global fetch and timers.
 * @returns {SeedDeps}
 */
function liveDeps() {
  return {
    fetch: (url, init) => fetch(url, init),
    sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
    now: () => Date.now(),
  };
}

module.exports = {
  MAX_SYNC_ATTEMPTS,
  GitHubApiError,
  gitBlobSha,
  appJwt,
  planChanges,
  syncRepository,
  readSeed,
  diffSeed,
  checkSeed,
  createRepositorySeedProvider,
  liveDeps,
  /** Entry point of the Node.js dynamic-provider host. */
  handler: () => createRepositorySeedProvider(liveDeps),
};

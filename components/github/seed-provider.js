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
 * Files are text (UTF-8) or, with `encoding: "base64"`, bytes; `executable` files get Git's mode 100755.
 *
 * Talking to GitHub: every request has a timeout and is retried on a 5xx, a timeout, a secondary rate
 * limit (after `Retry-After`, else a minute) and a primary one (until `x-ratelimit-reset`, when that is
 * near); a permission GitHub says is missing (`X-Accepted-GitHub-Permissions`, or the App installation's
 * own permission list read before writing) fails at once with one line naming it.
 *
 * This file is stored verbatim in the Pulumi state as the dynamic provider's code (`__provider`; the
 * Node.js dynamic-provider host loads it as a CommonJS module and calls `exports.handler()`). So it is
 * plain JavaScript, self-contained: it requires only `node:crypto` and talks HTTP through the global
 * `fetch` (Node 22). Every side effect goes through `SeedDeps`, so tests drive it with a fake `fetch`
 * and no network. Types live in git-data.ts and are checked here through JSDoc. The resources carry a
 * digest of this file as an input (`providerVersion`), so changed code is a change Pulumi applies,
 * and `refresh` and `delete` then run the new code too (a dynamic provider's code is otherwise not part
 * of its diff).
 */
"use strict";

const { createHash, createSign } = require("node:crypto");

/** @typedef {import("./git-data").SeedFileSpec} SeedFileSpec */
/** @typedef {import("./git-data").SeedInputs} SeedInputs */
/** @typedef {import("./git-data").SeedOutputs} SeedOutputs */
/** @typedef {import("./git-data").SeedDeps} SeedDeps */
/** @typedef {import("./git-data").SeedPlan} SeedPlan */
/** @typedef {{ readonly sha: string; readonly type: string; readonly mode?: string }} TreeEntry */
/** @typedef {{ readonly head: string; readonly tree: string; readonly entries: ReadonlyMap<string, TreeEntry> }} RepositoryState */
/**
 * @typedef {object} Api
 * @property {(method: string, path: string, body?: unknown, accept?: readonly number[]) => Promise<{ status: number; data: unknown }>} call
 * @property {string[] | undefined} scopes A classic token's scopes (`X-OAuth-Scopes`), once a call answered.
 * @property {Record<string, string>} [permissions] An App installation token's permissions.
 * @property {number} [installation] The App installation id.
 * @property {Api} [app] A client authenticated as the App itself (its JWT).
 */

/** Ref updates attempted before giving up when the branch keeps moving. */
const MAX_SYNC_ATTEMPTS = 5;
const DEFAULT_API = "https://api.github.com";
/** Attempts of one request on a 5xx, a timeout or a rate limit. */
const MAX_REQUEST_ATTEMPTS = 5;
/** A request that has not answered after this long is abandoned (and retried). */
const REQUEST_TIMEOUT_MS = 30_000;
/** The longest wait for a primary rate limit to reset; beyond it the run stops and says when to retry. */
const MAX_RATE_LIMIT_WAIT_MS = 15 * 60_000;
/** Where workflow files live: writing them needs the `workflow` scope or the Workflows permission. */
const WORKFLOWS = /^\.github\/workflows\//;

class GitHubApiError extends Error {
  /**
   * @param {number} status
   * @param {string} method
   * @param {string} path
   * @param {string} detail
   * @param {string} [acceptedPermissions] GitHub's `X-Accepted-GitHub-Permissions`: what the call needs.
   */
  constructor(status, method, path, detail, acceptedPermissions = "") {
    super(
      `GitHub API ${method} ${path} answered ${status}: ${detail}${acceptedPermissions ? ` (it needs the permission ${acceptedPermissions})` : ""}`,
    );
    this.name = "GitHubApiError";
    this.status = status;
    this.method = method;
    this.path = path;
    this.detail = detail;
    this.acceptedPermissions = acceptedPermissions;
  }
}

/**
 * How long to wait before retrying a response, or undefined when it is not worth retrying. GitHub's
 * rules (docs "Rate limits for the REST API"): a secondary limit answers 403 or 429 with a message
 * naming it, and `retry-after` when it can (else wait at least a minute); a primary limit answers 403
 * or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); a 5xx is transient.
 * @param {number} status
 * @param {(name: string) => string | null} header
 * @param {string} text
 * @param {number} now
 * @param {number} attempt
 * @returns {{ wait: number } | { stop: string } | undefined}
 */
function retryAdvice(status, header, text, now, attempt) {
  if (status >= 500) return { wait: 1000 * 2 ** (attempt - 1) };
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = Number(header("retry-after"));
  if (/secondary rate limit/i.test(text)) {
    return { wait: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 60_000 * attempt };
  }
  if (header("x-ratelimit-remaining") === "0") {
    const reset = Number(header("x-ratelimit-reset")) * 1000;
    const wait = Number.isFinite(reset) ? Math.max(reset - now, 0) + 1000 : 60_000;
    if (wait > MAX_RATE_LIMIT_WAIT_MS) {
      return {
        stop: `GitHub's rate limit is used up until ${new Date(reset).toISOString()}: run pulumi up again after that`,
      };
    }
    return { wait };
  }
  if (status === 429)
    return { wait: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 60_000 };
  return undefined;
}

/**
 * Git's object id of a blob: sha1("blob <bytes>\0<content>"). Compares local content with the repository's.
 * @param {string} content
 * @param {"utf-8" | "base64"} [encoding] How `content` holds the file's bytes (default UTF-8 text).
 * @returns {string}
 */
function gitBlobSha(content, encoding = "utf-8") {
  const bytes = Buffer.from(content, encoding === "base64" ? "base64" : "utf8");
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
  /** @type {Api} */
  const client = {
    scopes: undefined,
    async call(method, path, body, accept = []) {
      for (let attempt = 1; ; attempt++) {
        /** @type {Awaited<ReturnType<SeedDeps["fetch"]>>} */
        let response;
        try {
          response = await deps.fetch(`${root}${path}`, {
            method,
            headers: {
              accept: "application/vnd.github+json",
              authorization,
              "x-github-api-version": "2022-11-28",
              "user-agent": "idp-platform-seed",
              ...(body !== undefined ? { "content-type": "application/json" } : {}),
            },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
            signal: AbortSignal.timeout(deps.timeoutMs ?? REQUEST_TIMEOUT_MS),
          });
        } catch (error) {
          // A stalled or dropped connection: retried, then reported with what was asked.
          if (attempt >= MAX_REQUEST_ATTEMPTS) {
            throw new Error(
              `GitHub API ${method} ${path} did not answer after ${MAX_REQUEST_ATTEMPTS} attempts: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
          await deps.sleep(1000 * 2 ** (attempt - 1));
          continue;
        }
        const header = (/** @type {string} */ name) => response.headers?.get(name) ?? null;
        const scopes = header("x-oauth-scopes");
        if (scopes !== null)
          client.scopes = scopes
            .split(",")
            .map((scope) => scope.trim())
            .filter(Boolean);
        const text = await response.text();
        /** @type {unknown} */
        let data = undefined;
        try {
          data = text.length > 0 ? JSON.parse(text) : undefined;
        } catch {
          data = text;
        }
        if ((response.status >= 200 && response.status < 300) || accept.includes(response.status)) {
          return { status: response.status, data };
        }
        const message =
          data !== null && typeof data === "object" && "message" in data
            ? String(data.message)
            : text.slice(0, 200);
        const advice = retryAdvice(response.status, header, message, deps.now(), attempt);
        if (advice !== undefined && "stop" in advice) throw new Error(advice.stop);
        if (advice !== undefined && attempt < MAX_REQUEST_ATTEMPTS) {
          await deps.sleep(advice.wait);
          continue;
        }
        throw new GitHubApiError(
          response.status,
          method,
          path,
          message,
          header("x-accepted-github-permissions") ?? "",
        );
      }
    },
  };
  return client;
}

/**
 * An authenticated client: the token as is, or an installation token minted from the App's JWT.
 * @param {Pick<SeedInputs, "credentials" | "apiUrl" | "owner">} inputs
 * @param {SeedDeps} deps
 * @returns {Promise<Api>}
 */
async function connect(inputs, deps) {
  const root = (inputs.apiUrl ?? DEFAULT_API).replace(/\/+$/, "");
  const credentials = inputs.credentials;
  if ("token" in credentials) return api(deps, root, `Bearer ${credentials.token}`);
  const jwt = appJwt(credentials.appId, credentials.privateKey, deps.now());
  const asApp = api(deps, root, `Bearer ${jwt}`);
  /** @type {{ status: number; data: { token: string; permissions?: Record<string, string> } }} */
  const minted = /** @type {any} */ (
    await asApp.call(
      "POST",
      `/app/installations/${credentials.installationId}/access_tokens`,
      undefined,
      [404],
    )
  );
  if (minted.status === 404) {
    throw new Error(
      `GitHub App ${credentials.appId} has no installation ${credentials.installationId} (uninstalled?): install it on ${inputs.owner} and set the installation id in the stack's config`,
    );
  }
  const client = api(deps, root, `Bearer ${minted.data.token}`);
  // What the installation may do, as GitHub granted it with this token.
  client.permissions = minted.data.permissions ?? {};
  client.installation = credentials.installationId;
  client.app = asApp;
  return client;
}

/**
 * Fails before anything is written when the credentials cannot write what this seed holds: GitHub
 * refuses workflow files without the token's `workflow` scope or the App's Workflows permission, and a
 * missing permission otherwise shows halfway through as an unhelpful 403 or 404.
 * @param {Api} client
 * @param {SeedInputs} inputs
 */
function assertCanWrite(client, inputs) {
  const workflow = Object.keys(inputs.files).find((path) => WORKFLOWS.test(path));
  if (client.permissions !== undefined) {
    /** @type {Array<[string, string]>} */
    const needed = [["contents", `to write ${inputs.owner}/${inputs.repository}`]];
    if (workflow !== undefined) needed.push(["workflows", `to write ${workflow}`]);
    for (const [permission, why] of needed) {
      if (client.permissions[permission] !== "write") {
        throw new Error(
          `GitHub App installation ${client.installation} lacks the permission ${permission}: write, needed ${why} (App settings → Permissions → Repository permissions → ${permission === "workflows" ? "Workflows" : "Contents"}: Read and write; then accept the new permissions on the installation)`,
        );
      }
    }
  } else if (workflow !== undefined && client.scopes !== undefined && !client.scopes.includes("workflow")) {
    throw new Error(
      `The GitHub token lacks the workflow scope, needed to write ${workflow} (its scopes: ${client.scopes.join(", ") || "none"}); create a token with repo, workflow and admin:org (docs/github-permissions.md)`,
    );
  }
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
  /** @type {{ data: { truncated: boolean; tree: Array<{ path: string; sha: string; type: string; mode: string }> } }} */
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
    entries: new Map(
      tree.tree.map((entry) => [entry.path, { sha: entry.sha, type: entry.type, mode: entry.mode }]),
    ),
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
    const desired = gitBlobSha(file.content, file.encoding);
    const modeDiffers = current !== undefined && current.mode !== undefined && current.mode !== gitMode(file);
    if (current === undefined || (file.mode === "managed" && (current.sha !== desired || modeDiffers))) {
      writes.push(path);
      blobShas[path] = desired;
    } else {
      blobShas[path] = current.sha;
    }
  }
  return { writes, blobShas };
}

/**
 * Git's file mode of a seeded file: executable or not.
 * @param {SeedFileSpec} file
 */
function gitMode(file) {
  return file.executable === true ? "100755" : "100644";
}

/**
 * A refused ref update that a retry from the new head can fix: the branch moved under us. GitHub says
 * so with 422 "Update is not a fast forward"; a 409 means the repository is empty, never a race.
 * @param {unknown} error
 */
function isRefRace(error) {
  if (!(error instanceof GitHubApiError)) return false;
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
    if (attempt === 1) assertCanWrite(client, inputs);

    const entries = [];
    for (const path of plan.writes) {
      const file = /** @type {SeedFileSpec} */ (inputs.files[path]);
      if (file.encoding === "base64") {
        // Bytes go in as a blob of their own; inline tree content is text only.
        /** @type {{ data: { sha: string } }} */
        const blob = /** @type {any} */ (
          await client.call("POST", `${repo}/git/blobs`, { content: file.content, encoding: "base64" })
        );
        entries.push({ path, mode: gitMode(file), type: "blob", sha: blob.data.sha });
      } else {
        entries.push({ path, mode: gitMode(file), type: "blob", content: file.content });
      }
    }
    /** @type {{ data: { sha: string } }} */
    let tree;
    try {
      tree = /** @type {any} */ (
        await client.call("POST", `${repo}/git/trees`, { base_tree: state.tree, tree: entries })
      );
    } catch (error) {
      const workflow = plan.writes.find((path) => WORKFLOWS.test(path));
      if (
        error instanceof GitHubApiError &&
        (error.status === 403 || error.status === 404) &&
        workflow !== undefined
      ) {
        throw new Error(
          `${inputs.owner}/${inputs.repository}: GitHub refused to write ${workflow} (${error.status} ${error.detail}): writing workflow files needs the token's workflow scope or the App's Workflows permission (docs/github-permissions.md)`,
        );
      }
      throw error;
    }
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
 * A file's bytes in base64, as the Contents API takes them.
 * @param {SeedFileSpec} file
 */
function fileBase64(file) {
  return file.encoding === "base64" ? file.content : Buffer.from(file.content, "utf8").toString("base64");
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
      content: fileBase64(/** @type {SeedFileSpec} */ (inputs.files[path])),
      branch: inputs.branch,
    },
    [409, 422],
  );
}

/**
 * Why the credentials get 404 for a repository: it is gone, or they cannot see it. GitHub answers 404 to
 * both on purpose; what the credentials can see tells them apart: an App installation that covers all
 * repositories sees every existing one, one with selected repositories may not, and an uninstalled or
 * suspended installation sees nothing; a token that cannot see the organization sees nothing of it.
 * @param {Api} client
 * @param {Pick<SeedInputs, "owner" | "repository">} inputs
 * @returns {Promise<{ gone: true } | { gone: false; why: string }>}
 */
async function whyMissing(client, inputs) {
  const name = `${inputs.owner}/${inputs.repository}`;
  if (client.app !== undefined && client.installation !== undefined) {
    /** @type {{ status: number; data: { repository_selection?: string; suspended_at?: string | null } }} */
    const installation = /** @type {any} */ (
      await client.app.call("GET", `/app/installations/${client.installation}`, undefined, [404])
    );
    if (installation.status === 404) {
      return {
        gone: false,
        why: `GitHub App installation ${client.installation} no longer exists (uninstalled)`,
      };
    }
    if (installation.data.suspended_at) {
      return { gone: false, why: `GitHub App installation ${client.installation} is suspended` };
    }
    if (installation.data.repository_selection === "selected") {
      return {
        gone: false,
        why: `GitHub App installation ${client.installation} sees only selected repositories, and ${name} is not one of them (or it was deleted): add it to the installation, or remove it from the stack`,
      };
    }
    return { gone: true };
  }
  const org = await client.call("GET", `/orgs/${encodeURIComponent(inputs.owner)}`, undefined, [404]);
  if (org.status === 404)
    return { gone: false, why: `the token cannot see the organization ${inputs.owner}` };
  return { gone: true };
}

/**
 * What the repository holds now for the desired paths: for `pulumi refresh`. A repository that is gone
 * leaves the state (the next `pulumi up` seeds it again); one the credentials cannot see stops the
 * refresh with the reason, instead of silently dropping the seed.
 * @param {string} id
 * @param {SeedOutputs} props
 * @param {SeedDeps} deps
 * @returns {Promise<{ id: string; props: SeedOutputs }>}
 */
async function readSeed(id, props, deps) {
  const client = await connect(props, deps);
  const state = await readRepository(client, props);
  if (state === "missing") {
    const repo = await client.call("GET", repoPath(props), undefined, [404]);
    if (repo.status !== 404) return { id: "", props }; // the branch is gone, the repository is there
    const missing = await whyMissing(client, props);
    if (missing.gone) return { id: "", props };
    throw new Error(
      `${props.owner}/${props.repository} is not visible to Pulumi's GitHub credentials: ${missing.why}`,
    );
  }
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
    olds.apiUrl !== news.apiUrl ||
    // New provider code: applied, so that refresh and delete run it too.
    olds.providerVersion !== news.providerVersion;
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
    } else if (file.encoding !== undefined && file.encoding !== "utf-8" && file.encoding !== "base64") {
      failures.push({ property: "files", reason: `${path}: encoding must be utf-8 or base64` });
    } else if (file.encoding === "base64" && !/^[A-Za-z0-9+/]*={0,2}$/.test(file.content)) {
      failures.push({ property: "files", reason: `${path}: content is not base64` });
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

/**
 * The provider the dynamic-provider host asks for (`handler()`).
 * @param {() => SeedDeps} deps
 */
function createProvider(deps) {
  return createRepositorySeedProvider(deps);
}

module.exports = {
  MAX_SYNC_ATTEMPTS,
  MAX_REQUEST_ATTEMPTS,
  retryAdvice,
  GitHubApiError,
  gitBlobSha,
  appJwt,
  planChanges,
  syncRepository,
  readSeed,
  diffSeed,
  checkSeed,
  createRepositorySeedProvider,
  createProvider,
  liveDeps,
  /** Entry point of the Node.js dynamic-provider host. */
  handler: () => createProvider(liveDeps),
};

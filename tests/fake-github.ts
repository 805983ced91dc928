/**
 * An in-memory GitHub for the seeding provider's tests: the Git Data endpoints it calls (refs, commits,
 * recursive trees with modes, blobs, tree creation, fast-forward ref updates), the App installation
 * endpoints, organization secrets, and GitHub's answers where it refuses: a classic token without the
 * `workflow` scope gets 404 writing `.github/workflows/*` (an App without the Workflows permission 403
 * "Resource not accessible by integration"), rate limits answer 403/429 with their headers, a repository
 * the credentials cannot see answers 404 like one that does not exist, and updating an organization
 * secret without `selected_repository_ids` empties its repository list (what terraform-provider-github
 * v6.13.0's update sends; GitHub's documented-by-report behaviour). No network: it implements `FetchLike`.
 */
import { createHash, createVerify } from "node:crypto";
import type { FetchLike } from "../components/github/git-data";
import { gitBlobSha } from "../components/github/git-data";

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string;
  readonly body?: unknown;
}

interface Commit {
  readonly tree: Map<string, string>; // path → blob sha
  readonly parents: readonly string[];
  readonly message: string;
}

/** A response GitHub gives instead of the normal one, once, for a matching request. */
export interface Injected {
  readonly method?: string;
  readonly path: RegExp;
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer (the request times out). */
  readonly stall?: boolean;
}

export class FakeGitHub {
  readonly requests: FakeRequest[] = [];
  readonly commits = new Map<string, Commit>();
  readonly trees = new Map<string, Map<string, string>>();
  readonly blobs = new Map<string, string>();
  heads = new Map<string, string>(); // "owner/repo:branch" → commit sha
  /** Git modes of blobs per tree: tree sha → path → mode (default 100644). */
  readonly modes = new Map<string, Map<string, string>>();
  /** Scopes of the classic token "test-token" (X-OAuth-Scopes on every answer). */
  tokenScopes = ["repo", "workflow", "admin:org"];
  /** Permissions of the App installation's tokens. */
  installationPermissions: Record<string, string> = {
    contents: "write",
    workflows: "write",
    metadata: "read",
  };
  /** What GET /app/installations/<id> says; undefined: the installation does not exist. */
  installation?: { repository_selection: "all" | "selected"; suspended_at: string | null } = {
    repository_selection: "all",
    suspended_at: null,
  };
  /** Repositories that exist but the credentials cannot see (404 like missing ones). */
  readonly invisible = new Set<string>();
  /** Repository ids and topics, for the organization secret and topic search. */
  readonly repositories = new Map<string, { id: number; topics: string[] }>();
  /** Organization secrets: name → ids of the repositories with access. */
  readonly orgSecrets = new Map<string, Set<number>>();
  /** Answers to give once, in order, instead of the normal ones. */
  readonly inject: Injected[] = [];
  /** Repositories that exist without any commit (created without autoInit). */
  readonly emptyRepositories = new Set<string>();
  /** Called before a ref update is answered: lets a test move the branch under the provider. */
  beforeRefUpdate?: (attempt: number) => void;
  /** Answers ref updates with this instead (status, message), while set. */
  refuseRefUpdate?: { status: number; message: string };
  /** Installation tokens issued: token → installation id. */
  readonly issuedTokens = new Map<string, number>();
  /** The App's public key, to check JWTs. */
  appPublicKey?: string;
  appId?: number;
  private refUpdates = 0;
  private counter = 0;

  /** A repository with one commit holding `files` on `branch` (as autoInit leaves it). */
  seedRepository(repo: string, branch: string, files: Record<string, string>): string {
    const tree = new Map<string, string>();
    for (const [path, content] of Object.entries(files)) tree.set(path, this.putBlob(content));
    const sha = this.putCommit({ tree, parents: [], message: "Initial commit" });
    this.heads.set(`${repo}:${branch}`, sha);
    return sha;
  }

  /** Someone else commits to the branch (a concurrent writer). */
  pushOutOfBand(repo: string, branch: string, path: string, content: string): string {
    const head = this.heads.get(`${repo}:${branch}`)!;
    const tree = new Map(this.commits.get(head)!.tree);
    tree.set(path, this.putBlob(content));
    const sha = this.putCommit({ tree, parents: [head], message: "out of band" });
    this.heads.set(`${repo}:${branch}`, sha);
    return sha;
  }

  /** Content of a file at the head of a branch. */
  file(repo: string, branch: string, path: string): string | undefined {
    const head = this.heads.get(`${repo}:${branch}`);
    const blob = head === undefined ? undefined : this.commits.get(head)!.tree.get(path);
    return blob === undefined ? undefined : this.blobs.get(blob);
  }

  headCommit(repo: string, branch: string): Commit {
    return this.commits.get(this.heads.get(`${repo}:${branch}`)!)!;
  }

  deleteFile(repo: string, branch: string, path: string): void {
    const head = this.heads.get(`${repo}:${branch}`)!;
    const tree = new Map(this.commits.get(head)!.tree);
    tree.delete(path);
    this.heads.set(`${repo}:${branch}`, this.putCommit({ tree, parents: [head], message: "delete" }));
  }

  writes(): FakeRequest[] {
    return this.requests.filter((r) => r.method !== "GET" && !r.path.includes("/access_tokens"));
  }

  readonly fetch: FetchLike = (url, init) => {
    const parsed = new URL(url);
    const path = parsed.pathname + parsed.search;
    const body = init.body === undefined ? undefined : (JSON.parse(init.body) as unknown);
    const request: FakeRequest = {
      method: init.method,
      path,
      authorization: init.headers["authorization"] ?? "",
      ...(body !== undefined ? { body } : {}),
    };
    this.requests.push(request);
    const injected = this.inject.findIndex(
      (i) => i.path.test(path) && (i.method === undefined || i.method === init.method),
    );
    const respond = (status: number, data: unknown, extra: Readonly<Record<string, string>> = {}) => {
      const headers = new Map(Object.entries({ ...this.baseHeaders(request), ...extra }));
      return Promise.resolve({
        status,
        text: () => Promise.resolve(JSON.stringify(data)),
        headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
      });
    };
    if (injected >= 0) {
      const answer = this.inject.splice(injected, 1)[0]!;
      if (answer.stall) {
        // Like a connection that never answers: the caller's AbortSignal ends it.
        return new Promise((_resolve, reject) => {
          const signal = init.signal;
          const aborted = () => reject(new Error(`aborted: ${String(signal?.reason)}`));
          if (signal?.aborted) aborted();
          signal?.addEventListener("abort", aborted);
        });
      }
      return respond(answer.status, answer.body, answer.headers);
    }
    const [status, data, extra] = this.route(request);
    return respond(status, data, extra);
  };

  private baseHeaders(request: FakeRequest): Record<string, string> {
    return request.authorization === "Bearer test-token"
      ? { "x-oauth-scopes": this.tokenScopes.join(", ") }
      : {};
  }

  /** A repository the fake knows by id and topics (for secrets and topic search). */
  addRepository(repo: string, topics: string[] = []): number {
    const id = 1000 + this.repositories.size;
    this.repositories.set(repo, { id, topics });
    return id;
  }

  private putBlob(content: string, encoding: "utf-8" | "base64" = "utf-8"): string {
    const sha = gitBlobSha(content, encoding);
    this.blobs.set(sha, encoding === "base64" ? Buffer.from(content, "base64").toString("latin1") : content);
    return sha;
  }

  /** The Git mode of a file at the head of a branch. */
  mode(repo: string, branch: string, path: string): string {
    const head = this.heads.get(`${repo}:${branch}`)!;
    for (const [sha, tree] of this.trees) {
      if (tree === this.commits.get(head)!.tree) return this.modes.get(sha)?.get(path) ?? "100644";
    }
    return "100644";
  }

  private putCommit(commit: Commit): string {
    const sha = createHash("sha1").update(`commit ${this.counter++} ${commit.message}`).digest("hex");
    this.commits.set(sha, commit);
    const treeSha = createHash("sha1").update(`tree ${sha}`).digest("hex");
    this.trees.set(treeSha, commit.tree);
    return sha;
  }

  private treeShaOf(commit: string): string {
    for (const [sha, tree] of this.trees) if (tree === this.commits.get(commit)!.tree) return sha;
    throw new Error("no tree");
  }

  private authorized(request: FakeRequest): boolean {
    const token = request.authorization.replace(/^Bearer /, "");
    return token === "test-token" || this.issuedTokens.has(token);
  }

  private route(request: FakeRequest): [number, unknown, Record<string, string>?] {
    const { method, path } = request;
    let m: RegExpExecArray | null;
    const jwt = request.authorization.replace(/^Bearer /, "");
    if ((m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)) && method === "POST") {
      if (!this.verifyJwt(jwt)) return [401, { message: "A JSON web token could not be decoded" }];
      if (this.installation === undefined) return [404, { message: "Not Found" }];
      const token = `ghs_installation_${this.issuedTokens.size + 1}`;
      this.issuedTokens.set(token, Number(m[1]));
      return [201, { token, expires_at: "2030-01-01T00:00:00Z", permissions: this.installationPermissions }];
    }
    if ((m = /^\/app\/installations\/(\d+)$/.exec(path)) && method === "GET") {
      if (!this.verifyJwt(jwt)) return [401, { message: "A JSON web token could not be decoded" }];
      if (this.installation === undefined) return [404, { message: "Not Found" }];
      return [200, { id: Number(m[1]), ...this.installation, permissions: this.installationPermissions }];
    }
    if (!this.authorized(request)) return [401, { message: "Bad credentials" }];
    if ((m = /^\/orgs\/([^/]+)$/.exec(path)) && method === "GET") return [200, { login: m[1] }];
    if ((m = /^\/search\/repositories\?q=([^&]+)/.exec(path)) && method === "GET") {
      const query = decodeURIComponent(m[1]!);
      const org = /org:(\S+)/.exec(query)?.[1];
      const topic = /topic:(\S+)/.exec(query)?.[1];
      const page = Number(/[?&]page=(\d+)/.exec(path)?.[1] ?? "1");
      const items = [...this.repositories]
        .filter(([name, r]) => name.startsWith(`${org}/`) && topic !== undefined && r.topics.includes(topic))
        .map(([name, r]) => ({ id: r.id, name: name.split("/")[1] }));
      return [200, { total_count: items.length, items: page === 1 ? items : [] }];
    }
    if ((m = /^\/orgs\/([^/]+)\/actions\/secrets\/([^/?]+)(\/repositories)?(\/\d+)?(\?.*)?$/.exec(path))) {
      const name = decodeURIComponent(m[2]!);
      const selected = this.orgSecrets.get(name) ?? new Set<number>();
      this.orgSecrets.set(name, selected);
      if (m[3] === undefined && method === "PUT") {
        // The secret itself: its list follows selected_repository_ids, and an update without it empties it.
        const body = request.body as { selected_repository_ids?: number[] };
        selected.clear();
        for (const id of body.selected_repository_ids ?? []) selected.add(id);
        return [204, {}];
      }
      if (m[3] !== undefined && m[4] !== undefined && method === "PUT") {
        selected.add(Number(m[4].slice(1)));
        return [204, {}];
      }
      if (m[3] !== undefined && method === "PUT") {
        const body = request.body as { selected_repository_ids: number[] };
        selected.clear();
        for (const id of body.selected_repository_ids) selected.add(id);
        return [204, {}];
      }
      if (m[3] !== undefined && method === "GET") {
        const page = Number(/[?&]page=(\d+)/.exec(path)?.[1] ?? "1");
        const repositories = [...this.repositories]
          .filter(([, r]) => selected.has(r.id))
          .map(([repo, r]) => ({ id: r.id, name: repo.split("/")[1] }));
        return [200, { total_count: repositories.length, repositories: page === 1 ? repositories : [] }];
      }
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path)) && method === "GET") {
      const repo = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      const known = this.repositories.get(repo);
      const exists = known !== undefined || [...this.heads.keys()].some((key) => key.startsWith(`${repo}:`));
      if (!exists || this.invisible.has(repo)) return [404, { message: "Not Found" }];
      return [200, { id: known?.id ?? 1, name: m[2] }];
    }
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(path)) === null) return [404, { message: "Not Found" }];
    const repo = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
    const rest = m[3]!;
    if (this.invisible.has(repo)) return [404, { message: "Not Found" }];
    const knownRepo = [...this.heads.keys()].some((key) => key.startsWith(`${repo}:`));
    if (this.emptyRepositories.has(repo)) {
      if ((m = /^contents\/(.+)$/.exec(rest)) && method === "PUT") {
        const body = request.body as { message: string; content: string; branch: string };
        const path = m[1]!.split("/").map(decodeURIComponent).join("/");
        const tree = new Map([[path, this.putBlob(Buffer.from(body.content, "base64").toString("utf8"))]]);
        this.heads.set(
          `${repo}:${body.branch}`,
          this.putCommit({ tree, parents: [], message: body.message }),
        );
        this.emptyRepositories.delete(repo);
        return [201, { content: { path } }];
      }
      return [409, { message: "Git Repository is empty." }];
    }
    if ((m = /^git\/ref\/heads\/(.+)$/.exec(rest)) && method === "GET") {
      const head = this.heads.get(`${repo}:${decodeURIComponent(m[1]!)}`);
      if (head === undefined) return [404, { message: "Not Found" }];
      return [200, { object: { sha: head, type: "commit" } }];
    }
    if (!knownRepo) return [404, { message: "Not Found" }];
    if ((m = /^git\/commits\/([0-9a-f]+)$/.exec(rest)) && method === "GET") {
      return [200, { sha: m[1], tree: { sha: this.treeShaOf(m[1]!) } }];
    }
    if ((m = /^git\/trees\/([0-9a-f]+)\?recursive=1$/.exec(rest)) && method === "GET") {
      const tree = this.trees.get(m[1]!)!;
      const modes = this.modes.get(m[1]!);
      const entries: Array<{ path: string; sha: string; type: string; mode: string }> = [];
      const dirs = new Set<string>();
      for (const [file, sha] of tree) {
        entries.push({ path: file, sha, type: "blob", mode: modes?.get(file) ?? "100644" });
        const parts = file.split("/");
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
      }
      for (const dir of dirs) entries.push({ path: dir, sha: "0".repeat(40), type: "tree", mode: "040000" });
      return [200, { truncated: false, tree: entries }];
    }
    if (rest === "git/blobs" && method === "POST") {
      const body = request.body as { content: string; encoding: "utf-8" | "base64" };
      return [201, { sha: this.putBlob(body.content, body.encoding) }];
    }
    if (rest === "git/trees" && method === "POST") {
      const body = request.body as {
        base_tree: string;
        tree: Array<{ path: string; mode: string; type: string; content?: string; sha?: string }>;
      };
      const workflow = body.tree.find((entry) => entry.path.startsWith(".github/workflows/"));
      if (workflow !== undefined) {
        if (request.authorization === "Bearer test-token" && !this.tokenScopes.includes("workflow")) {
          return [404, { message: "Not Found" }];
        }
        if (
          request.authorization !== "Bearer test-token" &&
          this.installationPermissions["workflows"] !== "write"
        ) {
          return [
            403,
            { message: "Resource not accessible by integration" },
            { "x-accepted-github-permissions": "workflows=write" },
          ];
        }
      }
      const tree = new Map(this.trees.get(body.base_tree));
      const modes = new Map(this.modes.get(body.base_tree));
      for (const entry of body.tree) {
        tree.set(entry.path, entry.sha ?? this.putBlob(entry.content!));
        modes.set(entry.path, entry.mode);
      }
      const sha = createHash("sha1").update(`tree ${this.counter++}`).digest("hex");
      this.trees.set(sha, tree);
      this.modes.set(sha, modes);
      return [201, { sha }];
    }
    if (rest === "git/commits" && method === "POST") {
      const body = request.body as { message: string; tree: string; parents: string[] };
      const tree = this.trees.get(body.tree)!;
      const sha = createHash("sha1").update(`commit ${this.counter++} ${body.message}`).digest("hex");
      this.commits.set(sha, { tree, parents: body.parents, message: body.message });
      return [201, { sha, tree: { sha: body.tree } }];
    }
    if ((m = /^git\/refs\/heads\/(.+)$/.exec(rest)) && method === "PATCH") {
      this.refUpdates++;
      this.beforeRefUpdate?.(this.refUpdates);
      if (this.refuseRefUpdate)
        return [this.refuseRefUpdate.status, { message: this.refuseRefUpdate.message }];
      const key = `${repo}:${decodeURIComponent(m[1]!)}`;
      const body = request.body as { sha: string; force: boolean };
      const head = this.heads.get(key)!;
      const commit = this.commits.get(body.sha)!;
      if (!body.force && !commit.parents.includes(head)) {
        return [422, { message: "Update is not a fast forward" }];
      }
      this.heads.set(key, body.sha);
      return [200, { object: { sha: body.sha } }];
    }
    return [404, { message: `Not Found: ${method} ${path}` }];
  }

  private verifyJwt(jwt: string): boolean {
    const [header, payload, signature] = jwt.split(".");
    if (!header || !payload || !signature || this.appPublicKey === undefined) return false;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      iss: number;
      iat: number;
      exp: number;
    };
    if (claims.iss !== this.appId || claims.exp - claims.iat > 600) return false;
    return createVerify("RSA-SHA256")
      .update(`${header}.${payload}`)
      .verify(this.appPublicKey, Buffer.from(signature, "base64url"));
  }
}

/**
 * An in-memory GitHub for the seeding provider's tests: the Git Data endpoints it calls (refs, commits,
 * recursive trees, tree creation with inline content, fast-forward ref updates) and the App
 * installation-token endpoint. No network: it implements `FetchLike`.
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

export class FakeGitHub {
  readonly requests: FakeRequest[] = [];
  readonly commits = new Map<string, Commit>();
  readonly trees = new Map<string, Map<string, string>>();
  readonly blobs = new Map<string, string>();
  heads = new Map<string, string>(); // "owner/repo:branch" → commit sha
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
    const [status, data] = this.route(request);
    return Promise.resolve({ status, text: () => Promise.resolve(JSON.stringify(data)) });
  };

  private putBlob(content: string): string {
    const sha = gitBlobSha(content);
    this.blobs.set(sha, content);
    return sha;
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

  private route(request: FakeRequest): [number, unknown] {
    const { method, path } = request;
    let m: RegExpExecArray | null;
    if ((m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path)) && method === "POST") {
      const jwt = request.authorization.replace(/^Bearer /, "");
      if (!this.verifyJwt(jwt)) return [401, { message: "A JSON web token could not be decoded" }];
      const token = `ghs_installation_${this.issuedTokens.size + 1}`;
      this.issuedTokens.set(token, Number(m[1]));
      return [201, { token, expires_at: "2030-01-01T00:00:00Z" }];
    }
    if (!this.authorized(request)) return [401, { message: "Bad credentials" }];
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(path)) === null) return [404, { message: "Not Found" }];
    const repo = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
    const rest = m[3]!;
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
      const entries: Array<{ path: string; sha: string; type: string }> = [];
      const dirs = new Set<string>();
      for (const [file, sha] of tree) {
        entries.push({ path: file, sha, type: "blob" });
        const parts = file.split("/");
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
      }
      for (const dir of dirs) entries.push({ path: dir, sha: "0".repeat(40), type: "tree" });
      return [200, { truncated: false, tree: entries }];
    }
    if (rest === "git/trees" && method === "POST") {
      const body = request.body as {
        base_tree: string;
        tree: Array<{ path: string; mode: string; type: string; content: string }>;
      };
      const tree = new Map(this.trees.get(body.base_tree));
      for (const entry of body.tree) tree.set(entry.path, this.putBlob(entry.content));
      const sha = createHash("sha1").update(`tree ${this.counter++}`).digest("hex");
      this.trees.set(sha, tree);
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

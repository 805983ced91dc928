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
 * This module holds the types; the implementation is `seed-provider.js`, plain self-contained JavaScript
 * stored verbatim in the Pulumi state as the dynamic provider's code (no closure serialization: what
 * runs at deploy time is exactly that file). It is re-exported here with its types.
 */
export type SeedMode = "managed" | "seed-once";

export interface SeedFileSpec {
  /** The file's text, or with `encoding: "base64"` its bytes in base64. */
  readonly content: string;
  readonly mode: SeedMode;
  /** Git mode 100755 (a script) instead of 100644. */
  readonly executable?: boolean;
  /** How `content` holds the file: UTF-8 text (default) or base64 bytes. */
  readonly encoding?: "utf-8" | "base64";
}

/** How the provider authenticates: a token, or a GitHub App installation (JWT → installation token). */
export type SeedCredentials =
  | { readonly token: string }
  | { readonly appId: number; readonly installationId: number; readonly privateKey: string };

export interface SeedInputs {
  readonly owner: string;
  readonly repository: string;
  readonly branch: string;
  /** Commit message of every commit this resource makes. */
  readonly message: string;
  /** Repository path → content and rule. */
  readonly files: Readonly<Record<string, SeedFileSpec>>;
  readonly credentials: SeedCredentials;
  /** REST API root; default https://api.github.com (GitHub Enterprise: https://<host>/api/v3). */
  readonly apiUrl?: string;
  /** Digest of the provider's code: new code is a change (see seed-provider.js). */
  readonly providerVersion?: string;
}

export interface SeedOutputs extends SeedInputs {
  /** Head of the branch after the last sync or refresh. */
  readonly commitSha: string;
  /** Git blob SHA in the repository of every desired path that exists there. */
  readonly blobShas: Readonly<Record<string, string>>;
}

/** The slice of the Fetch API the provider uses. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  status: number;
  text(): Promise<string>;
  readonly headers?: { get(name: string): string | null };
}>;

export interface SeedDeps {
  readonly fetch: FetchLike;
  readonly sleep: (milliseconds: number) => Promise<void>;
  /** Milliseconds since the epoch (JWT issue time, rate-limit resets). */
  readonly now: () => number;
  /** Per-request timeout; default 30 s. */
  readonly timeoutMs?: number;
}

export interface SeedPlan {
  /** Paths to write, sorted. */
  readonly writes: readonly string[];
  /** Blob SHA per desired path after the plan is applied (absent: the path does not exist). */
  readonly blobShas: Readonly<Record<string, string>>;
}

// The implementation, typed by the JSDoc in seed-provider.js against the interfaces above.
import * as implementation from "./seed-provider";

export const {
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
} = implementation;

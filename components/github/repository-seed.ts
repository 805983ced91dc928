/**
 * `RepositorySeed`: one commit of many files into one branch of a GitHub repository, as a Pulumi dynamic
 * resource (type `pulumi-nodejs:dynamic/github:RepositorySeed`). The synth treats this type as a GitHub
 * content write and renders its `files` under `out/<stack>/repos/<repository>/`.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { SeedCredentials, SeedFileSpec } from "./git-data";
import type { GitHubAuth } from "./model";

export type { SeedCredentials, SeedFileSpec, SeedMode } from "./git-data";

export interface RepositorySeedArgs {
  /** Organization (or user) that owns the repository. */
  readonly owner: pulumi.Input<string>;
  /** Repository name. Depend on the repository through this input (its `name` output). */
  readonly repository: pulumi.Input<string>;
  /** Branch the commit lands on. */
  readonly branch: string;
  /** Commit message. */
  readonly message: string;
  /** Repository path → content and rule (`managed` or `seed-once`). */
  readonly files: Readonly<Record<string, SeedFileSpec>>;
  /** How the provider authenticates to GitHub. Always stored as a Pulumi secret. */
  readonly credentials: pulumi.Input<SeedCredentials>;
}

/**
 * An explicit instance of the Node.js dynamic-provider host (package `pulumi-nodejs`). The project
 * disables every default provider (`pulumi:disable-default-providers: ["*"]`), which includes the
 * dynamic one, so dynamic resources must name this provider like every other resource names its own.
 */
export class NodejsDynamicProvider extends pulumi.ProviderResource {
  constructor(name: string, opts?: pulumi.ResourceOptions) {
    super("pulumi-nodejs", name, {}, opts);
  }
}

/**
 * The dynamic provider's code as the Node.js dynamic-provider host expects it in `__provider`: a
 * CommonJS module whose `handler()` returns the provider. It is seed-provider.js verbatim (read once per
 * process), so the state holds exactly the reviewed file, and no closure serialization (V8 inspector,
 * TypeScript parse) runs at evaluation time.
 */
let providerSource: string | undefined;
export function seedProviderSource(): string {
  providerSource ??= fs.readFileSync(path.join(__dirname, "seed-provider.js"), "utf8");
  return providerSource;
}

/**
 * A digest of the provider's code, as an input of every resource it serves: the dynamic-provider host
 * runs the new code for create, update and diff, but `read` and `delete` run the code stored with the
 * resource, and a code change alone is no diff. With the digest as an input, new code is a change, and
 * the state then holds (and runs) the new code.
 */
export function seedProviderVersion(): string {
  return createHash("sha256").update(seedProviderSource()).digest("hex").slice(0, 16);
}

/**
 * A dynamic resource registered the way `pulumi.dynamic.Resource` registers one (type
 * `pulumi-nodejs:dynamic/<module>:<type>`, the provider's code in `__provider`), with the code supplied
 * as source instead of serialized from a closure.
 */
export class RepositorySeed extends pulumi.CustomResource {
  /** Head of the branch after the last sync: the commit that carries the seeded files. */
  declare public readonly commitSha: pulumi.Output<string>;
  /** Git blob SHA in the repository of every seeded path. */
  declare public readonly blobShas: pulumi.Output<Record<string, string>>;

  /** The seed of one environment's folder (its own type: it needs fewer permissions, see permissions.ts). */
  static readonly ENVIRONMENT_FOLDER_TYPE = "pulumi-nodejs:dynamic/github:EnvironmentFolderSeed";

  constructor(
    name: string,
    args: RepositorySeedArgs,
    opts?: pulumi.CustomResourceOptions,
    type: string = "pulumi-nodejs:dynamic/github:RepositorySeed",
  ) {
    super(
      type,
      name,
      {
        __provider: seedProviderSource(),
        providerVersion: seedProviderVersion(),
        owner: args.owner,
        repository: args.repository,
        branch: args.branch,
        message: args.message,
        files: args.files,
        credentials: pulumi.secret(args.credentials),
        commitSha: undefined,
        blobShas: undefined,
      },
      { ...opts, additionalSecretOutputs: ["credentials"] },
    );
  }
}

/** The seeding provider's credentials for an identity (the one the `github` provider uses). */
export function seedCredentials(auth: GitHubAuth): pulumi.Output<SeedCredentials> {
  return auth.kind === "token"
    ? pulumi.output(auth.token).apply((token): SeedCredentials => ({ token }))
    : pulumi.output(auth.privateKey).apply((privateKey): SeedCredentials => ({
        appId: auth.appId,
        installationId: auth.installationId,
        privateKey,
      }));
}

/**
 * The data every seeded file is generated from (teams, apps, environments of the organization) and the
 * names the files, the workflows and the GitHub objects must agree on. Pure: no Pulumi resources here.
 */
import type * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { APP_IMAGE_REGISTRY, MANAGEMENT_BRANCH } from "../conventions";
import type { EnvironmentProfile } from "../profile";
import type { SeedFileSpec } from "./git-data";

export type { SeedMode } from "./git-data";

export interface TeamSpec {
  /** GitHub team slug (also the namespace `team-<slug>` and Argo CD project `team-<slug>`). */
  readonly slug: string;
  /** Display name; GitHub derives the slug from it. */
  readonly name: string;
  readonly description?: string;
  /** Platform administrators: code owners of everything but the teams' app folders. */
  readonly platformAdmin: boolean;
  readonly maintainers: readonly string[];
  readonly members: readonly string[];
}

export interface AppSpec {
  readonly name: string;
  /** Slug of the owning team. */
  readonly team: string;
  /** Whether the app gets a SQLDatabase and SchemaHero tables. */
  readonly database: boolean;
}

export interface EnvironmentSpec {
  /** Folder name under environments/, and the stack that deploys it. */
  readonly name: string;
  /** That environment's base domain (its idp:domain). */
  readonly domain: string;
  /** That environment's profile: the Argo CD sync policy of its folder. */
  readonly profile: EnvironmentProfile;
}

/** How Pulumi authenticates to GitHub: the same identity for the provider and the seeding commits. */
export type GitHubAuth =
  | { readonly kind: "token"; readonly token: pulumi.Input<string> }
  | {
      readonly kind: "app";
      readonly appId: number;
      readonly installationId: number;
      readonly privateKey: pulumi.Input<string>;
    };

/** Who writes to the management repository's default branch: a bypass actor of its ruleset. */
export type SeedingIdentity = { readonly kind: "token" } | { readonly kind: "app"; readonly appId: number };

/**
 * What one environment's folder of the management repository is generated from: every stack renders its
 * own (components/github/environment-folder.ts).
 */
export interface EnvironmentFolderLayout {
  readonly owner: string;
  readonly managementRepository: string;
  /** The environment whose folder this is. */
  readonly environment: EnvironmentSpec;
  /** Name of the first environment in promotion order: configured apps start there. */
  readonly firstEnvironment: string;
  readonly teams: readonly Pick<TeamSpec, "slug" | "name">[];
  readonly apps: readonly AppSpec[];
}

/** Everything the seeded trees are generated from. */
export interface OrganizationLayout {
  readonly owner: string;
  readonly managementRepository: string;
  readonly templateRepository: string;
  /** Visibility of the template and of the app repositories. */
  readonly repositoryVisibility: "private" | "internal";
  /** In promotion order: the first receives new images automatically. */
  readonly environments: readonly EnvironmentSpec[];
  readonly teams: readonly TeamSpec[];
  readonly apps: readonly AppSpec[];
  /** JSON schemas of the platform's own kinds (App, SQLDatabase) for the validate workflow. */
  readonly resourceSchemas: readonly ResourceSchema[];
}

/** A kubeconform JSON schema of one custom resource kind and version. */
export interface ResourceSchema {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The JSON schema of the whole object (apiVersion, kind, metadata, spec...). */
  readonly schema: Record<string, unknown>;
}

/** Repository path → content and rule. */
export type FileTree = Record<string, SeedFileSpec>;

/** Org Actions secrets and variables, and the management repository's environment, the workflows use. */
export const AUTOMATION = {
  /** Environment of the management repository whose secrets only workflows on the default branch get. */
  selfServiceEnvironment: "self-service",
  selfServiceClientIdVariable: "PLATFORM_SELF_SERVICE_CLIENT_ID",
  selfServicePrivateKeySecret: "PLATFORM_SELF_SERVICE_PRIVATE_KEY",
  deliveryClientIdVariable: "PLATFORM_DELIVERY_CLIENT_ID",
  deliveryPrivateKeySecret: "PLATFORM_DELIVERY_PRIVATE_KEY",
  /**
   * Environment of every app repository holding the delivery key: only runs from its default branch
   * (protected by a ruleset) may use it.
   */
  deliveryEnvironment: "delivery",
  /**
   * Environment of the management repository holding Port's credentials (only runs from the default
   * branch get them): the catalog workflow loads the Port catalog with them.
   */
  portEnvironment: "port",
  portClientIdVariable: "PORT_CLIENT_ID",
  portApiUrlVariable: "PORT_API_URL",
  portClientSecret: "PORT_CLIENT_SECRET",
} as const;

/** The status check an app repository's ruleset requires: the build workflow's test job. */
export const APP_TEST_CHECK = "test";

/** Approving reviews a pull request needs on a protected default branch (management and app repositories). */
export const REQUIRED_APPROVALS = 1;

/** Name of the rulesets that protect default branches (the management repository's and the apps'). */
export const DEFAULT_BRANCH_RULESET = "protect-default-branch";

/**
 * The ruleset of an app repository's default branch, whose runs hold the delivery key, as GitHub's REST
 * API takes it (`POST /repos/{owner}/{repo}/rulesets`): reviewed pull requests (approved after their
 * last push) that pass the pipeline's tests; no force push or deletion; nobody bypasses it. Pulumi
 * creates the same (components/github.ts, `appBranchRules`) for the repositories it creates.
 */
export function appRuleset(branch: string): Record<string, unknown> {
  return {
    name: DEFAULT_BRANCH_RULESET,
    target: "branch",
    enforcement: "active",
    conditions: { ref_name: { include: [`refs/heads/${branch}`], exclude: [] } },
    bypass_actors: [],
    rules: [
      { type: "deletion" },
      { type: "non_fast_forward" },
      {
        type: "pull_request",
        parameters: {
          required_approving_review_count: REQUIRED_APPROVALS,
          dismiss_stale_reviews_on_push: true,
          require_code_owner_review: false,
          require_last_push_approval: true,
          required_review_thread_resolution: false,
        },
      },
      {
        type: "required_status_checks",
        parameters: {
          strict_required_status_checks_policy: false,
          required_status_checks: [{ context: APP_TEST_CHECK, integration_id: GITHUB_ACTIONS_APP_ID }],
        },
      },
    ],
  };
}

/** The topic every app repository carries (seeded and created through create-app): how the platform finds them. */
export const APP_TOPIC = "idp-app";

/** The status check the management repository's ruleset requires: the validate workflow's job. */
export const VALIDATE_CHECK = "validate";

/** GitHub Actions' own App id: required checks must come from it, so no other App can fake them. */
export const GITHUB_ACTIONS_APP_ID = 15368;

/** Where an app's image lives: GHCR under the organization (GHCR names are lowercase). */
export function imageRepository(owner: string, app: string): string {
  return `${APP_IMAGE_REGISTRY}/${owner.toLowerCase()}/${app}`;
}

/**
 * The image a new app runs in the first environment until its pipeline's first promotion pull request
 * pins a commit: the moving `main` tag every build of the default branch pushes. Only the first
 * environment takes it (profiles with `immutableImages` refuse it); the create-app workflow writes the
 * same reference in shell (workflows.ts, `INITIAL_IMAGE_SHELL`).
 */
export function initialImage(owner: string, app: string): string {
  return `${imageRepository(owner, app)}:${MANAGEMENT_BRANCH}`;
}

/**
 * The environment new apps start in: the first in promotion order. The others receive an app with its
 * first promotion there.
 */
export function firstEnvironment(layout: Pick<OrganizationLayout, "environments">): EnvironmentSpec {
  const first = layout.environments[0];
  if (first === undefined) throw new Error("the organization layout has no environment");
  return first;
}

export function teamHandle(owner: string, team: string): string {
  return `@${owner}/${team}`;
}

export const MANAGED_NOTICE =
  "Managed by Pulumi (idp): the next `pulumi up` overwrites edits here; change the platform program instead.";

/** YAML documents, in order, with an optional comment on top. */
export function yamlDocuments(documents: readonly unknown[], comment?: string): string {
  const body = documents
    .map((document) => YAML.stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join("---\n");
  return comment === undefined ? body : `${comment.replace(/^/gm, "# ")}\n${body}`;
}

export function managed(content: string): SeedFileSpec {
  return { content, mode: "managed" };
}

export function seedOnce(content: string): SeedFileSpec {
  return { content, mode: "seed-once" };
}

/**
 * Names and paths several parts must agree on: team namespaces, hosts, the management repository's
 * layout. One definition each, so Argo CD, Crossplane, the seeded repository and the catalog line up.
 */

/** Namespace of a team's applications and databases. */
export function teamNamespace(teamSlug: string): string {
  return `team-${teamSlug}`;
}

/** Argo CD project of a team. */
export function teamProject(teamSlug: string): string {
  return `team-${teamSlug}`;
}

/**
 * Host labels the platform's own services use (`<label>.<domain>`): no App may take them, by name (the
 * default host is `<name>.<domain>`) or by `spec.host`.
 */
export const PLATFORM_HOST_LABELS = ["argocd"] as const;

/** Public host of a service: `<service>.<domain>`. */
export function serviceHost(service: string, domain: string): string {
  return `${service}.${domain}`;
}

/**
 * Layout of the management repository (seeded by the GitHub part, synced by Argo CD):
 *
 *   environments/<env>/argocd/            Argo CD Applications: one per team (the root app syncs this folder)
 *   environments/<env>/apps/<team>/<app>/ an app's App, SQLDatabase and SchemaHero Tables
 *   environments/<env>/infrastructure/    shared resources of the environment (the teams' namespaces)
 *   catalog/                              software catalog (Backstage descriptors, Port blueprints)
 */
export const managementRepoPaths = {
  environment: (env: string) => `environments/${env}`,
  /** Folder the environment's root Application (app of apps) syncs. */
  rootApps: (env: string) => `environments/${env}/argocd`,
  /** Folder a team's Application syncs, recursively. */
  teamApps: (env: string, team: string) => `environments/${env}/apps/${team}`,
  app: (env: string, team: string, app: string) => `environments/${env}/apps/${team}/${app}`,
  /** Folder of the environment's shared resources, synced by the platform's infrastructure Application. */
  infrastructure: (env: string) => `environments/${env}/infrastructure`,
  catalog: () => "catalog",
} as const;

/**
 * Clone URL of the management repository. One repository serves every environment: stacks that do not
 * own it (idp:github.manageOrganization false) refer to it by owner and name.
 */
export function managementRepoUrl(owner: string, repository: string): string {
  return `https://github.com/${owner}/${repository}.git`;
}

/**
 * The URL Argo CD reads a repository through: SSH, authenticated by each stack's read-only deploy key.
 * Argo CD matches repository credentials and AppProject sources by URL, so every Application, AppProject
 * and repository Secret must use exactly this form (an HTTPS URL would be fetched without credentials).
 */
export function gitOpsRepoUrl(owner: string, repository: string): string {
  return `git@github.com:${owner}/${repository}.git`;
}

/** Branch Argo CD tracks and the ruleset protects. */
export const MANAGEMENT_BRANCH = "main";

/**
 * The ClusterSecretStore of the platform's own namespaces (those Pulumi creates): the App keys, Argo CD's
 * keys. No team namespace may use it (its `conditions`).
 */
export const PLATFORM_SECRET_STORE = "platform-secrets";

/**
 * The ClusterSecretStore of one team namespace: only that namespace may use it, and it reaches only that
 * namespace's database secrets (and the registry's pull credentials). Compositions pick it by the XR's
 * namespace, so `teamSecretStore("%s")` is also their fmt string.
 */
export function teamSecretStore(namespace: string): string {
  return `secrets-${namespace}`;
}

/** The image pull Secret (`kubernetes.io/dockerconfigjson`) of every team namespace, when the stack has one. */
export const REGISTRY_PULL_SECRET = "registry-pull";

/**
 * Logical prefix of database credentials in the secrets backend (`<prefix>/databases/<namespace>/<name>`).
 * Compositions push generated database passwords below it; the store's identity may write only there.
 */
export const DATABASE_SECRETS_PREFIX = "databases";

/** The label every team namespace carries, its value the team's slug: what admission policies select on. */
export const TEAM_NAMESPACE_LABEL = "idp.platform/team";

/** The registry the app pipelines push to (GHCR, under the organization). */
export const APP_IMAGE_REGISTRY = "ghcr.io";

/**
 * The label of the namespaces whose routes the shared Gateway accepts (its listeners' `allowedRoutes`):
 * the team namespaces, Argo CD's and the Gateway's own. Only the platform labels namespaces; a team cannot.
 */
export const ROUTES_LABEL = { key: "idp.platform/routes", value: "allowed" } as const;

/**
 * What Pulumi's GitHub credentials must be allowed to do, per kind of GitHub resource the program
 * creates: the GitHub App installation's permissions (or a fine-grained token's, same names) and a
 * classic token's scopes. docs/github-permissions.md is generated from this table
 * (`npm run docs:permissions`), and a test fails when a stack creates a GitHub resource kind that is
 * not in it.
 *
 * Permission names are the keys GitHub uses in an installation token's `permissions` (github/docs
 * `src/github-apps/data/fpt-2022-11-28/server-to-server-permissions.json`, REST API version
 * 2022-11-28); the endpoints are those terraform-provider-github v6.13.0 calls for each resource (what
 * @pulumi/github bridges) and those components/github/seed-provider.js calls.
 */

/** An App installation permission's level. `metadata: read` is implicit and not listed. */
export type PermissionLevel = "read" | "write";

/** What one kind of resource needs. */
export interface GitHubPermissionNeed {
  /** What the resource is in this platform. */
  readonly what: string;
  /** When a stack creates it (config keys and profile fields). */
  readonly when: string;
  /**
   * True: only `idp:github.manageOrganization` creates it;
   * false: every stack may.
   */
  readonly organizationStackOnly: boolean;
  /** The REST endpoints that write it. */
  readonly endpoints: readonly string[];
  /** GitHub App installation (or fine-grained token) permissions. */
  readonly app: Readonly<Record<string, PermissionLevel>>;
  /** Classic personal access token scopes. */
  readonly token: readonly string[];
  /** A GitHub plan or organization setting it needs beyond the permissions. */
  readonly prerequisite?: string;
}

/** Resource types that are not GitHub objects (the provider itself). */
export const NOT_GITHUB_OBJECTS = ["pulumi:providers:github"] as const;

/** True for a resource type that writes to GitHub and therefore needs a row in the table. */
export function isGitHubResourceType(type: string): boolean {
  if ((NOT_GITHUB_OBJECTS as readonly string[]).includes(type)) return false;
  return type.startsWith("github:") || type.startsWith("pulumi-nodejs:dynamic/github:");
}

const PRIVATE_REPOSITORY_PLAN =
  "private or internal repositories: GitHub Team, Pro or Enterprise Cloud (GitHub Free has it for public repositories only)";

/** What one seeding commit calls (seed-provider.js: read the tree, write blobs, tree, commit, move the ref). */
const GIT_DATA_ENDPOINTS = [
  "GET /repos/{owner}/{repo}/git/trees/{sha}",
  "POST /repos/{owner}/{repo}/git/blobs",
  "POST /repos/{owner}/{repo}/git/trees",
  "POST /repos/{owner}/{repo}/git/commits",
  "PATCH /repos/{owner}/{repo}/git/refs/heads/{branch}",
] as const;

/** The table, keyed by Pulumi resource type. */
export const GITHUB_PERMISSIONS: Readonly<Record<string, GitHubPermissionNeed>> = {
  "github:index/team:Team": {
    what: "a team per `idp:teams` entry",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["POST /orgs/{org}/teams", "PATCH /orgs/{org}/teams/{team_slug}"],
    app: { members: "write" },
    token: ["admin:org"],
  },
  "github:index/teamMembership:TeamMembership": {
    what: "team members listed in config",
    when: "`idp:github.manageOrganization` and a team in `idp:teams` lists `members` or `maintainers`",
    organizationStackOnly: true,
    endpoints: ["PUT /orgs/{org}/teams/{team_slug}/memberships/{username}"],
    app: { members: "write" },
    token: ["admin:org"],
  },
  "github:index/repository:Repository": {
    what: "the management repository, the application template and each app's repository",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: [
      "POST /orgs/{org}/repos",
      "POST /repos/{template_owner}/{template_repo}/generate",
      "PATCH /repos/{owner}/{repo}",
    ],
    app: { administration: "write", contents: "read" },
    token: ["repo"],
  },
  "github:index/teamRepository:TeamRepository": {
    what: "each team's access to its repositories",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["PUT /orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}"],
    app: { administration: "write", members: "read" },
    token: ["repo", "admin:org"],
  },
  "github:index/branchDefault:BranchDefault": {
    what: "the management repository's default branch",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["PATCH /repos/{owner}/{repo}"],
    app: { administration: "write" },
    token: ["repo"],
  },
  "github:index/repositoryRuleset:RepositoryRuleset": {
    what: "the rulesets of the management repository and the stack's app repositories (reviews, required checks, no force pushes)",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["POST /repos/{owner}/{repo}/rulesets", "PUT /repos/{owner}/{repo}/rulesets/{ruleset_id}"],
    app: { administration: "write" },
    token: ["repo"],
    prerequisite: `rulesets on ${PRIVATE_REPOSITORY_PLAN}`,
  },
  "github:index/repositoryEnvironment:RepositoryEnvironment": {
    what: "the management repository's self-service Environment and each app repository's delivery Environment (their secrets reach only the default branch)",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["PUT /repos/{owner}/{repo}/environments/{environment_name}"],
    app: { administration: "write" },
    token: ["repo"],
    prerequisite: `Environments on ${PRIVATE_REPOSITORY_PLAN}`,
  },
  "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy": {
    what: "the branch that may use the self-service and delivery Environments",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies"],
    app: { administration: "write" },
    token: ["repo"],
  },
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": {
    what: "the self-service and delivery Apps' keys in the self-service Environment, the delivery key in each app repository's delivery Environment",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["PUT /repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}"],
    app: { environments: "write", secrets: "write" },
    token: ["repo"],
  },
  "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable": {
    what: "the self-service App's client id in the self-service Environment",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["POST /repos/{owner}/{repo}/environments/{environment_name}/variables"],
    app: { environments: "write", actions_variables: "write" },
    token: ["repo"],
  },
  "github:index/actionsOrganizationVariable:ActionsOrganizationVariable": {
    what: "the delivery App's client id as an organization variable the app pipelines read",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: ["POST /orgs/{org}/actions/variables", "PATCH /orgs/{org}/actions/variables/{name}"],
    app: { organization_actions_variables: "write" },
    token: ["admin:org"],
  },
  "github:index/repositoryDeployKey:RepositoryDeployKey": {
    what: "Argo CD's read-only deploy key on the management repository, one per environment",
    when: "every stack",
    organizationStackOnly: false,
    endpoints: ["POST /repos/{owner}/{repo}/keys"],
    app: { administration: "write" },
    token: ["repo"],
    prerequisite: "the organization allows deploy keys (organization settings → Member privileges)",
  },
  "github:index/repositoryWebhook:RepositoryWebhook": {
    what: "the management repository's push webhook to Argo CD",
    when: "`idp:argocd.webhook` (default true; false where GitHub cannot reach the cluster)",
    organizationStackOnly: false,
    endpoints: ["POST /repos/{owner}/{repo}/hooks", "PATCH /repos/{owner}/{repo}/hooks/{hook_id}"],
    app: { repository_hooks: "write" },
    token: ["admin:repo_hook"],
  },
  "github:index/actionsRunnerGroup:ActionsRunnerGroup": {
    what: "the runner groups of the stack's self-hosted runner scale sets",
    when: "`idp:runners` (each stack its own groups, by default named after its cluster)",
    organizationStackOnly: false,
    endpoints: [
      "POST /orgs/{org}/actions/runner-groups",
      "PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}",
    ],
    app: { organization_self_hosted_runners: "write" },
    token: ["admin:org"],
  },
  "pulumi-nodejs:dynamic/github:EnvironmentFolderSeed": {
    what: "the stack's own environment's folder of the management repository, one commit (no workflow files)",
    when: "every stack",
    organizationStackOnly: false,
    endpoints: [...GIT_DATA_ENDPOINTS],
    app: { contents: "write" },
    token: ["repo"],
  },
  "pulumi-nodejs:dynamic/github:RepositorySeed": {
    what: "the seeded shared files of the management repository and the template, one commit each",
    when: "`idp:github.manageOrganization`",
    organizationStackOnly: true,
    endpoints: [
      ...GIT_DATA_ENDPOINTS,
      "PUT /repos/{owner}/{repo}/contents/{path} (an empty repository's first file)",
    ],
    // Files under .github/workflows/ are refused without the Workflows permission or workflow scope.
    app: { contents: "write", workflows: "write" },
    token: ["repo", "workflow"],
  },
};

/** Resource types among `types` that write to GitHub and have no row in `table`. */
export function missingPermissions(
  types: Iterable<string>,
  table: Readonly<Record<string, GitHubPermissionNeed>> = GITHUB_PERMISSIONS,
): string[] {
  return [...new Set(types)].filter((type) => isGitHubResourceType(type) && table[type] === undefined).sort();
}

/** The union of what `types` need: App permissions at their highest level, and token scopes. */
export function requiredPermissions(
  types: Iterable<string>,
  table: Readonly<Record<string, GitHubPermissionNeed>> = GITHUB_PERMISSIONS,
): { app: Record<string, PermissionLevel>; token: string[]; prerequisites: string[] } {
  const app: Record<string, PermissionLevel> = {};
  const token = new Set<string>();
  const prerequisites = new Set<string>();
  for (const type of new Set(types)) {
    const need = table[type];
    if (need === undefined) continue;
    for (const [permission, level] of Object.entries(need.app)) {
      if (app[permission] !== "write") app[permission] = level;
    }
    need.token.forEach((scope) => token.add(scope));
    if (need.prerequisite !== undefined) prerequisites.add(need.prerequisite);
  }
  const sorted: Record<string, PermissionLevel> = {};
  for (const key of Object.keys(app).sort()) sorted[key] = app[key]!;
  return { app: sorted, token: [...token].sort(), prerequisites: [...prerequisites].sort() };
}

/**
 * `GitHubOrganization`: the organization-wide GitHub objects the developer flow runs on. Only the stack
 * with `idp:github.manageOrganization` creates it (one owner per object); the other stacks refer to the
 * management repository by owner and name (`managementRepoUrl`).
 *
 * - Teams from config and, where config lists them, their memberships.
 * - The management repository (private, protected in Pulumi, archived on destroy), seeded with one
 *   commit, then guarded by a ruleset on its default branch; CODEOWNERS maps folders to teams.
 * - The application template repository (a GitHub template), seeded with one commit.
 * - App repositories for `idp:apps`, created from the template.
 * - The credentials the workflows use: the self-service App's key as a secret of the management
 *   repository's `self-service` environment (released only to runs from the default branch), the
 *   delivery App's key as an organization secret of the app repositories, client IDs as variables.
 *
 * Seeding is one `RepositorySeed` (one commit through the Git Data API) per repository, so the chain of
 * GitHub writes is the same for 1 app or 500 (see `npm run bench`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import { managementRepoUrl, MANAGEMENT_BRANCH } from "./conventions";
import { managementRepositoryTree } from "./github/management-repo";
import {
  APP_TOPIC,
  AUTOMATION,
  appRuleset,
  DEFAULT_BRANCH_RULESET,
  REQUIRED_APPROVALS,
  type GitHubAuth,
  type SeedingIdentity,
  GITHUB_ACTIONS_APP_ID,
  VALIDATE_CHECK,
  type AppSpec,
  type EnvironmentSpec,
  type OrganizationLayout,
  type ResourceSchema,
  type TeamSpec,
} from "./github/model";
import { RepositorySeed, seedCredentials } from "./github/repository-seed";
import { templateRepositoryTree } from "./github/template-repo";

export type { AppSpec, EnvironmentSpec, ResourceSchema, TeamSpec } from "./github/model";

export type { GitHubAuth } from "./github/model";

/** A GitHub App the seeded workflows mint installation tokens with. */
export interface AutomationApp {
  /** The App's client ID (workflows pass it to actions/create-github-app-token). */
  readonly clientId: string;
  /** The App's PEM private key; stored only as a GitHub Actions secret and a Pulumi secret. */
  readonly privateKey: pulumi.Input<string>;
}

export interface GitHubOrganizationArgs {
  /** The organization. */
  readonly owner: string;
  /** The stack that owns the organization's objects; named in seeding commit messages. */
  readonly stack: string;
  /**
   * How Pulumi authenticates (as the `github` provider does). The seeding commits use it too, and it is
   * a bypass actor of the management repository's ruleset: the App itself with app auth, organization
   * admins with a token.
   */
  readonly auth: GitHubAuth;
  /**
   * The identities the other environments' stacks write their own folders of the management repository
   * with: the ruleset's other bypass actors. Default none.
   */
  readonly otherSeedingIdentities?: readonly SeedingIdentity[];
  /** Name of the management repository. */
  readonly managementRepository: string;
  /** Name of the application template repository. */
  readonly templateRepository: string;
  /** Visibility of the template and the app repositories. Default `private` (`internal` needs Enterprise). */
  readonly repositoryVisibility?: "private" | "internal";
  /** Teams; at least one platform admin team. */
  readonly teams: readonly TeamSpec[];
  /** Apps to create repositories and management-repository folders for. Default none. */
  readonly apps?: readonly AppSpec[];
  /** Environments of the management repository, in promotion order, each with its domain and profile. */
  readonly environments: readonly EnvironmentSpec[];
  /** App of the create-app workflow: creates repositories, grants access, opens pull requests. */
  readonly selfServiceApp: AutomationApp;
  /** App of the app pipelines: opens image pull requests on the management repository only. */
  readonly deliveryApp: AutomationApp;
  /**
   * JSON schemas of the platform's own kinds (App, SQLDatabase), seeded for the validate workflow.
   * Default none: kubeconform then skips those kinds (and the workflow says so).
   */
  readonly resourceSchemas?: readonly ResourceSchema[];
  /**
   * Port's API and credentials: the catalog workflow loads `catalog/port/` into Port with them, from the
   * management repository's `port` environment (default branch only). Default none: the workflow skips.
   */
  readonly port?: {
    readonly apiUrl: string;
    readonly clientId: pulumi.Input<string>;
    readonly clientSecret: pulumi.Input<string>;
  };
}

export const GITHUB_ORGANIZATION_DEFAULTS = {
  repositoryVisibility: "private",
  /** Visible to every organization member, so anyone can find and @-mention a team. */
  teamPrivacy: "closed",
  /** Product teams on the management repository: branches and pull requests; the ruleset guards main. */
  teamManagementPermission: "push",
  /** Platform admins on the platform's repositories, and a team on its own app repositories. */
  maintainerPermission: "maintain",
  /** Product teams read the template (they create apps through create-app). */
  teamTemplatePermission: "pull",
  /** Approving reviews a pull request on the management repository needs. */
  requiredApprovals: REQUIRED_APPROVALS,
  rulesetName: DEFAULT_BRANCH_RULESET,
} as const;

/** Rules the config schema cannot see when the component is used directly. Throws one line per problem. */
export function validateOrganizationArgs(args: GitHubOrganizationArgs): void {
  const problems: string[] = [];
  const slugs = new Set(args.teams.map((t) => t.slug));
  if (!args.teams.some((t) => t.platformAdmin)) problems.push("no team is a platform admin team");
  if (slugs.size !== args.teams.length) problems.push("team slugs repeat");
  for (const app of args.apps ?? []) {
    if (!slugs.has(app.team)) problems.push(`app ${app.name} names the unknown team ${app.team}`);
  }
  const apps = new Set((args.apps ?? []).map((a) => a.name));
  if (apps.size !== (args.apps ?? []).length) problems.push("app names repeat");
  if (apps.has(args.managementRepository) || apps.has(args.templateRepository)) {
    problems.push("an app is named like the management or template repository");
  }
  if (args.environments.length === 0) problems.push("no environments");
  if (problems.length > 0) throw new Error(`GitHubOrganization: ${problems.join("; ")}`);
}

/** The ruleset's bypass: only the identity Pulumi seeds with, so its later commits still land. */
export function bypassActors(
  identities: readonly SeedingIdentity[],
): github.types.input.RepositoryRulesetBypassActor[] {
  const actors = new Map<string, github.types.input.RepositoryRulesetBypassActor>();
  for (const identity of identities) {
    if (identity.kind === "app") {
      actors.set(`app:${identity.appId}`, {
        actorType: "Integration",
        actorId: identity.appId,
        bypassMode: "always",
      });
    } else {
      actors.set("token", { actorType: "OrganizationAdmin", bypassMode: "always" });
    }
  }
  return [...actors.values()];
}

/** Protection of the default branch: reviewed pull requests that pass validate; no force push or deletion. */
export function defaultBranchRules(): github.types.input.RepositoryRulesetRules {
  return {
    deletion: true,
    nonFastForward: true,
    pullRequest: {
      requiredApprovingReviewCount: GITHUB_ORGANIZATION_DEFAULTS.requiredApprovals,
      requireCodeOwnerReview: true,
      dismissStaleReviewsOnPush: true,
      requiredReviewThreadResolution: true,
      // Someone other than the author of the last push approves: a reviewer cannot approve and then
      // push unreviewed changes on top, and an author cannot push after another's approval unseen.
      requireLastPushApproval: true,
    },
    requiredStatusChecks: {
      requiredChecks: [{ context: VALIDATE_CHECK, integrationId: GITHUB_ACTIONS_APP_ID }],
      // Not strict: many promotion pull requests are open at once; each is validated on its own.
      strictRequiredStatusChecksPolicy: false,
    },
  };
}

/**
 * Protection of an app repository's default branch, whose runs hold the delivery key: `appRuleset()`
 * (model.ts, what create-app posts) in the provider's shape.
 */
export function appBranchRules(): github.types.input.RepositoryRulesetRules {
  const rules = appRuleset(MANAGEMENT_BRANCH)["rules"] as Array<{
    type: string;
    parameters?: Record<string, unknown>;
  }>;
  const parameters = (type: string) => rules.find((rule) => rule.type === type)?.parameters ?? {};
  const pullRequest = parameters("pull_request");
  const checks = parameters("required_status_checks") as {
    strict_required_status_checks_policy: boolean;
    required_status_checks: Array<{ context: string; integration_id: number }>;
  };
  return {
    deletion: rules.some((rule) => rule.type === "deletion"),
    nonFastForward: rules.some((rule) => rule.type === "non_fast_forward"),
    pullRequest: {
      requiredApprovingReviewCount: pullRequest["required_approving_review_count"] as number,
      requireCodeOwnerReview: pullRequest["require_code_owner_review"] as boolean,
      dismissStaleReviewsOnPush: pullRequest["dismiss_stale_reviews_on_push"] as boolean,
      requiredReviewThreadResolution: pullRequest["required_review_thread_resolution"] as boolean,
      requireLastPushApproval: pullRequest["require_last_push_approval"] as boolean,
    },
    requiredStatusChecks: {
      requiredChecks: checks.required_status_checks.map((check) => ({
        context: check.context,
        integrationId: check.integration_id,
      })),
      strictRequiredStatusChecksPolicy: checks.strict_required_status_checks_policy,
    },
  };
}

export class GitHubOrganization extends pulumi.ComponentResource {
  public readonly managementRepository: github.Repository;
  public readonly templateRepository: github.Repository;
  /** Clone URL of the management repository (what Argo CD syncs). */
  public readonly managementRepositoryUrl: pulumi.Output<string>;
  public readonly managementRepositoryHtmlUrl: pulumi.Output<string>;
  public readonly templateRepositoryHtmlUrl: pulumi.Output<string>;
  /** Where people (or a portal, through the API) start the create-app workflow. */
  public readonly createAppUrl: pulumi.Output<string>;
  /** Teams by slug. */
  public readonly teams: Readonly<Record<string, github.Team>>;
  /** App repositories by app name. */
  public readonly appRepositories: Readonly<Record<string, github.Repository>>;
  /** The management repository is seeded and protected: per-environment objects (webhooks, deploy keys) may follow. */
  public readonly ready: readonly pulumi.Resource[];

  constructor(name: string, args: GitHubOrganizationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:github:GitHubOrganization", name, {}, opts);
    validateOrganizationArgs(args);
    const defaults = GITHUB_ORGANIZATION_DEFAULTS;
    const visibility = args.repositoryVisibility ?? defaults.repositoryVisibility;
    const apps = args.apps ?? [];
    const layout: OrganizationLayout = {
      owner: args.owner,
      managementRepository: args.managementRepository,
      templateRepository: args.templateRepository,
      repositoryVisibility: visibility,
      environments: args.environments,
      teams: args.teams,
      apps,
      resourceSchemas: args.resourceSchemas ?? [],
    };
    const credentials = seedCredentials(args.auth);
    const message = `Seed from the platform (Pulumi stack ${args.stack})`;

    // --- Teams and memberships ---------------------------------------------------------------
    const teams: Record<string, github.Team> = {};
    for (const team of args.teams) {
      const resource = new github.Team(
        `${name}-team-${team.slug}`,
        {
          name: team.name,
          ...(team.description !== undefined ? { description: team.description } : {}),
          privacy: defaults.teamPrivacy,
        },
        { parent: this },
      );
      teams[team.slug] = resource;
      const roles: Array<[string, "maintainer" | "member"]> = [
        ...team.maintainers.map((login): [string, "maintainer"] => [login, "maintainer"]),
        ...team.members
          .filter((login) => !team.maintainers.includes(login))
          .map((login): [string, "member"] => [login, "member"]),
      ];
      for (const [login, role] of roles) {
        new github.TeamMembership(
          `${name}-team-${team.slug}-${login.toLowerCase()}`,
          { teamId: resource.id, username: login, role },
          { parent: this },
        );
      }
    }
    const admins = args.teams.filter((t) => t.platformAdmin);

    // --- Management repository -----------------------------------------------------------------
    const management = new github.Repository(
      `${name}-management`,
      {
        name: args.managementRepository,
        description: "GitOps source of truth of the platform: what Argo CD syncs in every environment.",
        visibility: "private",
        hasIssues: true,
        hasProjects: false,
        hasWiki: false,
        allowMergeCommit: false,
        allowRebaseMerge: false,
        allowSquashMerge: true,
        allowAutoMerge: true,
        deleteBranchOnMerge: true,
        vulnerabilityAlerts: true,
        // A destroy archives it (read-only, history kept) instead of deleting it.
        archiveOnDestroy: true,
        topics: ["platform", "gitops"],
      },
      // Protected in every profile: the repository is every environment's source of truth.
      { parent: this, protect: true },
    );
    const managementAccess = args.teams.map(
      (team) =>
        new github.TeamRepository(
          `${name}-management-access-${team.slug}`,
          {
            teamId: teams[team.slug]!.id,
            repository: management.name,
            permission: team.platformAdmin
              ? defaults.maintainerPermission
              : defaults.teamManagementPermission,
          },
          { parent: this },
        ),
    );
    // CODEOWNERS names the teams: seed once they exist and can review. The repository is created empty
    // (no autoInit): the seed makes its first commit, so no generated README pre-empts the seeded one.
    const managementSeed = new RepositorySeed(
      `${name}-management-seed`,
      {
        owner: args.owner,
        repository: management.name,
        branch: MANAGEMENT_BRANCH,
        message,
        files: managementRepositoryTree(layout),
        credentials,
      },
      { parent: this, dependsOn: managementAccess },
    );
    // The seed created the branch Argo CD tracks; make it the default (pull requests target it).
    new github.BranchDefault(
      `${name}-management-default-branch`,
      { repository: management.name, branch: MANAGEMENT_BRANCH },
      { parent: this, dependsOn: [managementSeed] },
    );
    // After the seed: from now on only reviewed pull requests (and Pulumi's identity) change main.
    const ruleset = new github.RepositoryRuleset(
      `${name}-management-ruleset`,
      {
        name: defaults.rulesetName,
        repository: management.name,
        target: "branch",
        enforcement: "active",
        // The branch Argo CD tracks, by name: protected even before it becomes the default.
        conditions: { refName: { includes: [`refs/heads/${MANAGEMENT_BRANCH}`], excludes: [] } },
        // Only the identities that seed: this stack's, and each other environment's stack for its folder.
        bypassActors: bypassActors([args.auth, ...(args.otherSeedingIdentities ?? [])]),
        rules: defaultBranchRules(),
      },
      { parent: this, dependsOn: [managementSeed] },
    );

    // --- The self-service environment: its secrets reach only runs from the default branch ----------
    const environment = this.defaultBranchEnvironment(
      `${name}-self-service`,
      management.name,
      AUTOMATION.selfServiceEnvironment,
    );
    new github.ActionsEnvironmentSecret(
      `${name}-self-service-key`,
      {
        repository: management.name,
        environment: environment.environment,
        secretName: AUTOMATION.selfServicePrivateKeySecret,
        value: pulumi.secret(args.selfServiceApp.privateKey),
      },
      { parent: this },
    );
    // The delivery key too: create-app (and sync-delivery-key) install it in each app repository's own
    // delivery environment, which no branch but the default one can read.
    new github.ActionsEnvironmentSecret(
      `${name}-self-service-delivery-key`,
      {
        repository: management.name,
        environment: environment.environment,
        secretName: AUTOMATION.deliveryPrivateKeySecret,
        value: pulumi.secret(args.deliveryApp.privateKey),
      },
      { parent: this },
    );
    new github.ActionsEnvironmentVariable(
      `${name}-self-service-client-id`,
      {
        repository: management.name,
        environment: environment.environment,
        variableName: AUTOMATION.selfServiceClientIdVariable,
        value: args.selfServiceApp.clientId,
      },
      { parent: this },
    );

    if (args.port !== undefined) this.portEnvironment(name, management.name, args.port);

    // --- Delivery credentials of the app pipelines -----------------------------------------------
    // The key is never an organization secret (any workflow of any branch of a selected repository could
    // read one): each app repository holds it in its `delivery` environment, which only runs from the
    // default branch may use, and a ruleset protects that branch.
    // The client ID is not secret: every private repository may read it, including self-service ones.
    new github.ActionsOrganizationVariable(
      `${name}-delivery-client-id`,
      {
        variableName: AUTOMATION.deliveryClientIdVariable,
        value: args.deliveryApp.clientId,
        visibility: "private",
      },
      { parent: this },
    );

    // --- Application template ----------------------------------------------------------------------
    const template = new github.Repository(
      `${name}-template`,
      {
        name: args.templateRepository,
        description: "Template of every application of the platform: service, Dockerfile, pipeline.",
        visibility,
        isTemplate: true,
        hasIssues: true,
        hasProjects: false,
        hasWiki: false,
        deleteBranchOnMerge: true,
        vulnerabilityAlerts: true,
        archiveOnDestroy: true,
        topics: ["platform", "template"],
      },
      { parent: this },
    );
    for (const team of args.teams) {
      new github.TeamRepository(
        `${name}-template-access-${team.slug}`,
        {
          teamId: teams[team.slug]!.id,
          repository: template.name,
          permission: team.platformAdmin ? defaults.maintainerPermission : defaults.teamTemplatePermission,
        },
        { parent: this },
      );
    }
    const templateSeed = new RepositorySeed(
      `${name}-template-seed`,
      {
        owner: args.owner,
        repository: template.name,
        branch: MANAGEMENT_BRANCH,
        message,
        files: templateRepositoryTree(layout),
        credentials,
      },
      { parent: this },
    );

    // --- App repositories from the template ------------------------------------------------------
    const appRepositories: Record<string, github.Repository> = {};
    for (const app of apps) {
      const repository = new github.Repository(
        `${name}-app-${app.name}`,
        {
          name: app.name,
          description: `${app.name}, owned by team ${app.team}.`,
          visibility,
          template: { owner: args.owner, repository: template.name },
          hasIssues: true,
          hasProjects: false,
          hasWiki: false,
          deleteBranchOnMerge: true,
          vulnerabilityAlerts: true,
          // The team's code: a destroy archives it.
          archiveOnDestroy: true,
          topics: [APP_TOPIC, `team-${app.team}`],
        },
        // Created from the template's seeded content; later template changes never replace it.
        { parent: this, dependsOn: [templateSeed], ignoreChanges: ["template"] },
      );
      appRepositories[app.name] = repository;
      this.deliveryEnvironment(`${name}-app-${app.name}`, repository, args);
      const owners = [app.team, ...admins.map((t) => t.slug).filter((slug) => slug !== app.team)];
      for (const team of owners) {
        new github.TeamRepository(
          `${name}-app-${app.name}-access-${team}`,
          { teamId: teams[team]!.id, repository: repository.name, permission: defaults.maintainerPermission },
          { parent: this },
        );
      }
    }
    this.managementRepository = management;
    this.templateRepository = template;
    this.teams = teams;
    this.appRepositories = appRepositories;
    this.managementRepositoryUrl = management.name.apply((repo) => managementRepoUrl(args.owner, repo));
    this.managementRepositoryHtmlUrl = management.htmlUrl;
    this.templateRepositoryHtmlUrl = template.htmlUrl;
    this.createAppUrl = pulumi.interpolate`${management.htmlUrl}/actions/workflows/create-app.yaml`;
    this.ready = [managementSeed, ruleset];

    this.registerOutputs({
      managementRepositoryUrl: this.managementRepositoryUrl,
      managementRepositoryHtmlUrl: this.managementRepositoryHtmlUrl,
      templateRepositoryHtmlUrl: this.templateRepositoryHtmlUrl,
      createAppUrl: this.createAppUrl,
    });
  }

  /**
   * An app repository's delivery environment (only its default branch may deploy to it) holding the
   * delivery App's key, and the ruleset of its default branch. create-app does the same for the
   * repositories it creates (workflows.ts, `deliverySetup`).
   */
  private deliveryEnvironment(
    prefix: string,
    repository: github.Repository,
    args: GitHubOrganizationArgs,
  ): void {
    const environment = this.defaultBranchEnvironment(
      `${prefix}-delivery`,
      repository.name,
      AUTOMATION.deliveryEnvironment,
    );
    new github.ActionsEnvironmentSecret(
      `${prefix}-delivery-key`,
      {
        repository: repository.name,
        environment: environment.environment,
        secretName: AUTOMATION.deliveryPrivateKeySecret,
        value: pulumi.secret(args.deliveryApp.privateKey),
      },
      { parent: this },
    );
    new github.RepositoryRuleset(
      `${prefix}-ruleset`,
      {
        name: GITHUB_ORGANIZATION_DEFAULTS.rulesetName,
        repository: repository.name,
        target: "branch",
        enforcement: "active",
        conditions: { refName: { includes: [`refs/heads/${MANAGEMENT_BRANCH}`], excludes: [] } },
        // Nobody bypasses it: after creation nothing of the platform's pushes to an app repository.
        bypassActors: [],
        rules: appBranchRules(),
      },
      { parent: this },
    );
  }
  /** A repository environment only runs from the default branch may use (admins cannot bypass it). */
  private defaultBranchEnvironment(
    resourceName: string,
    repository: pulumi.Input<string>,
    environmentName: string,
  ): github.RepositoryEnvironment {
    const environment = new github.RepositoryEnvironment(
      resourceName,
      {
        repository,
        environment: environmentName,
        canAdminsBypass: false,
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
      },
      { parent: this },
    );
    new github.RepositoryEnvironmentDeploymentPolicy(
      `${resourceName}-branch`,
      { repository, environment: environment.environment, branchPattern: MANAGEMENT_BRANCH },
      { parent: this },
    );
    return environment;
  }

  /** The management repository's `port` environment: the catalog workflow's Port API and credentials. */
  private portEnvironment(
    name: string,
    repository: pulumi.Input<string>,
    port: NonNullable<GitHubOrganizationArgs["port"]>,
  ): void {
    const environment = this.defaultBranchEnvironment(`${name}-port`, repository, AUTOMATION.portEnvironment);
    const variables = [
      [AUTOMATION.portApiUrlVariable, "api-url", port.apiUrl],
      [AUTOMATION.portClientIdVariable, "client-id", port.clientId],
    ] as const;
    for (const [variableName, suffix, value] of variables) {
      new github.ActionsEnvironmentVariable(
        `${name}-port-${suffix}`,
        { repository, environment: environment.environment, variableName, value },
        { parent: this },
      );
    }
    new github.ActionsEnvironmentSecret(
      `${name}-port-client-secret`,
      {
        repository,
        environment: environment.environment,
        secretName: AUTOMATION.portClientSecret,
        value: pulumi.secret(port.clientSecret),
      },
      { parent: this },
    );
  }
}

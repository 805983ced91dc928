/**
 * `ArgoCd`: GitOps for everything developers own. Pulumi installs Argo CD and owns what Argo CD itself
 * needs (its secrets, the AppProjects, the management repository's credentials and webhook, and the
 * environment's root Application); Argo CD owns everything in the management repository. No object is
 * both: the seeded tree holds only Applications, namespaces and the teams' resources.
 *
 * - Chart argo-cd (Argo CD 3.x) with annotation resource tracking, the server behind the stack's ingress
 *   layer (TLS ends there), CRDs installed and kept, the chart's NetworkPolicies and default-deny ingress.
 * - Sign-in: Dex with the GitHub organization's teams (slugs) and RBAC generated from the same team list
 *   the GitHub part creates; the local admin is off. Without SSO (local stacks), the admin password is
 *   generated into the secrets backend.
 * - `argocd-secret` is an ExternalSecret (the chart does not create it): server key, admin password hash
 *   and its time, webhook secret, Dex's client secret.
 * - The management repository: a read-only deploy key per stack (SSH), delivered as an Argo CD
 *   repository Secret through an ExternalSecret, and a push webhook with a shared secret.
 * - AppProjects `platform` and `team-<slug>`, and the root Application (app of apps) of the environment,
 *   which waits for everything the synced resources need and cascades on delete (resources finalizer).
 */
import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import * as kubernetes from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as time from "@pulumiverse/time";
import YAML from "yaml";
import type { EnvironmentProfile } from "./profile";
import type { IngressLayerRef, Readiness, SecretsBackend, StoredSecret } from "./contracts";
import {
  gitOpsRepoUrl,
  MANAGEMENT_BRANCH,
  managementRepoPaths,
  PLATFORM_HOST_LABELS,
  ROUTES_LABEL,
  serviceHost,
  teamNamespace,
  teamProject,
} from "./conventions";
import { XR_GROUP, XR_KINDS } from "./crossplane/api";
import { PLATFORM_PROJECT } from "./github/resources";
import { admitAcmeSolver, expose } from "./ingress";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection } from "./kube";
import { externalSecret } from "./secrets-backend";
import { CHARTS, type Mirror } from "./versions";

/** Names other parts and the docs rely on. */
export const ARGOCD_NAMES = {
  namespace: "argocd",
  releaseName: "argocd",
  /** The chart's server Service (release `argocd`), plain HTTP behind the ingress layer. */
  serverService: "argocd-server",
  serverPort: 80,
  /** Argo CD reads its settings' secrets from this Secret (the chart does not create it here). */
  secret: "argocd-secret",
  /** The Argo CD repository Secret of the management repository. */
  repositorySecret: "management-repository",
  /** The environment's app of apps. */
  rootApplication: "platform-root",
} as const;

/** The cluster Argo CD runs in, as Applications and AppProjects name it. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

/** Deleting an Application with this finalizer deletes what it deployed first (cascade). */
export const RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io";

/** Backend names of Argo CD's secrets (`SecretsBackend.put`). */
export const ARGOCD_SECRET_NAMES = {
  server: "argocd/server",
  dex: "argocd/dex",
  repository: "argocd/management-repository",
} as const;

export interface ArgoCdTeam {
  /** GitHub team slug: Dex's group is `<owner>:<slug>`; project and namespace are `team-<slug>`. */
  readonly slug: string;
  /** Platform administrators get Argo CD's `role:admin`. */
  readonly platformAdmin: boolean;
}

export interface ArgoCdApp {
  /** App name, also its repository's name. */
  readonly name: string;
  /** Owning team's slug. */
  readonly team: string;
}

/**
 * The health of a composite resource of the platform (App, SQLDatabase), as Argo CD's own check for
 * Crossplane's kinds judges it (argo-cd v3.4.4 resource_customizations/_.crossplane.io/_/health.lua),
 * which covers only groups ending in crossplane.io: Synced False is Degraded, Ready True is Healthy, and
 * anything else (no status yet, Ready False) is Progressing with the condition's reason and message.
 * Lua 5.1, as Argo CD runs it (gopher-lua).
 */
export const XR_HEALTH_LUA = `health_status = { status = "Progressing", message = "Provisioning ..." }
if obj.status == nil or obj.status.conditions == nil then
  return health_status
end
for i, condition in ipairs(obj.status.conditions) do
  if condition.type == "Synced" and condition.status == "False" then
    health_status.status = "Degraded"
    health_status.message = condition.message
    return health_status
  end
end
for i, condition in ipairs(obj.status.conditions) do
  if condition.type == "Ready" then
    if condition.status == "True" then
      health_status.status = "Healthy"
      health_status.message = "Resource is up-to-date."
    else
      health_status.message = (condition.reason or "NotReady") .. ": " .. (condition.message or "composed resources are not ready yet")
    end
  end
end
return health_status
`;

/**
 * A SchemaHero Table: its only status is the spec it last planned (schemahero v0.25.0 Table status
 * `lastPlannedTableSpecSHA`); applying the plan is a Migration's business (approved by hand in prod).
 * So: Progressing until SchemaHero has planned it, then Healthy.
 */
export const TABLE_HEALTH_LUA = `health_status = { status = "Progressing", message = "SchemaHero has not planned this table yet" }
if obj.status ~= nil and obj.status.lastPlannedTableSpecSHA ~= nil and obj.status.lastPlannedTableSpecSHA ~= "" then
  health_status.status = "Healthy"
  health_status.message = "Planned; its Migration applies it"
end
return health_status
`;

/** Argo CD health checks by `<group>_<kind>` (argocd-cm `resource.customizations.health.<group>_<kind>`). */
export const HEALTH_CHECKS: Readonly<Record<string, string>> = {
  [`${XR_GROUP}_${XR_KINDS.app}`]: XR_HEALTH_LUA,
  [`${XR_GROUP}_${XR_KINDS.sqlDatabase}`]: XR_HEALTH_LUA,
  "schemas.schemahero.io_Table": TABLE_HEALTH_LUA,
};

export interface ArgoCdArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /**
   * API servers of the workload clusters Argo CD deploys to besides its own (their registrations are
   * components/workload-clusters.ts): each team's project may deploy to its namespace there. Default none.
   */
  readonly workloadClusterServers?: readonly string[];
  /** Environment profile: replicas, protection, the root Application's sync policy. */
  readonly profile: EnvironmentProfile;
  /** The environment (stack): the root Application syncs `environments/<environment>/argocd`. */
  readonly environment: string;
  /** Base DNS domain: Argo CD is served at `argocd.<domain>`. */
  readonly domain: string;
  /** The management repository, by owner and name: every stack refers to it by name. */
  readonly managementRepository: {
    readonly owner: string;
    readonly name: string;
    /** On the stack that creates the repository: the deploy key and the webhook wait for it. */
    readonly created?: Readiness;
    /** On the stack that seeds it: the root Application waits until its folder exists. */
    readonly seeded?: Readiness;
  };
  /** Teams (idp:teams): Dex's allowed teams, RBAC roles and one AppProject each. At least one admin team. */
  readonly teams: readonly ArgoCdTeam[];
  /** Apps (idp:apps): their repositories are allowed sources of their team's project. Default none. */
  readonly apps?: readonly ArgoCdApp[];
  /** The stack's ingress layer: the server is published at `https://argocd.<domain>`. */
  readonly ingress: IngressLayerRef;
  /** Where Argo CD's secrets are written; they reach Argo CD through ExternalSecrets only. */
  readonly secrets: SecretsBackend;
  /**
   * Sign-in through Dex with GitHub (an OAuth App). Absent: the local admin account stays on, with a
   * generated password in the secrets backend.
   */
  readonly sso?: { readonly clientId: string; readonly clientSecret: pulumi.Input<string> };
  /**
   * A push webhook from the management repository. Absent: no webhook, Argo CD polls. `insecureSsl`
   * only where GitHub cannot verify the certificate (a stack on the local CA).
   */
  readonly webhook?: { readonly insecureSsl: boolean };
  /**
   * What the synced resources need besides Argo CD (the Crossplane API, SchemaHero): the root
   * Application waits for them, so no claim syncs before its kinds are served. Default none.
   */
  readonly syncPrerequisites?: Readiness;
}

export const ARGOCD_DEFAULTS = {
  /** Memory limits only, no CPU limits (as everywhere in the platform). */
  resources: {
    controller: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "2Gi" } },
    repoServer: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    server: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    applicationSet: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    dex: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    redis: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    redisSecretInit: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
  },
  /** Users whom no rule grants anything see nothing (not even read-only). */
  rbacDefaultPolicy: "",
  /** Sync retries of the root Application (its children carry their own). */
  syncRetry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } },
} as const;

/** Misuse of the component (config validation reports the same problems earlier, with the key to fix). */
export function argoCdArgsProblems(args: ArgoCdArgs): string[] {
  const problems: string[] = [];
  const slugs = new Set(args.teams.map((team) => team.slug));
  if (!args.teams.some((team) => team.platformAdmin)) problems.push("no team is a platform admin team");
  if (slugs.size !== args.teams.length) problems.push("team slugs repeat");
  for (const app of args.apps ?? []) {
    if (!slugs.has(app.team)) problems.push(`app ${app.name} names the unknown team ${app.team}`);
  }
  return problems;
}

/** Argo CD's role of a product team, limited to the team's project. */
export function teamRole(slug: string): string {
  return `role:${teamProject(slug)}`;
}

/**
 * `policy.csv` from the team list: platform admin teams get `role:admin`; every other team a role
 * that may read its own project and its Applications, sync them, run their resource actions (e.g.
 * restart) and read their logs, and nothing else (Applications change through Git only).
 */
export function argoCdRbacPolicy(owner: string, teams: readonly ArgoCdTeam[]): string {
  const lines = [
    "# Generated from idp:teams by the platform (components/argocd.ts); change the teams there.",
  ];
  for (const team of teams) {
    const group = `${owner}:${team.slug}`;
    if (team.platformAdmin) {
      lines.push(`g, ${group}, role:admin`);
      continue;
    }
    const role = teamRole(team.slug);
    const project = teamProject(team.slug);
    lines.push(
      `p, ${role}, projects, get, ${project}, allow`,
      `p, ${role}, applications, get, ${project}/*, allow`,
      `p, ${role}, applications, sync, ${project}/*, allow`,
      `p, ${role}, applications, action/*, ${project}/*, allow`,
      `p, ${role}, logs, get, ${project}/*, allow`,
      `g, ${group}, ${role}`,
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Dex's GitHub connector: only members of the listed teams sign in, and their groups are
 * `<owner>:<team slug>` (what the RBAC policy names). The client secret stays in `argocd-secret`.
 */
export function dexConfig(owner: string, teams: readonly ArgoCdTeam[], clientId: string): string {
  return YAML.stringify({
    connectors: [
      {
        type: "github",
        id: "github",
        name: "GitHub",
        config: {
          clientID: clientId,
          clientSecret: "$dex.github.clientSecret",
          orgs: [{ name: owner, teams: teams.map((team) => team.slug) }],
          teamNameField: "slug",
          loadAllGroups: false,
          useLoginAsID: false,
        },
      },
    ],
  });
}

export interface ArgoCdValuesInput {
  readonly profile: EnvironmentProfile;
  readonly host: string;
  readonly owner: string;
  readonly teams: readonly ArgoCdTeam[];
  readonly ssoClientId?: string;
}

/** Values of the argo-cd chart. Never secrets: those reach Argo CD through `argocd-secret`. */
export function argoCdValues(input: ArgoCdValuesInput): Record<string, unknown> {
  const { profile, host } = input;
  const resources = ARGOCD_DEFAULTS.resources;
  // Server and repo-server are stateless and scale out; the application controller stays single (one
  // cluster, nothing to shard), and Redis is a cache (HA Redis needs three nodes and HAProxy).
  const replicas = profile.controllerReplicas;
  const pdb = replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false };
  const sso = input.ssoClientId !== undefined;
  return {
    global: { domain: host, networkPolicy: { create: true, defaultDenyIngress: true } },
    crds: { install: true, keep: true },
    configs: {
      cm: {
        url: `https://${host}`,
        // Explicit, so an upgrade that changes the default cannot move Argo CD to another tracking method.
        "application.resourceTrackingMethod": "annotation",
        "admin.enabled": sso ? "false" : "true",
        "users.anonymous.enabled": "false",
        "exec.enabled": "false",
        // Without these Argo CD skips the platform's kinds when it computes health, so a broken App
        // would show Healthy (argo-cd v3.4.4, controller/health.go: no health check, no status).
        ...Object.fromEntries(
          Object.entries(HEALTH_CHECKS).map(([kind, script]) => [
            `resource.customizations.health.${kind}`,
            script,
          ]),
        ),
        ...(input.ssoClientId !== undefined
          ? { "dex.config": dexConfig(input.owner, input.teams, input.ssoClientId) }
          : {}),
      },
      // TLS ends at the ingress layer; the server speaks plain HTTP behind it.
      params: { "server.insecure": true },
      rbac: {
        "policy.default": ARGOCD_DEFAULTS.rbacDefaultPolicy,
        "policy.csv": argoCdRbacPolicy(input.owner, input.teams),
        scopes: "[groups]",
        "policy.matchMode": "glob",
      },
      // argocd-secret comes from an ExternalSecret (components/argocd.ts).
      secret: { createSecret: false },
    },
    controller: { replicas: 1, resources: resources.controller },
    server: { replicas, pdb, resources: resources.server },
    repoServer: { replicas, pdb, resources: resources.repoServer },
    // The seeded per-team Applications make ApplicationSets unnecessary (docs/gitops.md): no controller.
    applicationSet: { replicas: 0, resources: resources.applicationSet },
    notifications: { enabled: false },
    dex: { enabled: sso, resources: resources.dex },
    redis: { resources: resources.redis },
    redisSecretInit: { resources: resources.redisSecretInit },
  };
}

const ARGO_API_VERSION = "argoproj.io/v1alpha1";

/**
 * The platform's project: the environment's `argocd` folder (Applications, into Argo CD's namespace)
 * and its `infrastructure` folder (the teams' namespaces: cluster-scoped, so that Application has no
 * destination namespace). Nothing else, from the management repository only.
 */
export function platformAppProject(
  repoUrl: string,
  workloadServers: readonly string[] = [],
): Record<string, unknown> {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: "AppProject",
    metadata: { name: PLATFORM_PROJECT, namespace: ARGOCD_NAMES.namespace, labels: { ...PLATFORM_LABELS } },
    spec: {
      description:
        "The platform's folders of the management repository: the environment's Applications and its shared infrastructure (the teams' namespaces).",
      sourceRepos: [repoUrl],
      destinations: [
        { server: IN_CLUSTER, namespace: ARGOCD_NAMES.namespace },
        // Applications without a destination namespace: only cluster-scoped resources (the teams'
        // namespaces), here and on every workload cluster.
        { server: IN_CLUSTER },
        ...workloadServers.map((server) => ({ server })),
      ],
      // Only the teams' namespaces (Argo CD 3.3+ matches `name` as a glob): a commit to the platform's
      // folder cannot create or adopt any other namespace, argocd and kube-system included.
      clusterResourceWhitelist: [{ group: "", kind: "Namespace", name: teamNamespace("*") }],
      namespaceResourceWhitelist: [{ group: "argoproj.io", kind: "Application" }],
    },
  };
}

/** Kinds a team's folder holds: its apps, their databases and SchemaHero tables. */
export const TEAM_RESOURCE_KINDS = [
  { group: XR_GROUP, kind: XR_KINDS.app },
  { group: XR_GROUP, kind: XR_KINDS.sqlDatabase },
  { group: "schemas.schemahero.io", kind: "Table" },
] as const;

/**
 * A team's project: sources are the management repository and the team's app repositories; the only
 * destination is the team's namespace in this cluster; no cluster-scoped kinds; namespaced kinds only
 * those of `TEAM_RESOURCE_KINDS`.
 */
export function teamAppProject(
  slug: string,
  owner: string,
  managementRepository: string,
  appRepositories: readonly string[],
  workloadServers: readonly string[] = [],
): Record<string, unknown> {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: "AppProject",
    metadata: { name: teamProject(slug), namespace: ARGOCD_NAMES.namespace, labels: { ...PLATFORM_LABELS } },
    spec: {
      description: `Team ${slug}: its apps, databases and schemas in namespace ${teamNamespace(slug)}.`,
      sourceRepos: [
        gitOpsRepoUrl(owner, managementRepository),
        ...appRepositories.map((repository) => gitOpsRepoUrl(owner, repository)),
      ],
      // The team's namespace, in this cluster and on each workload cluster.
      destinations: [IN_CLUSTER, ...workloadServers].map((server) => ({
        server,
        namespace: teamNamespace(slug),
      })),
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: TEAM_RESOURCE_KINDS.map((kind) => ({ ...kind })),
    },
  };
}

/** The environment's app of apps: `environments/<env>/argocd` into Argo CD's namespace, project platform. */
export function rootApplication(
  environment: string,
  repoUrl: string,
  profile: EnvironmentProfile,
): Record<string, unknown> {
  return {
    apiVersion: ARGO_API_VERSION,
    kind: "Application",
    metadata: {
      name: ARGOCD_NAMES.rootApplication,
      namespace: ARGOCD_NAMES.namespace,
      // The environment is in the Application's path; a label with the bare stack name would be the only
      // place a stack's name leaks into an object (the promotion diff allows it only in known forms).
      labels: { ...PLATFORM_LABELS },
      // Deleting the root app deletes the Applications it created, and theirs what they deployed, while
      // Argo CD still runs: Pulumi deletes this object before the release it depends on.
      finalizers: [RESOURCES_FINALIZER],
    },
    spec: {
      project: PLATFORM_PROJECT,
      source: {
        repoURL: repoUrl,
        targetRevision: MANAGEMENT_BRANCH,
        path: managementRepoPaths.rootApps(environment),
      },
      destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMES.namespace },
      syncPolicy: {
        automated: { prune: profile.gitOpsSync.prune, selfHeal: profile.gitOpsSync.selfHeal },
        syncOptions: ["PrunePropagationPolicy=foreground", "PruneLast=true", "FailOnSharedResource=true"],
        retry: ARGOCD_DEFAULTS.syncRetry,
      },
    },
  };
}

/** Where the generated admin password is kept, when the local admin account is on. */
export interface AdminPasswordRef {
  /** Backend key (`SecretsBackend.remoteKey`) of the secret that holds it. */
  readonly remoteKey: string;
  /** Property with the plaintext password. */
  readonly property: string;
}

export class ArgoCd extends pulumi.ComponentResource {
  /** The Argo CD release: custom resources of Argo CD wait for it. */
  public readonly release: kubernetes.helm.v3.Release;
  /** Argo CD serves its CRDs and API. */
  public readonly ready: Readiness;
  /** The AppProjects, by name. */
  public readonly projects: Readonly<Record<string, kubernetes.apiextensions.CustomResource>>;
  /** The environment's root Application. */
  public readonly rootApplication: kubernetes.apiextensions.CustomResource;
  /** `https://argocd.<domain>`. */
  public readonly url: string;
  /** The repository URL every Application of the management repository uses. */
  public readonly repositoryUrl: string;
  /** Set when the local admin account is on (no SSO): where its password is. */
  public readonly adminPassword?: AdminPasswordRef;

  constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:argocd:ArgoCd", name, {}, opts);
    const problems = argoCdArgsProblems(args);
    if (problems.length > 0) throw new Error(`ArgoCd ${name}: ${problems.join("; ")}`);
    const { profile, secrets } = args;
    const protection = statefulProtection(profile);
    const repository = args.managementRepository;
    const repositoryCreated = [...(repository.created ?? [])];
    const host = serviceHost(PLATFORM_HOST_LABELS[0], args.domain);
    const repoUrl = gitOpsRepoUrl(repository.owner, repository.name);
    this.url = `https://${host}`;
    this.repositoryUrl = repoUrl;

    const ns = namespace(
      `${name}-namespace`,
      // Its server's route attaches to the shared Gateway.
      {
        name: ARGOCD_NAMES.namespace,
        podSecurity: "restricted",
        labels: { [ROUTES_LABEL.key]: ROUTES_LABEL.value },
      },
      { parent: this, ...protection },
    );

    // --- argocd-secret: generated values and Dex's client secret, through the backend --------------
    const serverKey = new random.RandomPassword(
      `${name}-server-key`,
      { length: 48, special: false },
      { parent: this },
    );
    const data: Record<string, pulumi.Input<string>> = { serverSecretKey: serverKey.result };
    const keys: Array<{ secretKey: string; property: string }> = [
      { secretKey: "server.secretkey", property: "serverSecretKey" },
    ];
    if (args.sso === undefined) {
      const admin = new random.RandomPassword(
        `${name}-admin-password`,
        { length: 24, special: false },
        { parent: this },
      );
      // Changes exactly when the password does: sessions issued before a new password are refused.
      const changed = new time.Static(
        `${name}-admin-password-time`,
        { triggers: { passwordHash: admin.bcryptHash } },
        { parent: this },
      );
      data["adminPassword"] = admin.result;
      data["adminPasswordBcrypt"] = admin.bcryptHash;
      data["adminPasswordMtime"] = changed.rfc3339;
      keys.push(
        { secretKey: "admin.password", property: "adminPasswordBcrypt" },
        { secretKey: "admin.passwordMtime", property: "adminPasswordMtime" },
      );
      this.adminPassword = {
        remoteKey: secrets.remoteKey(ARGOCD_SECRET_NAMES.server),
        property: "adminPassword",
      };
    }
    const webhookSecret =
      args.webhook !== undefined
        ? new random.RandomPassword(
            `${name}-webhook-secret`,
            { length: 40, special: false },
            { parent: this },
          )
        : undefined;
    if (webhookSecret !== undefined) {
      data["webhookGithubSecret"] = webhookSecret.result;
      keys.push({ secretKey: "webhook.github.secret", property: "webhookGithubSecret" });
    }
    const serverSecret: StoredSecret = secrets.put(
      `${name}-server-secret`,
      {
        name: ARGOCD_SECRET_NAMES.server,
        data,
        description:
          "Argo CD's generated secrets (argocd-secret): server key, admin password without SSO, webhook secret.",
      },
      { parent: this },
    );
    // Dex's client secret comes from config, not from a generator: a secret of its own in the backend.
    const dexSecret =
      args.sso !== undefined
        ? secrets.put(
            `${name}-dex-secret`,
            {
              name: ARGOCD_SECRET_NAMES.dex,
              data: { clientSecret: args.sso.clientSecret },
              description: `Client secret of the GitHub OAuth App ${args.sso.clientId} (Argo CD's Dex).`,
            },
            { parent: this },
          )
        : undefined;
    const argocdSecret = externalSecret(
      `${name}-argocd-secret`,
      {
        name: ARGOCD_NAMES.secret,
        namespace: ns.metadata.name,
        store: secrets.store,
        data: [
          ...keys.map((key) => ({ ...key, from: serverSecret })),
          ...(dexSecret !== undefined
            ? [{ secretKey: "dex.github.clientSecret", from: dexSecret, property: "clientSecret" }]
            : []),
        ],
        // Argo CD only reads Secrets labelled as its own.
        target: { labels: { "app.kubernetes.io/part-of": "argocd" } },
      },
      { parent: this },
    );

    // --- The release ---------------------------------------------------------------------------------
    this.release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.argoCd,
        mirror: args.mirror,
        releaseName: ARGOCD_NAMES.releaseName,
        namespace: ns.metadata.name,
        values: argoCdValues({
          profile,
          host,
          owner: repository.owner,
          teams: args.teams,
          ...(args.sso !== undefined ? { ssoClientId: args.sso.clientId } : {}),
        }),
      },
      // The server starts with its secret in place (server key, admin or Dex credentials).
      { parent: this, dependsOn: [argocdSecret], ...protection },
    );
    this.ready = [this.release];
    const route = expose(
      `${name}-route`,
      {
        layer: args.ingress,
        name: ARGOCD_NAMES.serverService,
        namespace: ns.metadata.name,
        host,
        service: { name: ARGOCD_NAMES.serverService, port: ARGOCD_NAMES.serverPort },
      },
      { parent: this, dependsOn: [this.release] },
    );
    // Behind ingress-nginx the Ingress's certificate is solved in this namespace, which the chart's
    // default-deny policy closes: admit the solver.
    if (args.ingress.kind === "nginx") {
      admitAcmeSolver(`${name}-acme-solver`, ns.metadata.name, { parent: this, dependsOn: [this.release] });
    }

    // --- The management repository: read-only deploy key and webhook (this stack's own) ----------------
    const deployKey = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, { parent: this });
    const githubKey = new github.RepositoryDeployKey(
      `${name}-deploy-key-github`,
      {
        repository: repository.name,
        title: `Argo CD ${args.environment} (${host})`,
        key: deployKey.publicKeyOpenssh,
        readOnly: true,
      },
      { parent: this, dependsOn: repositoryCreated },
    );
    const repositoryKey = secrets.put(
      `${name}-repository-secret`,
      {
        name: ARGOCD_SECRET_NAMES.repository,
        data: { sshPrivateKey: deployKey.privateKeyOpenssh },
        description: `Argo CD's read-only deploy key of ${repository.owner}/${repository.name} (${args.environment}).`,
      },
      { parent: this },
    );
    const repositorySecret = externalSecret(
      `${name}-repository`,
      {
        name: ARGOCD_NAMES.repositorySecret,
        namespace: ns.metadata.name,
        store: secrets.store,
        data: [{ secretKey: "sshPrivateKey", from: repositoryKey, property: "sshPrivateKey" }],
        target: {
          labels: { "argocd.argoproj.io/secret-type": "repository", "app.kubernetes.io/part-of": "argocd" },
          templateData: { type: "git", name: "management", url: repoUrl },
        },
      },
      { parent: this },
    );
    if (webhookSecret !== undefined && args.webhook !== undefined) {
      new github.RepositoryWebhook(
        `${name}-webhook`,
        {
          repository: repository.name,
          active: true,
          events: ["push"],
          configuration: {
            url: `${this.url}/api/webhook`,
            contentType: "json",
            insecureSsl: args.webhook.insecureSsl,
            secret: pulumi.secret(webhookSecret.result),
          },
        },
        // Created once Argo CD answers at its URL with the secret, so GitHub's first ping succeeds.
        { parent: this, dependsOn: [this.release, route, argocdSecret, ...repositoryCreated] },
      );
    }

    // --- AppProjects and the root Application (Argo CD custom resources, after the release) ----------
    const appsByTeam = new Map<string, string[]>();
    for (const app of args.apps ?? [])
      appsByTeam.set(app.team, [...(appsByTeam.get(app.team) ?? []), app.name]);
    const projectObjects = [
      platformAppProject(repoUrl, args.workloadClusterServers),
      ...args.teams.map((team) =>
        teamAppProject(
          team.slug,
          repository.owner,
          repository.name,
          appsByTeam.get(team.slug) ?? [],
          args.workloadClusterServers,
        ),
      ),
    ];
    const projects: Record<string, kubernetes.apiextensions.CustomResource> = {};
    for (const object of projectObjects) {
      const projectName = (object["metadata"] as { name: string }).name;
      projects[projectName] = new kubernetes.apiextensions.CustomResource(
        `${name}-project-${projectName}`,
        object as kubernetes.apiextensions.CustomResourceArgs,
        { parent: this, dependsOn: [this.release] },
      );
    }
    this.projects = projects;
    this.rootApplication = new kubernetes.apiextensions.CustomResource(
      `${name}-root`,
      rootApplication(args.environment, repoUrl, profile) as kubernetes.apiextensions.CustomResourceArgs,
      {
        parent: this,
        ...protection,
        dependsOn: [
          this.release,
          ...Object.values(projects),
          repositorySecret,
          githubKey,
          ...(repository.seeded ?? []),
          ...(args.syncPrerequisites ?? []),
        ],
      },
    );

    this.registerOutputs({ url: this.url, repositoryUrl: this.repositoryUrl });
  }
}

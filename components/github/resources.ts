/**
 * The Kubernetes objects the management repository holds, built from the platform's own definitions:
 * `App` and `SQLDatabase` from the XR API (components/crossplane/api.ts), SchemaHero `Table`s, Argo CD
 * `Application`s per team, and the teams' namespaces.
 */
import { appResource, sqlDatabaseResource } from "../crossplane/api";
import {
  gitOpsRepoUrl,
  managementRepoPaths,
  MANAGEMENT_BRANCH,
  serviceHost,
  teamNamespace,
  teamProject,
  TEAM_NAMESPACE_LABEL,
  ROUTES_LABEL,
} from "../conventions";
import { podSecurityLabels } from "../kube";
import { type AppSpec, type EnvironmentSpec, type OrganizationLayout } from "./model";

/** Argo CD project of the platform's own shared resources (created by the GitOps part). */
export const PLATFORM_PROJECT = "platform";

/** Name of the Argo CD Application that syncs an environment's infrastructure folder. */
export const INFRASTRUCTURE_APPLICATION = "platform-infrastructure";

export const SCHEMAHERO_TABLE_API = "schemas.schemahero.io/v1alpha4";

/** The `App` of an app in one environment, running `image`. */
export function appObject(env: EnvironmentSpec, app: AppSpec, image: string): Record<string, unknown> {
  return appResource({
    name: app.name,
    namespace: teamNamespace(app.team),
    image,
    host: serviceHost(app.name, env.domain),
    ...(app.database ? { database: app.name } : {}),
  });
}

/** The app's `SQLDatabase`, named like the app: its SchemaHero Database and connection Secret follow. */
export function databaseObject(app: AppSpec): Record<string, unknown> {
  return sqlDatabaseResource({ name: app.name, namespace: teamNamespace(app.team) });
}

/**
 * SchemaHero tables of the sample service: declarative migrations SchemaHero plans and applies to the
 * SchemaHero `Database` named like the app's SQLDatabase. `namespace` is left out for the template
 * repository, whose pipeline sets it when it copies the tables into the management repository.
 */
export function tableObjects(app: string, namespace?: string): Array<Record<string, unknown>> {
  const table = {
    name: "items",
    primaryKey: ["id"],
    columns: [
      // serial, not integer + autoIncrement: SchemaHero's postgres plugin ignores autoIncrement
      // (schemahero v0.25.0, plugins/postgres/lib/column.go), so the column would have no sequence.
      { name: "id", type: "serial", constraints: { notNull: true } },
      { name: "name", type: "varchar(255)", constraints: { notNull: true } },
      { name: "created_at", type: "timestamp" },
    ],
  };
  return [
    {
      apiVersion: SCHEMAHERO_TABLE_API,
      kind: "Table",
      metadata: { name: `${app}-${table.name}`, ...(namespace !== undefined ? { namespace } : {}) },
      spec: {
        database: app,
        name: table.name,
        schema: {
          postgres: { primaryKey: table.primaryKey, columns: table.columns },
        },
      },
    },
  ];
}

/**
 * Column attributes a SchemaHero engine plugin ignores, by engine (schemahero v0.25.0: only the mysql
 * and sqlite plugins read `autoIncrement`; plugins/postgres/lib/column.go never does). A Table that
 * sets one gets a column without what its author meant.
 */
export const IGNORED_COLUMN_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  postgres: ["autoIncrement"],
};

/** Problems of a SchemaHero Table: attributes its engine would silently ignore. */
export function tableProblems(table: Record<string, unknown>): string[] {
  const name = String((table["metadata"] as { name?: unknown } | undefined)?.name);
  const schema = ((table["spec"] as { schema?: Record<string, unknown> } | undefined)?.schema ??
    {}) as Record<string, { columns?: Array<{ name: string; attributes?: Record<string, unknown> }> }>;
  const problems: string[] = [];
  for (const [engine, definition] of Object.entries(schema)) {
    for (const column of definition.columns ?? []) {
      for (const attribute of Object.keys(column.attributes ?? {})) {
        if ((IGNORED_COLUMN_ATTRIBUTES[engine] ?? []).includes(attribute)) {
          problems.push(
            `Table ${name}: column ${column.name} sets ${attribute}, which SchemaHero's ${engine} plugin ignores${attribute === "autoIncrement" ? " (use type serial or bigserial)" : ""}`,
          );
        }
      }
    }
  }
  return problems;
}

/** Sync policy of an environment's Applications: automated as its profile says, retried, pruned last. */
function syncPolicy(env: EnvironmentSpec): Record<string, unknown> {
  return {
    automated: { prune: env.profile.gitOpsSync.prune, selfHeal: env.profile.gitOpsSync.selfHeal },
    syncOptions: ["PrunePropagationPolicy=foreground", "PruneLast=true", "FailOnSharedResource=true"],
    retry: { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } },
  };
}

/**
 * A team's Argo CD Application in one environment: everything under the team's folder, recursively,
 * into the team's namespace, within the team's project. Its namespace is left to the root application,
 * which applies it into Argo CD's namespace.
 */
export function teamApplication(
  layout: Pick<OrganizationLayout, "owner" | "managementRepository">,
  env: EnvironmentSpec,
  team: string,
): Record<string, unknown> {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name: teamProject(team),
      labels: { "idp.platform/team": team, "idp.platform/environment": env.name },
      // Deleting the Application deletes what it deployed, before Argo CD forgets it.
      finalizers: ["resources-finalizer.argocd.argoproj.io"],
    },
    spec: {
      project: teamProject(team),
      source: {
        // The SSH URL Argo CD's repository Secret (deploy key) is registered under.
        repoURL: gitOpsRepoUrl(layout.owner, layout.managementRepository),
        targetRevision: MANAGEMENT_BRANCH,
        path: managementRepoPaths.teamApps(env.name, team),
        directory: { recurse: true },
      },
      destination: { server: "https://kubernetes.default.svc", namespace: teamNamespace(team) },
      syncPolicy: syncPolicy(env),
    },
  };
}

/** The Application of an environment's shared infrastructure folder (team namespaces and the like). */
export function infrastructureApplication(
  layout: Pick<OrganizationLayout, "owner" | "managementRepository">,
  env: EnvironmentSpec,
): Record<string, unknown> {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name: INFRASTRUCTURE_APPLICATION,
      labels: { "idp.platform/environment": env.name },
      // No resources finalizer: removing this Application must never delete the teams' namespaces.
    },
    spec: {
      project: PLATFORM_PROJECT,
      source: {
        // The SSH URL Argo CD's repository Secret (deploy key) is registered under.
        repoURL: gitOpsRepoUrl(layout.owner, layout.managementRepository),
        targetRevision: MANAGEMENT_BRANCH,
        path: managementRepoPaths.infrastructure(env.name),
        directory: { recurse: true },
      },
      destination: { server: "https://kubernetes.default.svc" },
      syncPolicy: syncPolicy(env),
    },
  };
}

/**
 * A team's namespace, labelled with the team. Argo CD never prunes or deletes it (a namespace holds the
 * team's databases), even when the team leaves the config.
 *
 * Pod Security: enforces `baseline`, audits and warns `restricted`. SchemaHero runs one controller per
 * database in the database's namespace, a StatefulSet it builds itself without a securityContext (v0.25.0),
 * which `restricted` would reject; the App composition's workloads meet `restricted` anyway, and audit and
 * warn report anything else that does not.
 */
export function teamNamespaceObject(team: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: teamNamespace(team),
      labels: {
        ...podSecurityLabels("restricted"),
        "pod-security.kubernetes.io/enforce": "baseline",
        [TEAM_NAMESPACE_LABEL]: team,
        // Its Apps' routes may attach to the shared Gateway.
        [ROUTES_LABEL.key]: ROUTES_LABEL.value,
      },
      annotations: { "argocd.argoproj.io/sync-options": "Prune=false,Delete=false" },
    },
  };
}

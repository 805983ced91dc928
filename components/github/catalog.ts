/**
 * The software catalog of the organization, generated from the same team and app data as everything
 * else, in two forms:
 * - Backstage descriptors (`backstage.io/v1alpha1`): a Domain for the organization, a System per team,
 *   and per app a Component, the API it provides and, with a database, a Resource. Groups (and their
 *   members) come from Backstage's GitHub org provider, which names each Group after its team's slug:
 *   one source, so the catalog never holds two Groups of one team (docs/portals.md).
 * - Port: blueprints of the same model (domain, system, component, api, resource and their relations)
 *   and the entities, as JSON for Port's API.
 */
import { managementRepoPaths, teamNamespace, teamProject } from "../conventions";
import { BACKSTAGE_ID_LABEL, databaseConnectionSecret } from "../crossplane/api";
import {
  managed,
  MANAGED_NOTICE,
  seedOnce,
  yamlDocuments,
  type AppSpec,
  type FileTree,
  type OrganizationLayout,
} from "./model";

export const BACKSTAGE_API_VERSION = "backstage.io/v1alpha1";
/** The file of the template repository that describes an app's API (OpenAPI). */
export const OPENAPI_FILE = "openapi.yaml";

/** Entity names of one app: Component, API and (with a database) Resource. */
export function catalogNames(app: string) {
  return { component: app, api: `${app}-api`, resource: `${app}-database` } as const;
}

function repositoryUrl(owner: string, repository: string): string {
  return `https://github.com/${owner}/${repository}`;
}

function domainName(layout: OrganizationLayout): string {
  return layout.owner.toLowerCase();
}

/**
 * Backstage entities: the organization file (its Domain) and one file per team (System and its apps).
 * Owners are `group:<team slug>`, the Groups Backstage's GitHub org provider reads from the organization.
 */
export function backstageEntities(layout: OrganizationLayout): {
  organization: Array<Record<string, unknown>>;
  teams: Map<string, Array<Record<string, unknown>>>;
} {
  const domain = domainName(layout);
  const admins = layout.teams.filter((t) => t.platformAdmin).map((t) => `group:${t.slug}`);
  const organization: Array<Record<string, unknown>> = [
    {
      apiVersion: BACKSTAGE_API_VERSION,
      kind: "Domain",
      metadata: { name: domain, description: `Applications of the ${layout.owner} organization.` },
      spec: { owner: admins[0] },
    },
  ];
  const teams = new Map<string, Array<Record<string, unknown>>>();
  for (const team of layout.teams) {
    const entities: Array<Record<string, unknown>> = [
      {
        apiVersion: BACKSTAGE_API_VERSION,
        kind: "System",
        metadata: { name: team.slug, description: `Applications of team ${team.name}.` },
        spec: { owner: `group:${team.slug}`, domain },
      },
    ];
    for (const app of layout.apps.filter((a) => a.team === team.slug)) {
      entities.push(...appEntities(layout, app));
    }
    teams.set(team.slug, entities);
  }
  return { organization, teams };
}

function appEntities(layout: OrganizationLayout, app: AppSpec): Array<Record<string, unknown>> {
  const names = catalogNames(app.name);
  const owner = `group:${app.team}`;
  const source = repositoryUrl(layout.owner, app.name);
  const component = {
    apiVersion: BACKSTAGE_API_VERSION,
    kind: "Component",
    metadata: {
      name: names.component,
      annotations: {
        "github.com/project-slug": `${layout.owner}/${app.name}`,
        // A directory URL: Backstage reads the source location as a tree, which needs the branch.
        "backstage.io/source-location": `url:${source}/tree/main/`,
        // What the App composes carries this label (the composition sets it from the App's name).
        [BACKSTAGE_ID_LABEL]: app.name,
        "backstage.io/kubernetes-namespace": teamNamespace(app.team),
        // The team's Application of each environment syncs the App (one per team, same name everywhere).
        "argocd/app-name": teamProject(app.team),
      },
      links: layout.environments.map((env) => ({
        url: `${repositoryUrl(layout.owner, layout.managementRepository)}/tree/main/${managementRepoPaths.app(env.name, app.team, app.name)}`,
        title: `Deployment in ${env.name}`,
      })),
    },
    spec: {
      type: "service",
      lifecycle: "production",
      owner,
      system: app.team,
      providesApis: [names.api],
      ...(app.database ? { dependsOn: [`resource:${names.resource}`] } : {}),
    },
  };
  const api = {
    apiVersion: BACKSTAGE_API_VERSION,
    kind: "API",
    metadata: { name: names.api, description: `HTTP API of ${app.name}.` },
    spec: {
      type: "openapi",
      lifecycle: "production",
      owner,
      system: app.team,
      definition: { $text: `${source}/blob/main/${OPENAPI_FILE}` },
    },
  };
  const resource = {
    apiVersion: BACKSTAGE_API_VERSION,
    kind: "Resource",
    metadata: {
      name: names.resource,
      description: `Postgres database of ${app.name} (SQLDatabase ${app.name}, connection Secret ${databaseConnectionSecret(app.name)}).`,
    },
    spec: { type: "database", owner, system: app.team },
  };
  return app.database ? [component, api, resource] : [component, api];
}

/** Port blueprints: the same model, with its relations. */
export function portBlueprints(): Array<Record<string, unknown>> {
  const relation = (title: string, target: string, many = false, required = false) => ({
    title,
    target,
    required,
    many,
  });
  const text = (title: string, format?: string) => ({ title, type: "string", ...(format ? { format } : {}) });
  return [
    {
      identifier: "domain",
      title: "Domain",
      icon: "Cloud",
      schema: { properties: { description: text("Description") }, required: [] },
      relations: {},
    },
    {
      identifier: "system",
      title: "System",
      icon: "Team",
      schema: {
        properties: { description: text("Description"), githubTeam: text("GitHub team") },
        required: [],
      },
      relations: { domain: relation("Domain", "domain", false, true) },
    },
    {
      identifier: "api",
      title: "API",
      icon: "Swagger",
      schema: {
        properties: {
          type: text("Type"),
          definition: text("Definition", "url"),
          lifecycle: text("Lifecycle"),
        },
        required: [],
      },
      relations: { system: relation("System", "system", false, true) },
    },
    {
      identifier: "resource",
      title: "Resource",
      icon: "Database",
      schema: {
        properties: { type: text("Type"), connectionSecret: text("Connection Secret") },
        required: [],
      },
      relations: { system: relation("System", "system", false, true) },
    },
    {
      identifier: "component",
      title: "Component",
      icon: "Service",
      schema: {
        properties: {
          type: text("Type"),
          lifecycle: text("Lifecycle"),
          repository: text("Repository", "url"),
          team: text("Team"),
        },
        required: ["repository"],
      },
      relations: {
        system: relation("System", "system", false, true),
        providesApis: relation("Provides APIs", "api", true),
        dependsOn: relation("Depends on", "resource", true),
      },
    },
    ...portRuntimeBlueprints(relation, text),
  ];
}

/**
 * Port blueprints of what runs, one entity per environment, filled by Port's Kubernetes exporter
 * (components/port.ts maps the cluster's objects onto them): Argo CD Applications, Apps, their
 * Deployments and SQLDatabases, each related to the catalog entity it runs.
 */
export const PORT_RUNTIME_BLUEPRINTS = {
  application: "argocd_application",
  appInstance: "app_instance",
  workload: "workload",
  databaseInstance: "database_instance",
} as const;

function portRuntimeBlueprints(
  relation: (title: string, target: string, many?: boolean, required?: boolean) => Record<string, unknown>,
  text: (title: string, format?: string) => Record<string, unknown>,
): Array<Record<string, unknown>> {
  const B = PORT_RUNTIME_BLUEPRINTS;
  const boolean = (title: string) => ({ title, type: "boolean" });
  const number = (title: string) => ({ title, type: "number" });
  const environment = { environment: text("Environment"), namespace: text("Namespace") };
  return [
    {
      identifier: B.application,
      title: "Argo CD Application",
      icon: "Argo",
      schema: {
        properties: {
          ...environment,
          syncStatus: text("Sync status"),
          healthStatus: text("Health status"),
          path: text("Path in the management repository"),
          revision: text("Synced revision"),
        },
        required: [],
      },
      relations: { system: relation("System", "system") },
    },
    {
      identifier: B.appInstance,
      title: "App instance",
      icon: "Service",
      schema: {
        properties: {
          ...environment,
          image: text("Image"),
          url: text("URL", "url"),
          ready: boolean("Ready"),
          availableReplicas: number("Available replicas"),
        },
        required: [],
      },
      relations: {
        component: relation("Component", "component"),
        application: relation("Argo CD Application", B.application),
      },
    },
    {
      identifier: B.workload,
      title: "Workload",
      icon: "Deployment",
      schema: {
        properties: {
          ...environment,
          kind: text("Kind"),
          image: text("Image"),
          replicas: number("Replicas"),
          availableReplicas: number("Available replicas"),
        },
        required: [],
      },
      relations: { appInstance: relation("App instance", B.appInstance) },
    },
    {
      identifier: B.databaseInstance,
      title: "Database instance",
      icon: "Database",
      schema: {
        properties: {
          ...environment,
          engine: text("Engine"),
          version: text("Version"),
          size: text("Size"),
          address: text("Address"),
          ready: boolean("Ready"),
        },
        required: [],
      },
      relations: { resource: relation("Resource", "resource") },
    },
  ];
}

/** Port entities of the organization, in an order Port can create them (targets before sources). */
export function portEntities(layout: OrganizationLayout): Array<Record<string, unknown>> {
  const domain = domainName(layout);
  const entities: Array<Record<string, unknown>> = [
    { identifier: domain, title: layout.owner, blueprint: "domain", properties: {}, relations: {} },
    ...layout.teams.map((team) => ({
      identifier: team.slug,
      title: team.name,
      blueprint: "system",
      properties: {
        ...(team.description !== undefined ? { description: team.description } : {}),
        githubTeam: `${layout.owner}/${team.slug}`,
      },
      relations: { domain },
    })),
  ];
  for (const app of layout.apps) entities.push(...portAppEntities(layout, app));
  return entities;
}

/** Port entities of one app: its API, its database (if any), then the component (targets first). */
export function portAppEntities(
  layout: Pick<OrganizationLayout, "owner">,
  app: AppSpec,
): Array<Record<string, unknown>> {
  const names = catalogNames(app.name);
  const source = repositoryUrl(layout.owner, app.name);
  const entities: Array<Record<string, unknown>> = [
    {
      identifier: names.api,
      title: `${app.name} API`,
      blueprint: "api",
      properties: {
        type: "openapi",
        definition: `${source}/blob/main/${OPENAPI_FILE}`,
        lifecycle: "production",
      },
      relations: { system: app.team },
    },
  ];
  if (app.database) {
    entities.push({
      identifier: names.resource,
      title: `${app.name} database`,
      blueprint: "resource",
      properties: { type: "database", connectionSecret: databaseConnectionSecret(app.name) },
      relations: { system: app.team },
    });
  }
  entities.push({
    identifier: names.component,
    title: app.name,
    blueprint: "component",
    properties: { type: "service", lifecycle: "production", repository: source, team: app.team },
    relations: {
      system: app.team,
      providesApis: [names.api],
      dependsOn: app.database ? [names.resource] : [],
    },
  });
  return entities;
}

/** Where create-app puts a created app's catalog entries (configured apps are in the team files). */
export const CREATED_APPS_CATALOG = {
  /** A Location create-app adds each created app's file to (seed-once: create-app owns its targets). */
  backstageLocation: "backstage/apps.yaml",
  backstageDir: "backstage/apps",
  portDir: "port/apps",
} as const;

/**
 * The catalog entries of one app, Backstage and Port, for create-app's skeleton: rendered by the same
 * builders as the configured apps'. Path under catalog/ → content.
 */
export function appCatalogFiles(
  layout: OrganizationLayout,
  app: AppSpec,
): { backstage: string; port: string } {
  return {
    backstage: yamlDocuments(appEntities(layout, app)),
    port: JSON.stringify(portAppEntities(layout, app), null, 2) + "\n",
  };
}

/** The create-app workflow's file name: portals dispatch it. */
export const CREATE_APP_WORKFLOW = "create-app.yaml";

/** A new app's name: a DNS label (create-app checks it again). */
export const APP_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

/**
 * create-app's inputs, as a JSON schema both portals ask them with: the same names, the configured teams
 * as the only choices, and whether the app gets a database.
 */
export function createAppInputSchema(layout: OrganizationLayout): {
  properties: Record<string, Record<string, unknown>>;
  required: string[];
} {
  return {
    properties: {
      name: {
        type: "string",
        title: "Name",
        description: "Names its repository, host and resources.",
        pattern: APP_NAME_PATTERN,
      },
      team: { type: "string", title: "Team", enum: [...layout.teams].map((t) => t.slug).sort() },
      database: {
        type: "boolean",
        title: "Database",
        description: "A Postgres SQLDatabase and SchemaHero tables.",
        default: false,
      },
    },
    required: ["name", "team"],
  };
}

/** Port's self-service action that runs create-app (a GitHub workflow invocation with its inputs). */
export function portCreateAppAction(layout: OrganizationLayout): Record<string, unknown> {
  const inputs = createAppInputSchema(layout);
  return {
    identifier: "create_app",
    title: "Create an app",
    description: `Runs create-app in ${layout.owner}/${layout.managementRepository}: a repository from ${layout.templateRepository} and a pull request that adds the app.`,
    trigger: {
      type: "self-service",
      operation: "CREATE",
      blueprintIdentifier: "component",
      userInputs: { ...inputs, order: Object.keys(inputs.properties) },
    },
    invocationMethod: {
      type: "GITHUB",
      org: layout.owner,
      repo: layout.managementRepository,
      workflow: CREATE_APP_WORKFLOW,
      workflowInputs: Object.fromEntries(
        Object.keys(inputs.properties).map((k) => [k, `{{ .inputs.${k} }}`]),
      ),
      reportWorkflowStatus: true,
    },
    requiredApproval: false,
  };
}

/** Backstage's scaffolder Template that runs create-app (the `github:actions:dispatch` action). */
export function backstageCreateAppTemplate(layout: OrganizationLayout): Record<string, unknown> {
  const inputs = createAppInputSchema(layout);
  const admins = layout.teams.filter((t) => t.platformAdmin).map((t) => t.slug);
  return {
    apiVersion: "scaffolder.backstage.io/v1beta3",
    kind: "Template",
    metadata: {
      name: "create-app",
      title: "Create an app",
      description: `A repository from ${layout.templateRepository}, and a pull request that adds the app to the platform.`,
    },
    spec: {
      owner: `group:${admins[0] ?? layout.teams[0]?.slug ?? "platform"}`,
      type: "service",
      parameters: [{ title: "The app", ...inputs }],
      steps: [
        {
          id: "create-app",
          name: "Run create-app",
          action: "github:actions:dispatch",
          input: {
            repoUrl: `github.com?owner=${layout.owner}&repo=${layout.managementRepository}`,
            workflowId: CREATE_APP_WORKFLOW,
            branchOrTagName: "main",
            workflowInputs: Object.fromEntries(
              Object.keys(inputs.properties).map((k) => [k, `\${{ parameters.${k} }}`]),
            ),
          },
        },
      ],
      output: {
        links: [
          {
            title: "create-app runs",
            url: `${repositoryUrl(layout.owner, layout.managementRepository)}/actions/workflows/${CREATE_APP_WORKFLOW}`,
          },
        ],
      },
    },
  };
}

/** Catalog files of the management repository (all managed: regenerated from config). */
export function catalogTree(layout: OrganizationLayout): FileTree {
  const dir = managementRepoPaths.catalog();
  const { organization, teams } = backstageEntities(layout);
  const tree: FileTree = {};
  const targets = [
    "./organization.yaml",
    ...[...teams.keys()].map((team) => `./teams/${team}.yaml`),
    // The apps create-app made, each added there by its pull request.
    `./${CREATED_APPS_CATALOG.backstageLocation.replace(/^backstage\//, "")}`,
    "./templates/create-app.yaml",
  ];
  tree[`${dir}/backstage/all.yaml`] = managed(
    yamlDocuments(
      [
        {
          apiVersion: BACKSTAGE_API_VERSION,
          kind: "Location",
          metadata: {
            name: `${domainName(layout)}-catalog`,
            description: "Every entity of the platform's catalog.",
          },
          spec: { targets },
        },
      ],
      `${MANAGED_NOTICE}\nRegister this file's URL in Backstage (catalog.locations, type url).`,
    ),
  );
  tree[`${dir}/backstage/organization.yaml`] = managed(yamlDocuments(organization, MANAGED_NOTICE));
  for (const [team, entities] of teams) {
    tree[`${dir}/backstage/teams/${team}.yaml`] = managed(yamlDocuments(entities, MANAGED_NOTICE));
  }
  tree[`${dir}/${CREATED_APPS_CATALOG.backstageLocation}`] = seedOnce(
    yamlDocuments(
      [
        {
          apiVersion: BACKSTAGE_API_VERSION,
          kind: "Location",
          metadata: {
            name: `${domainName(layout)}-created-apps`,
            description: "The apps create-app made: each of its pull requests adds one target.",
          },
          spec: { targets: [] },
        },
      ],
      "create-app adds a target per app it creates; configured apps (idp:apps) are in teams/.",
    ),
  );
  tree[`${dir}/backstage/templates/create-app.yaml`] = managed(
    yamlDocuments([backstageCreateAppTemplate(layout)], MANAGED_NOTICE),
  );
  tree[`${dir}/port/actions.json`] = managed(JSON.stringify([portCreateAppAction(layout)], null, 2) + "\n");
  tree[`${dir}/port/blueprints.json`] = managed(JSON.stringify(portBlueprints(), null, 2) + "\n");
  tree[`${dir}/port/entities.json`] = managed(JSON.stringify(portEntities(layout), null, 2) + "\n");
  return tree;
}

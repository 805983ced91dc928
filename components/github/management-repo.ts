/**
 * Files of the management repository: the GitOps source of truth of every environment.
 *
 *   README.md                                  seed-once   for humans
 *   .github/CODEOWNERS                         managed     teams own their app folders, admins the rest
 *   .github/workflows/{validate,create-app,sync-delivery-key,catalog}.yaml managed
 *   .yamllint.yaml                             managed
 *   platform/schemas/<group>/<kind>_<v>.json   managed     schemas of the platform's kinds (kubeconform)
 *   platform/skeleton/<env>/*.yaml             managed     what create-app copies for a new app
 * Each environment's folder (environmentFolderTree) is written by that environment's own stack:
 *   environments/<env>/argocd/<team>.yaml      managed     one Argo CD Application per team
 *   environments/<env>/argocd/platform-infrastructure.yaml  managed
 *   environments/<env>/infrastructure/         managed namespaces.yaml, seed-once README.md
 *   environments/<env>/apps/<team>/README.md   seed-once   keeps every team's folder present
 *   environments/<first env>/apps/<team>/<app>/ seed-once  app.yaml, database.yaml, tables.yaml (other
 *                                              environments get an app with its first promotion)
 *   catalog/                                   managed     Backstage descriptors, Port blueprints
 */
import { managementRepoPaths, MANAGEMENT_BRANCH, teamNamespace, teamProject } from "../conventions";
import { appCatalogFiles, catalogTree } from "./catalog";
import {
  firstEnvironment,
  initialImage,
  managed,
  MANAGED_NOTICE,
  seedOnce,
  teamHandle,
  yamlDocuments,
  type AppSpec,
  type EnvironmentFolderLayout,
  type EnvironmentSpec,
  type FileTree,
  type OrganizationLayout,
} from "./model";
import {
  appObject,
  databaseObject,
  infrastructureApplication,
  INFRASTRUCTURE_APPLICATION,
  tableObjects,
  teamApplication,
  teamNamespaceObject,
} from "./resources";
import {
  APP_PLACEHOLDER,
  CATALOG_SKELETON_DIR,
  CATALOG_SKELETON_FILES,
  createAppWorkflow,
  IMAGE_PLACEHOLDER,
  RESOURCE_SCHEMA_DIR,
  SKELETON_DIR,
  SKELETON_FILES,
  syncDeliveryKeyWorkflow,
  catalogWorkflow,
  TEAM_PLACEHOLDER,
  validateWorkflow,
} from "./workflows";

export const CODEOWNERS_PATH = ".github/CODEOWNERS";
export const WORKFLOW_PATHS = {
  validate: ".github/workflows/validate.yaml",
  createApp: ".github/workflows/create-app.yaml",
  syncDeliveryKey: ".github/workflows/sync-delivery-key.yaml",
  catalog: ".github/workflows/catalog.yaml",
} as const;

/** The files of one app in one environment: App, and with a database its SQLDatabase and Tables. */
export function appFiles(env: EnvironmentSpec, app: AppSpec, image: string): Record<string, string> {
  const files: Record<string, string> = {
    "app.yaml": yamlDocuments([appObject(env, app, image)]),
  };
  if (app.database) {
    files["database.yaml"] = yamlDocuments([databaseObject(app)]);
    files["tables.yaml"] = yamlDocuments(tableObjects(app.name, teamNamespace(app.team)));
  }
  return files;
}

export function codeowners(layout: OrganizationLayout): string {
  const admins = layout.teams.filter((t) => t.platformAdmin).map((t) => teamHandle(layout.owner, t.slug));
  const lines = [
    `# ${MANAGED_NOTICE}`,
    "# The last matching pattern wins: platform administrators own everything, each team its apps.",
    `* ${admins.join(" ")}`,
  ];
  for (const env of layout.environments) {
    for (const team of layout.teams) {
      lines.push(
        `/${managementRepoPaths.teamApps(env.name, team.slug)}/ ${teamHandle(layout.owner, team.slug)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

export function yamllintConfig(): string {
  return `# ${MANAGED_NOTICE}
extends: default
rules:
  document-start: disable
  line-length:
    max: 200
  truthy:
    # GitHub Actions' "on:" key.
    check-keys: false
`;
}

function readme(layout: OrganizationLayout): string {
  const repo = `https://github.com/${layout.owner}/${layout.managementRepository}`;
  return `# ${layout.managementRepository}

The GitOps source of truth of the platform: Argo CD in each environment syncs its folder
\`environments/<environment>/\`. Changes arrive as pull requests; the \`validate\` check (YAML lint and
schema validation) and a review by the code owners are required before anything reaches \`${MANAGEMENT_BRANCH}\`.

## Layout

| path | what | who edits it |
| --- | --- | --- |
| \`environments/<env>/apps/<team>/<app>/\` | an app: \`App\`, and with a database \`SQLDatabase\` and SchemaHero \`Table\`s | the team (code owner); the app's pipeline opens image pull requests |
| \`environments/<env>/argocd/\` | one Argo CD Application per team, and the infrastructure Application | the platform (generated) |
| \`environments/<env>/infrastructure/\` | shared resources of the environment, such as the teams' namespaces | the platform |
| \`catalog/\` | the software catalog: Backstage descriptors and Port blueprints and entities | the platform (generated) |
| \`platform/\` | schemas for validation and the skeleton \`create-app\` copies | the platform (generated) |

Files marked "Managed by Pulumi" are regenerated by the platform's \`pulumi up\`: change them in the
platform program. Everything else was seeded once and is yours.

## Request an app

Run the [create-app](${repo}/actions/workflows/create-app.yaml) workflow (or let your portal call it)
with a name, your team and whether the app needs a database. It creates the repository from the
\`${layout.templateRepository}\` template and opens a pull request here that adds the app in
\`${firstEnvironment(layout).name}\`, where it runs the image its first build pushed once you merge it. Every
later build of its default branch opens a pull request that pins its image there; running the app's
\`build\` workflow for another environment opens the pull request that brings the app there (its
first promotion) or updates its image.

## Run an app on another cluster

Where an environment has workload clusters (the platform's \`idp:workloadClusters\`), set
\`spec.cluster: <cluster>\` in the app's \`App\`: it then runs on that cluster, in the team's namespace there, and
\`kubectl get apps\` shows where in its CLUSTER column. Such an app has no database yet, and is exposed by
that cluster's own ingress.

## Environments

${layout.environments.map((env) => `- \`${env.name}\`: apps at \`https://<app>.${env.domain}\``).join("\n")}
`;
}

/**
 * One environment's folder: its Argo CD Applications, its infrastructure (the teams' namespaces), a
 * README per team folder, and, in the first environment, the configured apps. Rendered and written by
 * that environment's own stack, so no other stack's `pulumi up` changes what an environment runs.
 */
export function environmentFolderTree(folder: EnvironmentFolderLayout): FileTree {
  const env = folder.environment;
  const tree: FileTree = {};
  const argocd = managementRepoPaths.rootApps(env.name);
  const infrastructure = managementRepoPaths.infrastructure(env.name);
  const arrival =
    env.name === folder.firstEnvironment
      ? "New apps start here (create-app)."
      : `An app arrives here with its first promotion (its \`build\` workflow run for ${env.name}), on the image that promotion pins.`;
  for (const team of folder.teams) {
    tree[`${argocd}/${team.slug}.yaml`] = managed(
      yamlDocuments([teamApplication(folder, env, team.slug)], MANAGED_NOTICE),
    );
    tree[`${managementRepoPaths.teamApps(env.name, team.slug)}/README.md`] = seedOnce(
      `# Apps of team ${team.name} in ${env.name}\n\nOne folder per app. Argo CD Application \`${teamProject(team.slug)}\` syncs this folder, recursively, into namespace \`${teamNamespace(team.slug)}\`. ${arrival}\n`,
    );
  }
  tree[`${argocd}/${INFRASTRUCTURE_APPLICATION}.yaml`] = managed(
    yamlDocuments([infrastructureApplication(folder, env)], MANAGED_NOTICE),
  );
  tree[`${infrastructure}/namespaces.yaml`] = managed(
    yamlDocuments(
      folder.teams.map((team) => teamNamespaceObject(team.slug)),
      MANAGED_NOTICE,
    ),
  );
  tree[`${infrastructure}/README.md`] = seedOnce(
    `# Infrastructure of ${env.name}\n\nShared resources of the environment, synced by the Argo CD Application \`${INFRASTRUCTURE_APPLICATION}\` (project \`platform\`). \`namespaces.yaml\` is generated by the platform; add other shared resources in files of your own.\n`,
  );
  // Configured apps start in the first environment, like a created one; the others get them promoted.
  if (env.name === folder.firstEnvironment) {
    for (const app of folder.apps) {
      const path = managementRepoPaths.app(env.name, app.team, app.name);
      for (const [file, content] of Object.entries(
        appFiles(env, app, initialImage(folder.owner, app.name)),
      )) {
        tree[`${path}/${file}`] = seedOnce(content);
      }
    }
  }
  return tree;
}

/**
 * What create-app (first environment) and an app's first promotion (the others) copy, rendered by the
 * same builders with placeholders: an app without and with a database. Shared files of the organization
 * stack: a promotion into an environment goes through a reviewed pull request anyway.
 */
function skeletonTree(env: EnvironmentSpec, tree: FileTree): void {
  const placeholders = { name: APP_PLACEHOLDER, team: TEAM_PLACEHOLDER };
  const withDatabase = appFiles(env, { ...placeholders, database: true }, IMAGE_PLACEHOLDER);
  const skeleton: Record<(typeof SKELETON_FILES)[keyof typeof SKELETON_FILES], string> = {
    [SKELETON_FILES.app]: appFiles(env, { ...placeholders, database: false }, IMAGE_PLACEHOLDER)["app.yaml"]!,
    [SKELETON_FILES.appWithDatabase]: withDatabase["app.yaml"]!,
    [SKELETON_FILES.database]: withDatabase["database.yaml"]!,
    [SKELETON_FILES.tables]: withDatabase["tables.yaml"]!,
  };
  for (const [file, content] of Object.entries(skeleton)) {
    tree[`${SKELETON_DIR}/${env.name}/${file}`] = managed(content);
  }
}

/**
 * Renovate in the management repository updates only what people own there (manifests added under an
 * environment's `infrastructure/` folder). Generated files are not its to change: their pins come from
 * the platform's versions module (Renovate on the platform repository) and the next `pulumi up` would
 * revert an edit; app images move through the app pipelines' promotion pull requests.
 */
export const MANAGEMENT_RENOVATE_IGNORED = [
  ".github/**",
  "platform/**",
  "catalog/**",
  "environments/*/argocd/**",
  "environments/*/apps/**",
  "environments/*/infrastructure/namespaces.yaml",
] as const;

function managementRenovateConfig(): string {
  const config = {
    $schema: "https://docs.renovatebot.com/renovate-schema.json",
    extends: ["config:recommended"],
    ignorePaths: [...MANAGEMENT_RENOVATE_IGNORED],
    pinDigests: true,
    packageRules: [
      {
        description: "Changes to what the environments run: reviewed, never merged automatically.",
        matchFileNames: ["environments/**"],
        automerge: false,
      },
    ],
  };
  return JSON.stringify(config, null, 2) + "\n";
}

export function managementRepositoryTree(layout: OrganizationLayout): FileTree {
  const tree: FileTree = {
    "README.md": seedOnce(readme(layout)),
    [CODEOWNERS_PATH]: managed(codeowners(layout)),
    [WORKFLOW_PATHS.validate]: managed(validateWorkflow(layout)),
    [WORKFLOW_PATHS.createApp]: managed(createAppWorkflow(layout)),
    [WORKFLOW_PATHS.syncDeliveryKey]: managed(syncDeliveryKeyWorkflow()),
    [WORKFLOW_PATHS.catalog]: managed(catalogWorkflow()),
    ".yamllint.yaml": managed(yamllintConfig()),
    "renovate.json": managed(managementRenovateConfig()),
  };
  for (const schema of layout.resourceSchemas) {
    tree[`${RESOURCE_SCHEMA_DIR}/${schema.group}/${schema.kind.toLowerCase()}_${schema.version}.json`] =
      managed(JSON.stringify(schema.schema, null, 2) + "\n");
  }
  for (const env of layout.environments) skeletonTree(env, tree);
  // What create-app writes into the catalog for a new app, by the same builders as the configured apps'.
  const placeholders = { name: APP_PLACEHOLDER, team: TEAM_PLACEHOLDER };
  const plain = appCatalogFiles(layout, { ...placeholders, database: false });
  const withDatabase = appCatalogFiles(layout, { ...placeholders, database: true });
  tree[`${CATALOG_SKELETON_DIR}/${CATALOG_SKELETON_FILES.backstage}`] = managed(plain.backstage);
  tree[`${CATALOG_SKELETON_DIR}/${CATALOG_SKELETON_FILES.backstageWithDatabase}`] = managed(
    withDatabase.backstage,
  );
  tree[`${CATALOG_SKELETON_DIR}/${CATALOG_SKELETON_FILES.port}`] = managed(plain.port);
  tree[`${CATALOG_SKELETON_DIR}/${CATALOG_SKELETON_FILES.portWithDatabase}`] = managed(withDatabase.port);
  Object.assign(tree, catalogTree(layout));
  return tree;
}

/**
 * Files of the application template repository: a small Node.js service (static files under
 * seed/app-template/), its Dockerfile and pipeline (generated from the pins), and its database schema
 * (generated from the same builder as the management repository's tables).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { baseImageReference, BASE_IMAGES } from "../versions";
import {
  managed,
  MANAGED_NOTICE,
  seedOnce,
  yamlDocuments,
  type FileTree,
  type OrganizationLayout,
} from "./model";
import { tableObjects } from "./resources";
import { buildWorkflow } from "./workflows";

/** Static files of the template, seeded once: the platform team evolves the sample by hand. */
export const TEMPLATE_SEED_DIR = path.resolve(__dirname, "..", "..", "seed", "app-template");

/** The port the service listens on and the App resource exposes. */
export const APP_PORT = 8080;
/** uid:gid of the `node` user of the official Node.js images. */
const NODE_USER = "1000:1000";

function staticFiles(dir: string, prefix = ""): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? staticFiles(dir, path.posix.join(prefix, entry.name))
        : [path.posix.join(prefix, entry.name)],
    )
    .sort();
}

/**
 * Two stages: dependencies installed from the lockfile (`npm ci`, production only) in the first, so
 * the first dependency an app adds works; only the app and its installed dependencies in the runtime.
 * The seeded renovate.json pins the base image's digest (`pinDigests`) on Renovate's first run.
 */
export function dockerfile(): string {
  const base = baseImageReference(BASE_IMAGES.node);
  return `# ${MANAGED_NOTICE}
FROM ${base} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${base}
ENV NODE_ENV=production PORT=${APP_PORT}
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
# The image's unprivileged node user: pods run with runAsNonRoot.
USER ${NODE_USER}
EXPOSE ${APP_PORT}
CMD ["node", "src/server.js"]
`;
}

export function templateRepositoryTree(layout: OrganizationLayout): FileTree {
  const tree: FileTree = {};
  for (const file of staticFiles(TEMPLATE_SEED_DIR)) {
    tree[file] = seedOnce(fs.readFileSync(path.join(TEMPLATE_SEED_DIR, file), "utf8"));
  }
  tree["schema/tables.yaml"] = seedOnce(
    yamlDocuments(
      tableObjects("app"),
      "The app's database schema as SchemaHero tables. The pipeline copies them into the management\nrepository with the app's name and namespace; SchemaHero plans and applies the migration.",
    ),
  );
  tree["Dockerfile"] = managed(dockerfile());
  tree[".github/workflows/build.yaml"] = managed(buildWorkflow(layout));
  return tree;
}

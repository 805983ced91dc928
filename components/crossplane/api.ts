/**
 * The platform's developer-facing API: the composite resource kinds developers ask for, and example
 * resources built from the same definitions. The XRDs (components/crossplane) accept exactly these
 * shapes; the management repository seeding ships these examples; tests validate one against the other.
 */

export const XR_GROUP = "platform.idp.internal";
export const XR_VERSION = "v1alpha1";
export const XR_API_VERSION = `${XR_GROUP}/${XR_VERSION}`;

export const XR_KINDS = { app: "App", sqlDatabase: "SQLDatabase" } as const;

/**
 * The label every object an App composes carries, valued with the App's name: Backstage's Kubernetes
 * plugin finds an entity's objects by it (the Component's `backstage.io/kubernetes-id` annotation).
 */
export const BACKSTAGE_ID_LABEL = "backstage.io/kubernetes-id";

/** Name of the Secret a SQLDatabase writes its connection details to, in its own namespace. */
export function databaseConnectionSecret(databaseName: string): string {
  return `${databaseName}-connection`;
}

/**
 * Keys of the connection Secret: libpq's environment variables (every Postgres driver reads them) plus
 * `DATABASE_URL`. An `App` with `spec.database` gets them all through `envFrom`.
 */
export const DATABASE_CONNECTION_KEYS = {
  host: "PGHOST",
  port: "PGPORT",
  database: "PGDATABASE",
  user: "PGUSER",
  password: "PGPASSWORD",
  sslMode: "PGSSLMODE",
  url: "DATABASE_URL",
} as const;

/** Postgres major versions a SQLDatabase may ask for (both compositions serve each of them). */
export const POSTGRES_VERSIONS = ["16", "17", "18"] as const;
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];

/** T-shirt sizes of a SQLDatabase; each composition maps them to an instance class or to requests. */
export const DATABASE_SIZES = ["small", "medium", "large"] as const;
export type DatabaseSize = (typeof DATABASE_SIZES)[number];

/** An environment variable of an `App`: Kubernetes' own shape, a literal or a key of a Secret. */
export type AppEnvVar =
  | { readonly name: string; readonly value: string }
  | {
      readonly name: string;
      readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
    };

/** `spec` of an `App` (the XRD in components/crossplane/xrds.ts is the authority on defaults and rules). */
export interface AppSpec {
  readonly image: string;
  readonly port?: number;
  readonly host?: string;
  readonly replicas?: {
    readonly min?: number;
    readonly max?: number;
    readonly targetCPUUtilization?: number;
  };
  readonly resources?: { readonly cpu?: string; readonly memory?: string };
  readonly env?: readonly AppEnvVar[];
  readonly database?: { readonly name: string };
}

/** `spec` of a `SQLDatabase`. */
export interface SqlDatabaseSpec {
  readonly engine?: "postgres";
  readonly version?: PostgresVersion;
  readonly size?: DatabaseSize;
  readonly storageGB?: number;
}

export interface AppExample {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly host: string;
  /** Name of a SQLDatabase in the same namespace whose connection Secret the app reads. */
  readonly database?: string;
}

/** An `App`: Deployment, Service, route, HPA and PodDisruptionBudget, composed by Crossplane. */
export function appResource(example: AppExample): Record<string, unknown> {
  const spec: AppSpec = {
    image: example.image,
    port: 8080,
    host: example.host,
    replicas: { min: 2, max: 4 },
    resources: { cpu: "250m", memory: "256Mi" },
    // APP_NAME: the template's service reports it (seed/app-template/src/server.js).
    env: [
      { name: "APP_NAME", value: example.name },
      { name: "LOG_LEVEL", value: "info" },
    ],
    ...(example.database !== undefined ? { database: { name: example.database } } : {}),
  };
  return {
    apiVersion: XR_API_VERSION,
    kind: XR_KINDS.app,
    metadata: { name: example.name, namespace: example.namespace },
    spec,
  };
}

export interface SqlDatabaseExample {
  readonly name: string;
  readonly namespace: string;
}

/** A `SQLDatabase`: Postgres (RDS in the cloud, in-cluster locally) with its connection Secret. */
export function sqlDatabaseResource(example: SqlDatabaseExample): Record<string, unknown> {
  const spec: SqlDatabaseSpec = { engine: "postgres", version: "17", size: "small", storageGB: 20 };
  return {
    apiVersion: XR_API_VERSION,
    kind: XR_KINDS.sqlDatabase,
    metadata: { name: example.name, namespace: example.namespace },
    spec,
  };
}

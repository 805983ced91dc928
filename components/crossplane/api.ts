/**
 * The platform's developer-facing API: the composite resource kinds developers ask for, and example
 * resources built from the same definitions. The XRDs (components/crossplane) accept exactly these
 * shapes; the management repository seeding ships these examples; tests validate one against the other.
 */

export const XR_GROUP = "platform.idp.internal";
export const XR_VERSION = "v1alpha1";
export const XR_API_VERSION = `${XR_GROUP}/${XR_VERSION}`;

export const XR_KINDS = { app: "App", sqlDatabase: "SQLDatabase" } as const;

/** Name of the Secret a SQLDatabase writes its connection details to, in its own namespace. */
export function databaseConnectionSecret(databaseName: string): string {
  return `${databaseName}-connection`;
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
  return {
    apiVersion: XR_API_VERSION,
    kind: XR_KINDS.app,
    metadata: { name: example.name, namespace: example.namespace },
    spec: {
      image: example.image,
      port: 8080,
      host: example.host,
      replicas: { min: 2, max: 4 },
      resources: { cpu: "250m", memory: "256Mi" },
      env: [{ name: "LOG_LEVEL", value: "info" }],
      ...(example.database !== undefined ? { database: { name: example.database } } : {}),
    },
  };
}

export interface SqlDatabaseExample {
  readonly name: string;
  readonly namespace: string;
}

/** A `SQLDatabase`: Postgres (RDS in the cloud, in-cluster locally) with its connection Secret. */
export function sqlDatabaseResource(example: SqlDatabaseExample): Record<string, unknown> {
  return {
    apiVersion: XR_API_VERSION,
    kind: XR_KINDS.sqlDatabase,
    metadata: { name: example.name, namespace: example.namespace },
    spec: {
      engine: "postgres",
      version: "17",
      size: "small",
      storageGB: 20,
    },
  };
}

/**
 * The CompositeResourceDefinitions of the developer API (`apiextensions.crossplane.io/v2`, namespaced):
 * `App` and `SQLDatabase` in `platform.idp.internal/v1alpha1`. Schemas are built from typed helpers;
 * stack-level values (the platform domain, the profile's replica bounds) are rendered in, so each
 * stack's API states its own defaults and limits.
 */
import { PLATFORM_HOST_LABELS } from "../conventions";
import {
  DATABASE_CONNECTION_KEYS,
  DATABASE_SIZES,
  POSTGRES_VERSIONS,
  XR_GROUP,
  XR_KINDS,
  XR_VERSION,
} from "./api";
import {
  array,
  DNS_LABEL_PATTERN,
  escapeRegExp,
  integer,
  object,
  string,
  stringEnum,
  type StructuralSchema,
} from "./schema";
import { DATABASE_PROFILES } from "./sql-database";

export interface XrdObject {
  readonly apiVersion: "apiextensions.crossplane.io/v2";
  readonly kind: "CompositeResourceDefinition";
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly group: string;
    readonly names: {
      readonly kind: string;
      readonly plural: string;
      readonly singular: string;
      readonly categories: readonly string[];
    };
    readonly scope: "Namespaced";
    readonly defaultCompositionRef: { readonly name: string };
    readonly versions: ReadonlyArray<{
      readonly name: string;
      readonly served: true;
      readonly referenceable: true;
      readonly schema: { readonly openAPIV3Schema: StructuralSchema };
      readonly additionalPrinterColumns: ReadonlyArray<{
        readonly name: string;
        readonly type: "string" | "integer";
        readonly jsonPath: string;
      }>;
    }>;
  };
}

/** Plural resource names, and so the XRD names `<plural>.<group>`. */
export const XR_PLURALS = { app: "apps", sqlDatabase: "sqldatabases" } as const;

export function xrdName(plural: string): string {
  return `${plural}.${XR_GROUP}`;
}

/** Container image reference with a tag or a digest (`registry/path:tag`, `...@sha256:<hex>`). */
export const IMAGE_PATTERN =
  "^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[a-f0-9]{64})$";

/**
 * Images that do not move: a digest, the `sha-<commit>` tag the app pipeline pushes, or a version tag.
 * RE2 (CEL's `matches`) and POSIX ERE (bash's `=~`, the validate workflow) read it alike.
 */
export const IMMUTABLE_IMAGE_PATTERN =
  "(@sha256:[a-f0-9]{64}|:(sha-[a-f0-9]{7,40}|v?[0-9]+[.][0-9]+[.][0-9]+([-+][0-9A-Za-z.-]+)?))$";

/** Environment variable names (C identifiers; Kubernetes allows more, shells and libraries do not). */
export const ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

/** CPU: millicores (`250m`) or cores (`1`, `1.5`). */
export const CPU_PATTERN = "^([1-9][0-9]*m|[0-9]+(\\.[0-9]+)?)$";
/** Memory: binary units only, so requests read the same everywhere. */
export const MEMORY_PATTERN = "^[1-9][0-9]*(Ki|Mi|Gi)$";

/**
 * Hosts an App may claim: one label below the platform domain, like `serviceHost()`. One label, so the
 * shared Gateway's wildcard certificate (`*.<domain>`) covers every App host.
 */
export function hostPattern(domain: string, ...moreDomains: readonly string[]): string {
  const domains = [domain, ...moreDomains].map(escapeRegExp);
  const suffix = domains.length === 1 ? domains[0]! : `(?:${domains.join("|")})`;
  return `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.${suffix}$`;
}

export interface AppXrdOptions {
  /** Platform domain: hosts must be below it; the default host is `<name>.<domain>`. */
  readonly domain: string;
  /**
   * Further domains hosts may be under. Only for schemas that check several environments at once (the
   * management repository's validate workflow); an XRD in a cluster accepts its own domain only.
   */
  readonly otherDomains?: readonly string[];
  /** Default replica bounds (the environment profile's `appReplicas`). */
  readonly replicas: { readonly min: number; readonly max: number };
  /** The Composition XRs use unless they select another. */
  readonly defaultComposition: string;
  /** Refuse images that can move (the profile's `immutableImages`). Default: false. */
  readonly immutableImages?: boolean;
  /**
   * Workload clusters an App may name in `spec.cluster` (the stack's idp:workloadClusters): an App naming
   * any other is refused. Undefined: any name (schemas that check several environments at once).
   */
  readonly workloadClusters?: readonly string[];
}

export const APP_DEFAULTS = {
  port: 8080,
  healthPath: "/healthz",
  cpu: "100m",
  memory: "128Mi",
  targetCPUUtilization: 70,
  maxReplicasLimit: 50,
} as const;

export function appSpecSchema(options: AppXrdOptions): StructuralSchema {
  const reservedEnv = Object.values(DATABASE_CONNECTION_KEYS);
  return object(
    {
      image: string({
        description:
          "Container image with a tag or digest, e.g. <registry>/<organization>/checkout-api:1.4.2. The pipeline updates it on every release; `latest` is refused.",
        pattern: IMAGE_PATTERN,
        maxLength: 512,
        rules: [
          {
            rule: "!self.endsWith(':latest')",
            message: "image must be pinned: the tag latest is not allowed",
          },
          ...(options.immutableImages === true
            ? [
                {
                  rule: `self.matches('${IMMUTABLE_IMAGE_PATTERN}')`,
                  message:
                    "image must not move in this environment: use a digest (@sha256:…), the pipeline's sha-<commit> tag or a version tag; promote the app to set it",
                },
              ]
            : []),
        ],
      }),
      port: integer({
        description:
          "Port the container listens on (HTTP). The container gets it as PORT, and the probes and the Service use it.",
        default: APP_DEFAULTS.port,
        minimum: 1,
        maximum: 65535,
      }),
      healthPath: string({
        description: `Path the platform probes with HTTP GET on the App's port (readiness and liveness); the template's service serves it. Default ${APP_DEFAULTS.healthPath}.`,
        default: APP_DEFAULTS.healthPath,
        pattern: "^/[A-Za-z0-9._~/-]*$",
        maxLength: 256,
      }),
      host: string({
        description: `Public host name: <label>.${options.domain}. Default: <name>.${options.domain}.`,
        pattern: hostPattern(options.domain, ...(options.otherDomains ?? [])),
        maxLength: 253,
        rules: [
          {
            rule: `!self.matches('^(${PLATFORM_HOST_LABELS.join("|")})\\\\.')`,
            message: `host names a platform service (${PLATFORM_HOST_LABELS.join(", ")}); choose another label`,
          },
        ],
      }),
      replicas: object(
        {
          min: integer({
            description: "Fewest replicas (the HorizontalPodAutoscaler's minReplicas).",
            default: options.replicas.min,
            minimum: 1,
            maximum: APP_DEFAULTS.maxReplicasLimit,
          }),
          max: integer({
            description: "Most replicas (the HorizontalPodAutoscaler's maxReplicas).",
            default: options.replicas.max,
            minimum: 1,
            maximum: APP_DEFAULTS.maxReplicasLimit,
          }),
          targetCPUUtilization: integer({
            description: "Average CPU utilization, in percent of the request, the autoscaler aims for.",
            default: APP_DEFAULTS.targetCPUUtilization,
            minimum: 10,
            maximum: 95,
          }),
        },
        {
          description: "Autoscaling bounds. Defaults come from the environment profile.",
          default: {},
          // min defaults from the profile (3 in prod): a request that sets only a lower max is refused,
          // so the message says which value came from the default.
          rules: [
            {
              rule: "self.max >= self.min",
              message: "replicas.max must be at least replicas.min",
              messageExpression: `'replicas.max (' + string(self.max) + ') must be at least replicas.min (' + string(self.min) + '; when unset, min is the default of this environment, ${options.replicas.min})'`,
            },
          ],
        },
      ),
      resources: object(
        {
          cpu: string({
            description:
              "CPU request per replica (no CPU limit: throttling hurts latency more than sharing).",
            default: APP_DEFAULTS.cpu,
            pattern: CPU_PATTERN,
          }),
          memory: string({
            description: "Memory request and limit per replica.",
            default: APP_DEFAULTS.memory,
            pattern: MEMORY_PATTERN,
          }),
        },
        { description: "Resources of each replica.", default: {} },
      ),
      env: array(
        object(
          {
            name: string({ description: "Variable name.", pattern: ENV_NAME_PATTERN, maxLength: 128 }),
            value: string({ description: "A literal value. Never a secret: use valueFrom." }),
            valueFrom: object(
              {
                secretKeyRef: object(
                  {
                    name: string({
                      description: "Secret in the App's namespace (e.g. one an ExternalSecret creates).",
                      pattern: DNS_LABEL_PATTERN,
                    }),
                    key: string({ description: "Key in the Secret.", maxLength: 253 }),
                  },
                  { description: "The Secret key the value comes from.", required: ["name", "key"] },
                ),
              },
              { description: "Where a secret value comes from.", required: ["secretKeyRef"] },
            ),
          },
          {
            description: "An environment variable: a literal value or a key of a Secret.",
            required: ["name"],
            rules: [
              {
                rule: "has(self.value) != has(self.valueFrom)",
                message: "set exactly one of value and valueFrom",
              },
            ],
          },
        ),
        {
          description: "Environment of the container (PORT is the platform's: spec.port).",
          maxItems: 64,
          mapKeys: ["name"],
          rules: [
            {
              rule: "self.all(e, e.name != 'PORT')",
              message: "env must not set PORT: it comes from spec.port",
            },
          ],
        },
      ),
      cluster: string({
        description:
          "The workload cluster the App runs on (idp:workloadClusters), through that cluster's ProviderConfig; in the App's namespace there. Default: this cluster.",
        pattern: DNS_LABEL_PATTERN,
        maxLength: 63,
      }),
      database: object(
        {
          name: string({
            description: "Name of a SQLDatabase in the App's namespace.",
            pattern: DNS_LABEL_PATTERN,
          }),
        },
        {
          description: `A SQLDatabase whose connection Secret the App reads (${reservedEnv.join(", ")} through envFrom). The database cannot be deleted while the App uses it.`,
          required: ["name"],
        },
      ),
    },
    {
      description: "The application to run and expose.",
      required: ["image"],
      rules: [
        {
          rule: `!has(self.database) || !has(self.env) || self.env.all(e, !(e.name in ${JSON.stringify(reservedEnv)}))`,
          message: `with a database, env must not set ${reservedEnv.join(", ")}: they come from the connection Secret`,
        },
        // The connection Secret exists on this cluster only.
        {
          rule: "!has(self.cluster) || !has(self.database)",
          message:
            "an App on a workload cluster cannot use a database yet: its connection Secret is on this cluster",
        },
        ...clusterRules(options.workloadClusters),
      ],
    },
  );
}

/** Which clusters an App may name: those of the stack, or (no list) any. */
function clusterRules(clusters: readonly string[] | undefined): Array<{ rule: string; message: string }> {
  if (clusters === undefined) return [];
  if (clusters.length === 0) {
    return [
      {
        rule: "!has(self.cluster)",
        message: "this environment has no workload clusters (idp:workloadClusters)",
      },
    ];
  }
  return [
    {
      rule: `!has(self.cluster) || self.cluster in ${JSON.stringify(clusters)}`,
      message: `cluster must be one of this environment's workload clusters: ${clusters.join(", ")}`,
    },
  ];
}

function statusSchema(properties: Readonly<Record<string, StructuralSchema>>): StructuralSchema {
  return object(properties, { description: "Observed state, written by the composition." });
}

export function appXrd(options: AppXrdOptions): XrdObject {
  if (options.replicas.min > options.replicas.max) throw new Error("profile appReplicas: min > max");
  return xrd({
    kind: XR_KINDS.app,
    plural: XR_PLURALS.app,
    defaultComposition: options.defaultComposition,
    spec: appSpecSchema(options),
    status: statusSchema({
      url: string({ description: "Public URL of the App (on this cluster's ingress layer)." }),
      availableReplicas: integer({ description: "Replicas ready to serve." }),
      cluster: string({ description: "Where the App runs: control-plane, or the workload cluster's name." }),
    }),
    columns: [
      { name: "URL", type: "string", jsonPath: ".status.url" },
      { name: "CLUSTER", type: "string", jsonPath: ".status.cluster" },
      { name: "AVAILABLE", type: "integer", jsonPath: ".status.availableReplicas" },
      { name: "IMAGE", type: "string", jsonPath: ".spec.image" },
    ],
  });
}

export interface SqlDatabaseXrdOptions {
  readonly defaultComposition: string;
}

export const SQL_DATABASE_DEFAULTS = {
  engine: "postgres",
  version: "17",
  size: "small",
  storageGB: 20,
  maxStorageGB: 1024,
} as const;

/** When an RDS change applies, per environment (DATABASE_PROFILES' applyImmediately), for the field docs. */
export function rdsChangeTiming(): string {
  const profiles = Object.entries(DATABASE_PROFILES);
  const at = (immediately: boolean) =>
    profiles
      .filter(([, profile]) => profile.applyImmediately === immediately)
      .map(([name]) => name)
      .join(" and ");
  return `On RDS a change applies at once in ${at(true)} and in the next maintenance window in ${at(false)}.`;
}

export function sqlDatabaseSpecSchema(): StructuralSchema {
  return object(
    {
      engine: stringEnum(["postgres"], {
        description: "Database engine. Only Postgres is offered.",
        default: SQL_DATABASE_DEFAULTS.engine,
        rules: [{ rule: "self == oldSelf", message: "engine cannot change" }],
      }),
      version: stringEnum(POSTGRES_VERSIONS, {
        description:
          "Postgres major version. Immutable: a major upgrade is a migration (create a new SQLDatabase and move the data).",
        default: SQL_DATABASE_DEFAULTS.version,
        rules: [{ rule: "self == oldSelf", message: "version cannot change; create a new SQLDatabase" }],
      }),
      size: stringEnum(DATABASE_SIZES, {
        description: `Capacity: small (2 vCPU burstable, 2 GiB), medium (2 vCPU, 8 GiB), large (4 vCPU, 16 GiB) on RDS; matching requests in-cluster. ${rdsChangeTiming()}`,
        default: SQL_DATABASE_DEFAULTS.size,
      }),
      storageGB: integer({
        description: `Allocated storage in GiB. It can grow, never shrink. ${rdsChangeTiming()}`,
        default: SQL_DATABASE_DEFAULTS.storageGB,
        minimum: 20,
        maximum: SQL_DATABASE_DEFAULTS.maxStorageGB,
        rules: [{ rule: "self >= oldSelf", message: "storageGB cannot shrink" }],
      }),
    },
    { description: "The Postgres database to provide." },
  );
}

export function sqlDatabaseXrd(options: SqlDatabaseXrdOptions): XrdObject {
  return xrd({
    kind: XR_KINDS.sqlDatabase,
    plural: XR_PLURALS.sqlDatabase,
    defaultComposition: options.defaultComposition,
    spec: sqlDatabaseSpecSchema(),
    status: statusSchema({
      address: string({ description: "Host name of the database server." }),
      port: integer({ description: "Port of the database server." }),
      connectionSecret: string({
        description: "Secret with the connection details (PGHOST, ..., DATABASE_URL), in this namespace.",
      }),
    }),
    columns: [
      { name: "VERSION", type: "string", jsonPath: ".spec.version" },
      { name: "SIZE", type: "string", jsonPath: ".spec.size" },
      { name: "ADDRESS", type: "string", jsonPath: ".status.address" },
      { name: "SECRET", type: "string", jsonPath: ".status.connectionSecret" },
    ],
  });
}

function xrd(args: {
  readonly kind: string;
  readonly plural: string;
  readonly defaultComposition: string;
  readonly spec: StructuralSchema;
  readonly status: StructuralSchema;
  readonly columns: XrdObject["spec"]["versions"][number]["additionalPrinterColumns"];
}): XrdObject {
  return {
    apiVersion: "apiextensions.crossplane.io/v2",
    kind: "CompositeResourceDefinition",
    metadata: { name: xrdName(args.plural), labels: { "app.kubernetes.io/part-of": "idp" } },
    spec: {
      group: XR_GROUP,
      names: {
        kind: args.kind,
        plural: args.plural,
        singular: args.kind.toLowerCase(),
        // Crossplane adds "composite" itself (crossplane-runtime v2.3.3, pkg/xcrd/crd.go ForCompositeResource).
        categories: ["idp"],
      },
      scope: "Namespaced",
      defaultCompositionRef: { name: args.defaultComposition },
      versions: [
        {
          name: XR_VERSION,
          served: true,
          referenceable: true,
          schema: {
            // spec is required only where it has required fields; otherwise it defaults to {} so a bare
            // `kind: SQLDatabase` with a name is a complete request.
            openAPIV3Schema: object(
              {
                spec: (args.spec.required ?? []).length > 0 ? args.spec : { ...args.spec, default: {} },
                status: args.status,
              },
              {
                description: `A ${args.kind} of the internal developer platform.`,
                ...((args.spec.required ?? []).length > 0 ? { required: ["spec"] } : {}),
              },
            ),
          },
          additionalPrinterColumns: args.columns,
        },
      ],
    },
  };
}

/** A JSON schema (kubeconform) of one platform kind, for validating resources in Git before they sync. */
export interface XrJsonSchema {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly schema: Record<string, unknown>;
}

/** Strips the Kubernetes extensions and closes objects: JSON Schema as kubeconform reads it. */
function toJsonSchema(schema: StructuralSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("x-kubernetes-")) continue;
    if (key === "properties") {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, StructuralSchema>).map(([name, sub]) => [
          name,
          toJsonSchema(sub),
        ]),
      );
    } else if (key === "items") {
      out[key] = toJsonSchema(value as StructuralSchema);
    } else {
      out[key] = value;
    }
  }
  if (schema.type === "object" && schema.properties !== undefined) out["additionalProperties"] = false;
  return out;
}

/** The whole-object JSON schema of an XRD's served version: apiVersion, kind, metadata and spec. */
export function xrdJsonSchema(definition: XrdObject): XrJsonSchema {
  const version = definition.spec.versions[0]!;
  const spec = version.schema.openAPIV3Schema.properties?.["spec"];
  if (spec === undefined) throw new Error(`${definition.metadata.name} has no spec schema`);
  return {
    group: definition.spec.group,
    version: version.name,
    kind: definition.spec.names.kind,
    schema: {
      type: "object",
      required: ["apiVersion", "kind", "metadata", "spec"],
      properties: {
        apiVersion: { type: "string", enum: [`${definition.spec.group}/${version.name}`] },
        kind: { type: "string", enum: [definition.spec.names.kind] },
        metadata: { type: "object" },
        spec: toJsonSchema(spec),
      },
    },
  };
}

/**
 * JSON schemas of the platform kinds for the management repository, which holds every environment: App
 * hosts may be under any environment's domain there (each cluster's XRD still accepts its own only).
 */
export function platformJsonSchemas(options: {
  readonly domains: readonly [string, ...string[]];
  readonly replicas: { readonly min: number; readonly max: number };
}): XrJsonSchema[] {
  const [domain, ...otherDomains] = options.domains;
  return [
    xrdJsonSchema(appXrd({ domain, otherDomains, replicas: options.replicas, defaultComposition: "app" })),
    xrdJsonSchema(sqlDatabaseXrd({ defaultComposition: "sqldatabase" })),
  ];
}

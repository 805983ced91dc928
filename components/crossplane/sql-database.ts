/**
 * The `SQLDatabase` compositions: one Postgres database, its owner role and its connection Secret,
 * served either by Amazon RDS (`rds`) or by an in-cluster server (`in-cluster`) behind the same XRD.
 *
 * Credentials never pass through Git or Pulumi: an ESO Password generator makes the server's master
 * password and the app role's password, a PushSecret stores each once (IfNotExists) in the secrets
 * backend below `<prefix>/databases/<namespace>/<name>/`, and ExternalSecrets read them back into
 *   - `<name>-master`: the server's master credentials (RDS master password, provider-sql's login), and
 *   - `<name>-connection`: what apps read (PGHOST ... DATABASE_URL), see `DATABASE_CONNECTION_KEYS`.
 * The backend, not the cluster, is the source of truth: a re-created namespace gets the same passwords.
 *
 * provider-sql then creates the role and the database (owned by the role) on the server, and a
 * SchemaHero `Database` points at the connection Secret so Tables in Git apply to it.
 *
 * Teardown: deleting an XR lets Kubernetes' garbage collector delete every composed object at once
 * (crossplane v2.3.4, internal/controller/apiextensions/composite/reconciler.go); only Usages order it.
 * Where the profile deletes data, the SQL objects keep what their deletion needs (the server, its
 * network path, the master credentials) until provider-sql has dropped them; see `teardownOrder`.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ProfileName } from "../profile";
import type { Readiness } from "../contracts";
import { DATABASE_SECRETS_PREFIX, teamSecretStore } from "../conventions";
import { imageReference, IMAGES, mirroredImage, type Mirror } from "../versions";
import {
  DATABASE_CONNECTION_KEYS,
  databaseConnectionSecret,
  POSTGRES_VERSIONS,
  type DatabaseSize,
  type PostgresVersion,
  XR_KINDS,
} from "./api";
import {
  asBase,
  combineFromXr,
  combineToXr,
  composition,
  type ComposedBase,
  type ComposedTemplate,
  type CompositionObject,
  format,
  fromXr,
  literalForFormat,
  mapValues,
  type Patch,
  READY,
  requiredFromXr,
  toInt64,
  toXr,
  usageBase,
  type UsageRef,
} from "./pt";

export const POSTGRES_PORT = 5432;
/** The server's administrative login (RDS master user; the official image's superuser). */
export const MASTER_USER = "postgres";

const COMPOSED_LABELS = {
  "app.kubernetes.io/part-of": "idp",
  "app.kubernetes.io/managed-by": "crossplane",
} as const;

/** Where generated database passwords are kept: the platform's ClusterSecretStore and its backend. */
/**
 * Where a database's passwords go: the ClusterSecretStore of the XR's namespace (`secrets-<namespace>`,
 * conventions.ts `teamSecretStore`), which only that namespace may use and which reaches only that
 * namespace's keys. `ready`: those stores (the composition waits for them).
 */
export type DatabaseSecretsBackend =
  | {
      readonly kind: "aws-secrets-manager";
      readonly ready: Readiness;
      /** The backend's key prefix (AwsSecretsManagerBackend's `prefix`, e.g. `idp/prod`). */
      readonly prefix: string;
    }
  | { readonly kind: "kubernetes"; readonly ready: Readiness };

/** The store of the XR's namespace, patched in: a team's passwords stay in its own store. */
const STORE_KIND = "ClusterSecretStore";
function storeOfNamespace(toFieldPath: string): Patch {
  return fromXr("metadata.namespace", toFieldPath, format(teamSecretStore("%s")));
}

export type PasswordKind = "master" | "app";

/**
 * Key of a database password in the backend, as a format over the XR's namespace and name:
 * AWS Secrets Manager `<prefix>/databases/<namespace>/<name>/<kind>`; in-cluster, a Secret named
 * `databases-<namespace>-<name>-<kind>` in the store's namespace. One backend secret per password:
 * ESO's IfNotExists checks a whole secret, not a property.
 */
export function passwordKeyFormat(backend: DatabaseSecretsBackend, kind: PasswordKind): string {
  if (backend.kind === "aws-secrets-manager") {
    if (!/^[A-Za-z0-9/_+=.@-]+$/.test(backend.prefix) || backend.prefix.endsWith("/")) {
      throw new Error(`secrets prefix "${backend.prefix}" is not a valid Secrets Manager name prefix`);
    }
    return `${literalForFormat(backend.prefix)}/${DATABASE_SECRETS_PREFIX}/%s/%s/${kind}`;
  }
  return `${DATABASE_SECRETS_PREFIX}-%s-%s-${kind}`;
}

/** Per-profile settings of database servers (what differs between environments on purpose). */
export interface DatabaseProfile {
  /** Days of automated backups (RDS). */
  readonly backupRetentionDays: number;
  /** A standby in a second availability zone (RDS). */
  readonly multiAz: boolean;
  /** RDS refuses to delete the instance. */
  readonly deletionProtection: boolean;
  /**
   * Size and storage changes apply at once (true) or in the next maintenance window (false). Until a
   * pending change applies, the provider sees a difference on every poll and calls ModifyDBInstance
   * again, which is harmless; the XRD's field docs tell developers which applies.
   */
  readonly applyImmediately: boolean;
  /** Take a final snapshot if the instance is ever deleted (the profile's data is worth keeping). */
  readonly finalSnapshot: boolean;
}

export const DATABASE_PROFILES = {
  dev: {
    backupRetentionDays: 1,
    multiAz: false,
    deletionProtection: false,
    applyImmediately: true,
    finalSnapshot: false,
  },
  staging: {
    backupRetentionDays: 7,
    multiAz: false,
    deletionProtection: false,
    applyImmediately: true,
    finalSnapshot: false,
  },
  prod: {
    backupRetentionDays: 14,
    multiAz: true,
    deletionProtection: true,
    applyImmediately: false,
    finalSnapshot: true,
  },
} as const satisfies Record<ProfileName, DatabaseProfile>;

/** RDS instance class per size. */
export const RDS_INSTANCE_CLASSES = {
  small: "db.t4g.small",
  medium: "db.m7g.large",
  large: "db.m7g.xlarge",
} as const satisfies Record<DatabaseSize, string>;

/** Requests (and memory limit) of the in-cluster server per size. */
export const IN_CLUSTER_RESOURCES = {
  small: { cpu: "250m", memory: "512Mi" },
  medium: { cpu: "1", memory: "2Gi" },
  large: { cpu: "2", memory: "4Gi" },
} as const satisfies Record<DatabaseSize, { cpu: string; memory: string }>;

/** The pinned official `postgres` image of each major version. */
export const POSTGRES_IMAGES = {
  "16": imageReference(IMAGES.postgres16),
  "17": imageReference(IMAGES.postgres17),
  "18": imageReference(IMAGES.postgres18),
} as const satisfies Record<PostgresVersion, string>;

/** The Postgres images by major version, from the stack's mirror when it has one. */
export function postgresImages(mirror: Mirror | undefined): Record<PostgresVersion, string> {
  return Object.fromEntries(
    Object.entries(POSTGRES_IMAGES).map(([version, image]) => [version, mirroredImage(image, mirror)]),
  ) as Record<PostgresVersion, string>;
}

export interface RdsServer {
  readonly mode: "rds";
  readonly region: string;
  readonly vpcId: string;
  /** Private subnets in at least two availability zones. */
  readonly subnetIds: readonly string[];
  /** Networks allowed to reach Postgres (e.g. the VPC's pod CIDR). */
  readonly allowedCidrs: readonly string[];
  /** Security groups allowed to reach Postgres (e.g. the EKS cluster security group). */
  readonly clientSecurityGroupIds: readonly string[];
  /** The AWS ClusterProviderConfig the managed resources use. */
  readonly providerConfigName: string;
}

export interface InClusterServer {
  readonly mode: "in-cluster";
}

export interface SqlDatabaseCompositionOptions {
  /** The stack's mirror: the in-cluster server's Postgres images come from it. Default none: upstream. */
  readonly mirror?: Mirror;
  /** StorageClass of the in-cluster server's volume. Default none: the cluster's default class. */
  readonly storageClassName?: string;
  readonly name: string;
  /** Cluster name: tags and security group names, so several clusters can share an account. */
  readonly clusterName: string;
  readonly profile: {
    readonly name: ProfileName;
    readonly dataDeletionPolicy: "Delete" | "Orphan";
    readonly schemaImmediateDeploy: boolean;
  };
  readonly secrets: DatabaseSecretsBackend;
  readonly server: RdsServer | InClusterServer;
}

/** Crossplane management policies: without `Delete`, deleting the XR leaves the external resource. */
export function managementPolicies(policy: "Delete" | "Orphan"): readonly string[] {
  return policy === "Delete" ? ["*"] : ["Observe", "Create", "Update", "LateInitialize"];
}

const PROVIDER_SQL = "postgresql.sql.m.crossplane.io/v1alpha1";
const RDS = "rds.aws.m.upbound.io/v1beta1";
const EC2 = "ec2.aws.m.upbound.io/v1beta1";

/** How a composed object reaches the server: host name and TLS mode. */
interface Endpoint {
  readonly sslMode: "require" | "disable";
  /** A patch writing the server's host name to `to`. */
  host(to: string): Patch;
  /** A patch writing `postgresql://<role>:<password template>@<host>:<port>/<database>?sslmode=...`. */
  url(to: string): Patch;
}

const PASSWORD_TEMPLATE = "{{ .password }}";

/** The Secret (`<name>-role-applied`) where provider-sql keeps the role's applied password. */
export const ROLE_PASSWORD_SECRET = "%s-role-applied";

/**
 * Composed objects that carry the server's address. On RDS the address exists only once the instance
 * reports it, and a Secret written before then would hand apps a DATABASE_URL without a host: these
 * are composed only after the XR's status has the address, so pods wait for a complete Secret.
 */
export const NEEDS_ADDRESS = ["master-credentials", "connection-secret"] as const;

function endpointOf(server: RdsServer | InClusterServer): Endpoint {
  const tail = (sslMode: string) => `:${POSTGRES_PORT}/%s?sslmode=${sslMode}`;
  const userinfo = `%s:{{ .password | urlquery }}`;
  if (server.mode === "rds") {
    return {
      sslMode: "require",
      // The instance's address reaches the XR's status first (see the instance's patches).
      host: (to) => fromXr("status.address", to),
      url: (to) =>
        combineFromXr(
          `postgresql://${userinfo}@%s${tail("require")}`,
          ["metadata.name", "status.address", "metadata.name"],
          to,
        ),
    };
  }
  const host = `%s-postgres.%s.svc.cluster.local`;
  return {
    sslMode: "disable",
    host: (to) => combineFromXr(host, ["metadata.name", "metadata.namespace"], to),
    url: (to) =>
      combineFromXr(
        `postgresql://${userinfo}@${host}${tail("disable")}`,
        ["metadata.name", "metadata.name", "metadata.namespace", "metadata.name"],
        to,
      ),
  };
}

const nameLabel = "metadata.labels[app.kubernetes.io/name]";

/** The composed object is named `<xr name><suffix>` and labelled with the XR's name. */
function named(suffix = ""): Patch[] {
  return [
    suffix === ""
      ? fromXr("metadata.name", "metadata.name")
      : fromXr("metadata.name", "metadata.name", format(`%s${suffix}`)),
    fromXr("metadata.name", nameLabel),
  ];
}

function labelled(base: {
  readonly apiVersion: string;
  readonly kind: string;
  readonly spec: unknown;
}): ComposedBase {
  return { ...base, metadata: { labels: { ...COMPOSED_LABELS } } };
}

// ---------------------------------------------------------------------------------------------
// Credentials: generated once, kept in the backend, read back by ExternalSecrets.

function passwords(options: SqlDatabaseCompositionOptions): ComposedTemplate[] {
  const keep = options.profile.dataDeletionPolicy === "Orphan";
  const remoteKeyPatches = (["master", "app"] as const).map((kind, index) =>
    combineFromXr(
      passwordKeyFormat(options.secrets, kind),
      ["metadata.namespace", "metadata.name"],
      `spec.data[${index}].match.remoteRef.remoteKey`,
    ),
  );
  return [
    {
      name: "passwords",
      base: labelled({
        apiVersion: "generators.external-secrets.io/v1alpha1",
        kind: "Password",
        // Letters and digits only: valid in URLs, shells and RDS master passwords without escaping.
        spec: {
          length: 32,
          digits: 8,
          symbols: 0,
          noUpper: false,
          allowRepeat: true,
          secretKeys: ["master", "app"],
        },
      }),
      patches: named("-passwords"),
      readinessChecks: READY.none,
    },
    {
      name: "push-passwords",
      base: labelled({
        apiVersion: "external-secrets.io/v1alpha1",
        kind: "PushSecret",
        spec: {
          refreshInterval: "1h",
          // A password is stored once; later generations never overwrite it.
          updatePolicy: "IfNotExists",
          deletionPolicy: keep ? "None" : "Delete",
          secretStoreRefs: [{ kind: STORE_KIND, name: "" }],
          selector: {
            generatorRef: {
              apiVersion: "generators.external-secrets.io/v1alpha1",
              kind: "Password",
              name: "",
            },
          },
          data: (["master", "app"] as const).map((kind) => ({
            match: { secretKey: kind, remoteRef: { remoteKey: "", property: "password" } },
          })),
        },
      }),
      patches: [
        ...named("-passwords"),
        fromXr("metadata.name", "spec.selector.generatorRef.name", format("%s-passwords")),
        storeOfNamespace("spec.secretStoreRefs[0].name"),
        ...remoteKeyPatches,
      ],
      readinessChecks: READY.ready,
    },
  ];
}

function credentialSecrets(options: SqlDatabaseCompositionOptions, endpoint: Endpoint): ComposedTemplate[] {
  const readPassword = (kind: PasswordKind, to: string) =>
    combineFromXr(passwordKeyFormat(options.secrets, kind), ["metadata.namespace", "metadata.name"], to);
  const externalSecret = (templateData: Record<string, string>) =>
    labelled({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: STORE_KIND, name: "" },
        target: {
          name: "",
          creationPolicy: "Owner",
          deletionPolicy: "Retain",
          template: { engineVersion: "v2", type: "Opaque", data: templateData },
        },
        data: [{ secretKey: "password", remoteRef: { key: "", property: "password" } }],
      },
    });
  const keys = DATABASE_CONNECTION_KEYS;
  const data = (key: string) => `spec.target.template.data.${key}`;
  return [
    {
      name: "master-credentials",
      // provider-sql's default key names.
      base: externalSecret({
        username: MASTER_USER,
        password: PASSWORD_TEMPLATE,
        port: String(POSTGRES_PORT),
      }),
      patches: [
        ...named("-master"),
        fromXr("metadata.name", "spec.target.name", format("%s-master")),
        storeOfNamespace("spec.secretStoreRef.name"),
        readPassword("master", "spec.data[0].remoteRef.key"),
        endpoint.host(data("endpoint")),
      ],
      readinessChecks: READY.ready,
    },
    {
      name: "connection-secret",
      base: externalSecret({
        [keys.port]: String(POSTGRES_PORT),
        [keys.password]: PASSWORD_TEMPLATE,
        [keys.sslMode]: endpoint.sslMode,
      }),
      patches: [
        ...named("-connection"),
        fromXr("metadata.name", "spec.target.name", format(databaseConnectionSecret("%s"))),
        storeOfNamespace("spec.secretStoreRef.name"),
        readPassword("app", "spec.data[0].remoteRef.key"),
        fromXr("metadata.name", data(keys.database)),
        fromXr("metadata.name", data(keys.user)),
        endpoint.host(data(keys.host)),
        endpoint.url(data(keys.url)),
        toXr("spec.target.name", "status.connectionSecret"),
      ],
      readinessChecks: READY.ready,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Role, database and schema management on the server.

function sqlObjects(options: SqlDatabaseCompositionOptions, endpoint: Endpoint): ComposedTemplate[] {
  const policies = managementPolicies(options.profile.dataDeletionPolicy);
  const providerConfigRef = { kind: "ProviderConfig", name: "" };
  const useProviderConfig = fromXr("metadata.name", "spec.providerConfigRef.name");
  const secretKey = (key: string) => ({ valueFrom: { secretKeyRef: { name: "", key } } });
  const keys = DATABASE_CONNECTION_KEYS;
  const schemaheroFields = {
    host: keys.host,
    port: keys.port,
    user: keys.user,
    password: keys.password,
    dbname: keys.database,
    sslmode: keys.sslMode,
  };
  return [
    {
      name: "sql-provider-config",
      base: labelled({
        apiVersion: PROVIDER_SQL,
        kind: "ProviderConfig",
        spec: {
          credentials: { source: "PostgreSQLConnectionSecret", connectionSecretRef: { name: "" } },
          sslMode: endpoint.sslMode,
          defaultDatabase: "postgres",
        },
      }),
      patches: [
        ...named(),
        fromXr("metadata.name", "spec.credentials.connectionSecretRef.name", format("%s-master")),
      ],
      readinessChecks: READY.none,
    },
    {
      name: "role",
      base: labelled({
        apiVersion: PROVIDER_SQL,
        kind: "Role",
        spec: {
          managementPolicies: policies,
          providerConfigRef,
          forProvider: {
            privileges: {
              login: true,
              inherit: true,
              createDb: false,
              createRole: false,
              replication: false,
              superUser: false,
              bypassRls: false,
            },
            passwordSecretRef: { name: "", key: keys.password },
          },
          // Where provider-sql records the password it last applied. Without it, provider-sql v0.16.0
          // never compares the referenced Secret with the role's password, so a rotated password is
          // never applied (pkg/controller/namespaced/postgresql/role/utils.go, getPassword).
          writeConnectionSecretToRef: { name: "" },
        },
      }),
      patches: [
        ...named(),
        useProviderConfig,
        fromXr(
          "metadata.name",
          "spec.forProvider.passwordSecretRef.name",
          format(databaseConnectionSecret("%s")),
        ),
        fromXr("metadata.name", "spec.writeConnectionSecretToRef.name", format(ROLE_PASSWORD_SECRET)),
      ],
      readinessChecks: READY.ready,
    },
    {
      // Postgres 16+ lets the master user own a database for a role only as a member of that role.
      name: "master-membership",
      base: labelled({
        apiVersion: PROVIDER_SQL,
        kind: "Grant",
        spec: {
          managementPolicies: policies,
          providerConfigRef,
          forProvider: { role: MASTER_USER, memberOfRef: { name: "" } },
        },
      }),
      patches: [
        ...named("-master-membership"),
        useProviderConfig,
        fromXr("metadata.name", "spec.forProvider.memberOfRef.name"),
      ],
      readinessChecks: READY.ready,
    },
    {
      name: "database",
      base: labelled({
        apiVersion: PROVIDER_SQL,
        kind: "Database",
        spec: {
          managementPolicies: policies,
          providerConfigRef,
          // Owned by the app's role: in Postgres 15+ the owner may create tables in the public schema.
          forProvider: { ownerRef: { name: "" }, encoding: "UTF8" },
        },
      }),
      patches: [...named(), useProviderConfig, fromXr("metadata.name", "spec.forProvider.ownerRef.name")],
      readinessChecks: READY.ready,
    },
    {
      name: "schemahero-database",
      base: labelled({
        apiVersion: "databases.schemahero.io/v1alpha4",
        kind: "Database",
        spec: {
          immediateDeploy: options.profile.schemaImmediateDeploy,
          connection: {
            postgres: Object.fromEntries(
              Object.entries(schemaheroFields).map(([field, key]) => [field, secretKey(key)]),
            ),
          },
        },
      }),
      patches: [
        ...named(),
        ...Object.keys(schemaheroFields).map((field) =>
          fromXr(
            "metadata.name",
            `spec.connection.postgres.${field}.valueFrom.secretKeyRef.name`,
            format(databaseConnectionSecret("%s")),
          ),
        ),
      ],
      readinessChecks: READY.none,
    },
  ];
}

/** A composed object, as the `of` or `by` of a Usage: by its name below the XR, or as the XR's own. */
interface UsageEnd {
  readonly apiVersion: string;
  readonly kind: string;
  /** Suffix of the object's name after the XR's name; absent: the object of this kind the XR controls. */
  readonly nameSuffix?: string;
}

function usageRef(end: UsageEnd): UsageRef {
  return end.nameSuffix === undefined
    ? { apiVersion: end.apiVersion, kind: end.kind, resourceSelector: { matchControllerRef: true } }
    : { apiVersion: end.apiVersion, kind: end.kind, resourceRef: { name: "" } };
}

/** A Usage: `of` cannot be deleted while `by` exists (teardown order inside one SQLDatabase). */
function usage(name: string, of: UsageEnd, by: UsageEnd): ComposedTemplate {
  const refPatch = (end: UsageEnd, path: string) =>
    end.nameSuffix === undefined
      ? []
      : [
          end.nameSuffix === ""
            ? fromXr("metadata.name", path)
            : fromXr("metadata.name", path, format(`%s${end.nameSuffix}`)),
        ];
  return {
    name: `usage-${name}`,
    base: usageBase(usageRef(of), usageRef(by), COMPOSED_LABELS),
    patches: [
      ...named(`-${name}`),
      ...refPatch(of, "spec.of.resourceRef.name"),
      ...refPatch(by, "spec.by.resourceRef.name"),
    ],
    readinessChecks: READY.none,
  };
}

/** What provider-sql reaches the server through, per mode: it must outlive every SQL object. */
export interface ServerPath {
  /** The server itself (the StatefulSet, or the RDS instance). */
  readonly server: UsageEnd;
  /** Objects on the network path to the server (the Service; the security group and its rules). */
  readonly network: ReadonlyArray<{ readonly name: string; readonly end: UsageEnd }>;
}

/**
 * Usages that order a SQLDatabase's teardown where the profile deletes data (`Delete`):
 *   - the database and the master's membership go before the role (Postgres refuses to drop a role
 *     that owns a database or has members);
 *   - the role goes before the server, everything on the network path to it, and the master
 *     credentials (provider-sql's ProviderConfig reads them to connect); the ProviderConfig itself is
 *     held by provider-sql's ProviderConfigUsages (crossplane-runtime v2, pkg/reconciler/providerconfig).
 * Where the profile orphans data (`Orphan`), the SQL objects' managementPolicies leave out Delete:
 * deleting the XR removes only Kubernetes objects and nothing connects to the server, so no order
 * is needed and none is composed.
 */
function teardownOrder(options: SqlDatabaseCompositionOptions, path: ServerPath): ComposedTemplate[] {
  if (options.profile.dataDeletionPolicy === "Orphan") return [];
  const role: UsageEnd = { apiVersion: PROVIDER_SQL, kind: "Role", nameSuffix: "" };
  const byRole: UsageEnd = { apiVersion: PROVIDER_SQL, kind: "Role" };
  return [
    usage("role-outlives-database", role, { apiVersion: PROVIDER_SQL, kind: "Database" }),
    usage("role-outlives-membership", role, { apiVersion: PROVIDER_SQL, kind: "Grant" }),
    usage("server-outlives-role", path.server, byRole),
    ...path.network.map((hop) => usage(`${hop.name}-outlives-role`, hop.end, byRole)),
    usage(
      "credentials-outlive-role",
      { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", nameSuffix: "-master" },
      byRole,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Servers.

function rdsServer(options: SqlDatabaseCompositionOptions, server: RdsServer): ComposedTemplate[] {
  const profile = DATABASE_PROFILES[options.profile.name];
  const policies = managementPolicies(options.profile.dataDeletionPolicy);
  const providerConfigRef = { kind: "ClusterProviderConfig", name: server.providerConfigName };
  const tags = { "idp:cluster": options.clusterName, "managed-by": "crossplane" };
  const tagPatches = [
    fromXr("metadata.namespace", "spec.forProvider.tags[idp:namespace]"),
    fromXr("metadata.name", "spec.forProvider.tags[idp:name]"),
  ];
  const managed = (apiVersion: string, kind: string, forProvider: Record<string, unknown>): ComposedBase =>
    labelled({
      apiVersion,
      kind,
      spec: {
        managementPolicies: policies,
        providerConfigRef,
        forProvider: { region: server.region, ...forProvider, tags },
      },
    });
  const cluster = literalForFormat(options.clusterName);
  const port = { ipProtocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT };
  // Each rule has a name of its own, so a Usage can keep it until the SQL objects are gone.
  const rule = (name: string, source: Record<string, string>, description: string): ComposedTemplate => ({
    name,
    base: managed(EC2, "SecurityGroupIngressRule", {
      ...port,
      ...source,
      description,
      securityGroupIdSelector: { matchControllerRef: true },
    }),
    patches: [...named(`-${name}`), ...tagPatches],
    readinessChecks: READY.ready,
  });
  const ingressRules: ComposedTemplate[] = [
    ...server.clientSecurityGroupIds.map((group, index) =>
      rule(`ingress-security-group-${index}`, { referencedSecurityGroupId: group }, `Postgres from ${group}`),
    ),
    ...server.allowedCidrs.map((cidr, index) =>
      rule(`ingress-cidr-${index}`, { cidrIpv4: cidr }, `Postgres from ${cidr}`),
    ),
  ];
  if (ingressRules.length === 0) {
    throw new Error("an RDS database needs at least one client security group or allowed CIDR");
  }
  if (server.subnetIds.length < 2) throw new Error("an RDS subnet group needs at least two subnets");
  return [
    {
      name: "subnet-group",
      base: managed(RDS, "SubnetGroup", {
        subnetIds: server.subnetIds,
        description: "Postgres of a SQLDatabase",
      }),
      patches: [
        ...tagPatches,
        combineFromXr(
          `SQLDatabase %s/%s (${cluster})`,
          ["metadata.namespace", "metadata.name"],
          "spec.forProvider.description",
        ),
      ],
      readinessChecks: READY.ready,
    },
    {
      name: "security-group",
      base: managed(EC2, "SecurityGroup", {
        vpcId: server.vpcId,
        description: "Postgres of a SQLDatabase",
        revokeRulesOnDelete: true,
      }),
      patches: [
        ...tagPatches,
        // Unique per XR (its uid): security group names are unique per VPC, and prod orphans the group
        // of a deleted SQLDatabase, so a fixed name would make re-creating it fail (InvalidGroup.Duplicate).
        combineFromXr(
          `${cluster}-%s-%s-postgres-%s`,
          ["metadata.namespace", "metadata.name", "metadata.uid"],
          "spec.forProvider.name",
        ),
      ],
      readinessChecks: READY.ready,
    },
    ...ingressRules,
    {
      name: "instance",
      base: managed(RDS, "Instance", {
        engine: "postgres",
        engineVersion: "",
        instanceClass: RDS_INSTANCE_CLASSES.small,
        allocatedStorage: 20,
        storageType: "gp3",
        storageEncrypted: true,
        publiclyAccessible: false,
        port: POSTGRES_PORT,
        username: MASTER_USER,
        passwordSecretRef: { name: "", key: "password" },
        dbSubnetGroupNameSelector: { matchControllerRef: true },
        vpcSecurityGroupIdSelector: { matchControllerRef: true },
        multiAz: profile.multiAz,
        backupRetentionPeriod: profile.backupRetentionDays,
        deletionProtection: profile.deletionProtection,
        applyImmediately: profile.applyImmediately,
        skipFinalSnapshot: !profile.finalSnapshot,
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
      }),
      patches: [
        ...tagPatches,
        // The DB instance identifier: <cluster>-<namespace>-<name> (not Terraform's terraform-<time>), so
        // an operator finds the database in the console. Where the profile orphans data, re-creating a
        // deleted SQLDatabase under the same name while its retained instance exists fails with
        // DBInstanceAlreadyExists on purpose: retained data is adopted deliberately, never shadowed
        // (docs/runbooks/teardown.md, "Re-creating a database").
        combineFromXr(
          `${cluster}-%s-%s`,
          ["metadata.namespace", "metadata.name"],
          "spec.forProvider.identifier",
        ),
        ...(profile.finalSnapshot
          ? [
              combineFromXr(
                `${cluster}-%s-%s-final`,
                ["metadata.namespace", "metadata.name"],
                "spec.forProvider.finalSnapshotIdentifier",
              ),
            ]
          : []),
        requiredFromXr("spec.version", "spec.forProvider.engineVersion"),
        fromXr("spec.size", "spec.forProvider.instanceClass", mapValues(RDS_INSTANCE_CLASSES)),
        fromXr("spec.storageGB", "spec.forProvider.allocatedStorage"),
        fromXr("metadata.name", "spec.forProvider.passwordSecretRef.name", format("%s-master")),
        toXr("status.atProvider.address", "status.address"),
        toXr("status.atProvider.port", "status.port"),
      ],
      readinessChecks: READY.ready,
    },
    ...teardownOrder(options, {
      server: { apiVersion: RDS, kind: "Instance" },
      network: [
        { name: "security-group", end: { apiVersion: EC2, kind: "SecurityGroup" } },
        ...ingressRules.map((r) => ({
          name: r.name,
          end: { apiVersion: EC2, kind: "SecurityGroupIngressRule", nameSuffix: `-${r.name}` },
        })),
      ],
    }),
  ];
}

function inClusterServer(options: SqlDatabaseCompositionOptions): ComposedTemplate[] {
  const images = postgresImages(options.mirror);
  const dataPath = "/var/lib/postgresql/data";
  const statefulSet: k8s.types.input.apps.v1.StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { labels: { ...COMPOSED_LABELS } },
    spec: {
      replicas: 1,
      serviceName: "",
      selector: { matchLabels: {} },
      template: {
        metadata: { labels: { ...COMPOSED_LABELS } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          // The official image runs as uid 999 (postgres) when started without root.
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 999,
            runAsGroup: 999,
            fsGroup: 999,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "postgres",
              image: images["17"],
              ports: [{ name: "postgres", containerPort: POSTGRES_PORT, protocol: "TCP" }],
              env: [
                { name: "POSTGRES_USER", value: MASTER_USER },
                { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: "", key: "password" } } },
                // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
                { name: "PGDATA", value: `${dataPath}/pgdata` },
              ],
              resources: {
                requests: { ...IN_CLUSTER_RESOURCES.small },
                limits: { memory: IN_CLUSTER_RESOURCES.small.memory },
              },
              readinessProbe: {
                exec: { command: ["pg_isready", "-U", MASTER_USER, "-h", "127.0.0.1"] },
                periodSeconds: 5,
              },
              livenessProbe: {
                exec: { command: ["pg_isready", "-U", MASTER_USER, "-h", "127.0.0.1"] },
                initialDelaySeconds: 30,
                periodSeconds: 10,
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "data", mountPath: dataPath },
                { name: "run", mountPath: "/var/run/postgresql" },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "data", persistentVolumeClaim: { claimName: "" } },
            { name: "run", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  };
  const volume: k8s.types.input.core.v1.PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { labels: { ...COMPOSED_LABELS } },
    spec: {
      accessModes: ["ReadWriteOnce"],
      ...(options.storageClassName !== undefined ? { storageClassName: options.storageClassName } : {}),
      resources: { requests: { storage: "20Gi" } },
    },
  };
  const service: k8s.types.input.core.v1.Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { labels: { ...COMPOSED_LABELS } },
    spec: {
      type: "ClusterIP",
      selector: {},
      ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres", protocol: "TCP" }],
    },
  };
  const container = "spec.template.spec.containers[0]";
  const select = (path: string) => fromXr("metadata.name", path, format("%s-postgres"));
  const sizes = (pick: (resources: { cpu: string; memory: string }) => string) =>
    mapValues(Object.fromEntries(Object.entries(IN_CLUSTER_RESOURCES).map(([size, r]) => [size, pick(r)])));
  return [
    {
      // A claim of its own rather than a volumeClaimTemplate: it can grow with storageGB.
      name: "volume",
      base: asBase(volume),
      patches: [
        ...named("-postgres-data"),
        fromXr("spec.storageGB", "spec.resources.requests.storage", toInt64(), format("%dGi")),
      ],
      readinessChecks: [{ type: "MatchString", fieldPath: "status.phase", matchString: "Bound" }],
    },
    {
      name: "server",
      base: asBase(statefulSet),
      patches: [
        ...named("-postgres"),
        select("spec.serviceName"),
        select("spec.selector.matchLabels[app.kubernetes.io/instance]"),
        select("spec.template.metadata.labels[app.kubernetes.io/instance]"),
        fromXr(
          "metadata.name",
          "spec.template.spec.volumes[0].persistentVolumeClaim.claimName",
          format("%s-postgres-data"),
        ),
        fromXr("metadata.name", `${container}.env[1].valueFrom.secretKeyRef.name`, format("%s-master")),
        fromXr("spec.version", `${container}.image`, mapValues(images)),
        fromXr(
          "spec.size",
          `${container}.resources.requests.cpu`,
          sizes((r) => r.cpu),
        ),
        fromXr(
          "spec.size",
          `${container}.resources.requests.memory`,
          sizes((r) => r.memory),
        ),
        fromXr(
          "spec.size",
          `${container}.resources.limits.memory`,
          sizes((r) => r.memory),
        ),
      ],
      // One replica; readyReplicas is omitted while none is ready (and arrives as a float64 when set).
      readinessChecks: [{ type: "NonEmpty", fieldPath: "status.readyReplicas" }],
    },
    {
      name: "server-service",
      base: asBase(service),
      patches: [
        ...named("-postgres"),
        select("spec.selector[app.kubernetes.io/instance]"),
        combineToXr("%s.%s.svc.cluster.local", ["metadata.name", "metadata.namespace"], "status.address"),
        toXr("spec.ports[0].port", "status.port"),
      ],
      readinessChecks: READY.none,
    },
    ...teardownOrder(options, {
      server: { apiVersion: "apps/v1", kind: "StatefulSet" },
      network: [{ name: "service", end: { apiVersion: "v1", kind: "Service", nameSuffix: "-postgres" } }],
    }),
  ];
}

export function sqlDatabaseComposition(options: SqlDatabaseCompositionOptions): CompositionObject {
  for (const version of POSTGRES_VERSIONS) {
    if (POSTGRES_IMAGES[version] === undefined) throw new Error(`no image pinned for Postgres ${version}`);
  }
  const endpoint = endpointOf(options.server);
  const server =
    options.server.mode === "rds" ? rdsServer(options, options.server) : inClusterServer(options);
  return composition({
    name: options.name,
    kind: XR_KINDS.sqlDatabase,
    labels: { "app.kubernetes.io/part-of": "idp", "idp.platform/database-mode": options.server.mode },
    resources: [
      ...passwords(options),
      ...credentialSecrets(options, endpoint),
      ...server,
      ...sqlObjects(options, endpoint),
    ],
    ...(options.server.mode === "rds"
      ? {
          filters: NEEDS_ADDRESS.map((name) => ({
            name,
            expression: "has(observed.composite.resource.status.address)",
          })),
        }
      : {}),
  });
}

/**
 * The two secrets backends behind the platform's ClusterSecretStore, and the one way workloads read
 * them: ExternalSecrets (`external-secrets.io/v1`).
 *
 * Secrets never travel through Git, Helm values, ConfigMaps or a Secret input of a workload: Pulumi
 * writes them (as Pulumi secrets) into the backend, and External Secrets Operator syncs them into the
 * namespace that needs them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as kubernetes from "@pulumi/kubernetes";
import type { PutSecretArgs, SecretsBackend, SecretStoreRef, StoredSecret } from "./contracts";
import { PLATFORM_LABELS, waitFor } from "./kube";

/** Secret names in the in-cluster backend: `argocd/webhook` → `argocd-webhook`. */
export function kubernetesSecretName(name: string): string {
  const converted = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (converted.length === 0 || converted.length > 253)
    throw new Error(`cannot name a Secret after "${name}"`);
  return converted;
}

function secretData(
  data: Readonly<Record<string, pulumi.Input<string>>>,
): pulumi.Output<Record<string, string>> {
  return pulumi.secret(pulumi.output(data as Record<string, pulumi.Input<string>>));
}

export interface AwsSecretsManagerBackendArgs {
  readonly store: SecretStoreRef;
  /** Name prefix of every platform secret; the store's IAM role may read only below it. */
  readonly prefix: string;
  /** Days AWS keeps a deleted secret recoverable (7–30), or 0 to delete at once (dev). */
  readonly recoveryWindowInDays: number;
  /** KMS key for encryption; default: the account's `aws/secretsmanager` key. */
  readonly kmsKeyId?: pulumi.Input<string>;
  /** Protection of the secret itself (profile). */
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
}

/** AWS Secrets Manager: one secret per `put`, its value a JSON object of the properties. */
export class AwsSecretsManagerBackend implements SecretsBackend {
  readonly kind = "aws-secrets-manager" as const;
  readonly store: SecretStoreRef;

  constructor(private readonly args: AwsSecretsManagerBackendArgs) {
    this.store = args.store;
  }

  remoteKey(name: string): string {
    return `${this.args.prefix}/${name}`;
  }

  put(resourceName: string, put: PutSecretArgs, opts: pulumi.CustomResourceOptions): StoredSecret {
    const remoteKey = this.remoteKey(put.name);
    const secret = new aws.secretsmanager.Secret(
      resourceName,
      {
        name: remoteKey,
        description: put.description,
        recoveryWindowInDays: this.args.recoveryWindowInDays,
        ...(this.args.kmsKeyId !== undefined ? { kmsKeyId: this.args.kmsKeyId } : {}),
      },
      { ...opts, protect: this.args.protect, retainOnDelete: this.args.retainOnDelete },
    );
    const version = new aws.secretsmanager.SecretVersion(
      `${resourceName}-value`,
      { secretId: secret.id, secretString: secretData(put.data).apply((data) => JSON.stringify(data)) },
      { ...opts, deletedWith: secret },
    );
    return { remoteKey, properties: Object.keys(put.data), resources: [secret, version] };
  }
}

export interface KubernetesSecretsBackendArgs {
  readonly store: SecretStoreRef;
  /** The locked-down namespace that holds the platform's secrets (only ESO may read it). */
  readonly namespace: pulumi.Input<string>;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
}

/** In-cluster backend for local stacks: Secrets in one namespace that only ESO's store can read. */
export class KubernetesSecretsBackend implements SecretsBackend {
  readonly kind = "kubernetes" as const;
  readonly store: SecretStoreRef;

  constructor(private readonly args: KubernetesSecretsBackendArgs) {
    this.store = args.store;
  }

  remoteKey(name: string): string {
    return kubernetesSecretName(name);
  }

  put(resourceName: string, put: PutSecretArgs, opts: pulumi.CustomResourceOptions): StoredSecret {
    const remoteKey = this.remoteKey(put.name);
    const secret = new kubernetes.core.v1.Secret(
      resourceName,
      {
        metadata: {
          name: remoteKey,
          namespace: this.args.namespace,
          labels: { ...PLATFORM_LABELS, "idp.platform/secret": "true" },
          annotations: { "idp.platform/description": put.description },
        },
        type: "Opaque",
        stringData: secretData(put.data),
      },
      { ...opts, protect: this.args.protect, retainOnDelete: this.args.retainOnDelete },
    );
    return { remoteKey, properties: Object.keys(put.data), resources: [secret] };
  }
}

export interface ExternalSecretArgs {
  /** Name of the ExternalSecret and, unless `target.name` says otherwise, of the Secret it creates. */
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  readonly store: SecretStoreRef;
  /** Each key of the target Secret and where it comes from. */
  readonly data: ReadonlyArray<{
    readonly secretKey: string;
    readonly from: StoredSecret;
    readonly property: string;
  }>;
  readonly target?: {
    /** Target Secret name. Default: `name`. */
    readonly name?: string;
    /** Secret type, labels and annotations (e.g. Argo CD's `argocd.argoproj.io/secret-type`). */
    readonly type?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    /** Templated keys (ESO template engine v2), e.g. to build a config file from properties. */
    readonly templateData?: Readonly<Record<string, string>>;
  };
  /** How often ESO re-reads the backend. Default `1h`. */
  readonly refreshInterval?: string;
}

export const EXTERNAL_SECRET_DEFAULTS = { refreshInterval: "1h" } as const;

/**
 * An ExternalSecret that syncs backend properties into a Secret of `namespace`. It depends on the
 * store being ready (ESO's CRDs and webhook, the store) and on the backend resources it reads, and
 * Pulumi waits for its `Ready` condition (the target Secret exists).
 */
export function externalSecret(
  resourceName: string,
  args: ExternalSecretArgs,
  opts: pulumi.CustomResourceOptions,
): kubernetes.apiextensions.CustomResource {
  for (const item of args.data) {
    if (!item.from.properties.includes(item.property)) {
      throw new Error(
        `ExternalSecret ${args.name}: ${item.from.remoteKey} has no property "${item.property}" (it has ${item.from.properties.join(", ")})`,
      );
    }
  }
  const target = args.target ?? {};
  const templated =
    target.type !== undefined ||
    target.labels !== undefined ||
    target.annotations !== undefined ||
    target.templateData !== undefined;
  const dependsOn = [
    ...args.store.ready,
    ...args.data.flatMap((item) => item.from.resources),
    ...(Array.isArray(opts.dependsOn)
      ? (opts.dependsOn as pulumi.Resource[])
      : opts.dependsOn
        ? [opts.dependsOn as pulumi.Resource]
        : []),
  ];
  return new kubernetes.apiextensions.CustomResource(
    resourceName,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      // Pulumi counts the ExternalSecret as created once ESO has synced the target Secret, so whatever
      // depends on it (a release that mounts the Secret) starts only then.
      metadata: {
        name: args.name,
        namespace: args.namespace,
        labels: { ...PLATFORM_LABELS },
        annotations: { ...waitFor("condition=Ready") },
      },
      spec: {
        refreshInterval: args.refreshInterval ?? EXTERNAL_SECRET_DEFAULTS.refreshInterval,
        secretStoreRef: { kind: args.store.kind, name: args.store.name },
        target: {
          name: target.name ?? args.name,
          creationPolicy: "Owner",
          deletionPolicy: "Retain",
          ...(templated
            ? {
                template: {
                  engineVersion: "v2",
                  ...(target.type !== undefined ? { type: target.type } : {}),
                  metadata: { labels: { ...target.labels }, annotations: { ...target.annotations } },
                  ...(target.templateData !== undefined
                    ? { mergePolicy: "Merge", data: { ...target.templateData } }
                    : {}),
                },
              }
            : {}),
        },
        data: args.data.map((item) => ({
          secretKey: item.secretKey,
          remoteRef: { key: item.from.remoteKey, property: item.property },
        })),
      },
    },
    { ...opts, dependsOn },
  );
}

/**
 * The interfaces parts use to work with each other. A part depends on these, never on another part's
 * class, so parts stay testable alone and `Platform` wires them through outputs and `dependsOn`.
 */
import type * as pulumi from "@pulumi/pulumi";

/**
 * What a custom resource must wait for before its kind is served: the operator's release (its CRDs
 * installed, its controller and webhook available) and anything else it needs (a store, an issuer).
 */
export type Readiness = readonly pulumi.Resource[];

/** The ClusterSecretStore ExternalSecrets read from. */
export interface SecretStoreRef {
  readonly kind: "ClusterSecretStore";
  readonly name: string;
  /** The ESO release and the store itself: an ExternalSecret depends on all of them. */
  readonly ready: Readiness;
}

/** A secret written into the backend by `SecretsBackend.put`. */
export interface StoredSecret {
  /** Key of the secret in the backend (`remoteRef.key` of an ExternalSecret). */
  readonly remoteKey: string;
  /** The properties it holds (`remoteRef.property`). */
  readonly properties: readonly string[];
  /** The resources that hold it: an ExternalSecret reading it depends on them. */
  readonly resources: readonly pulumi.Resource[];
}

export interface PutSecretArgs {
  /**
   * Logical name, unique in the platform, e.g. `argocd/webhook`. The backend prefixes it
   * (AWS: `<prefix>/<name>`; in-cluster: a Secret named after it in the store's namespace).
   */
  readonly name: string;
  /** Property → value. Values are made Pulumi secrets whatever they arrive as. */
  readonly data: Readonly<Record<string, pulumi.Input<string>>>;
  /** One line for humans browsing the secrets manager. */
  readonly description: string;
}

/**
 * The secrets manager behind the platform's ClusterSecretStore: AWS Secrets Manager in the cloud, an
 * in-cluster namespace locally. Parts write their secrets with `put` (the resources become the
 * caller's children: the caller owns its secrets) and read them back only through ExternalSecrets.
 */
export interface SecretsBackend {
  readonly kind: "aws-secrets-manager" | "kubernetes";
  readonly store: SecretStoreRef;
  put(resourceName: string, args: PutSecretArgs, opts: pulumi.CustomResourceOptions): StoredSecret;
  /**
   * The backend key of a logical name, as `put` would store it: for objects rendered elsewhere that
   * address the backend directly (the SQLDatabase composition's PushSecret `remoteRef.remoteKey`).
   */
  remoteKey(name: string): string;
}

/**
 * How the stack exposes HTTP services: a shared Gateway (Gateway API) or ingress-nginx. Whoever
 * exposes a service asks the ingress layer's `expose()` helper, or, for resources rendered elsewhere
 * (Crossplane compositions), reads these fields.
 */
export type IngressLayerRef =
  | {
      readonly kind: "gateway";
      /** The shared Gateway routes attach to. */
      readonly gatewayName: string;
      readonly gatewayNamespace: string;
      /** Listener (`sectionName`) of HTTPS traffic. */
      readonly httpsListener: string;
      readonly ready: Readiness;
    }
  | {
      readonly kind: "nginx";
      readonly ingressClassName: string;
      /** ClusterIssuer that ingress-shim asks for each Ingress's certificate. */
      readonly clusterIssuer: string;
      readonly ready: Readiness;
    };

/** AWS account and workload identity wiring, when the stack has AWS. */
export interface AwsContext {
  readonly accountId: string;
  readonly region: string;
  /** `aws`, or `aws-us-gov` / `aws-cn` where they apply. */
  readonly partition: string;
  readonly identity: "pod-identity" | "irsa";
  /** Set when identity is irsa. */
  readonly oidcProviderArn?: string;
  /** EKS cluster name (Pod Identity associations, tags). */
  readonly clusterName: string;
}

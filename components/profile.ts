/**
 * The shape of an environment profile: what components read to decide how carefully they run
 * (protection, replicas, deletion policies). The profiles themselves (dev, staging, prod) are stack
 * data and live in stacks/profiles.ts; components only know the shape.
 */

export const PROFILE_NAMES = ["dev", "staging", "prod"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** ACME environments of Let's Encrypt; `production` is reserved for the prod profile. */
export type LetsEncryptEnvironment = "staging" | "production";

export interface EnvironmentProfile {
  readonly name: ProfileName;
  /**
   * `protect` on stateful and cascading resources: CRD-bearing Helm releases, namespaces that hold
   * state, Crossplane and its providers, the management repository, secrets in the backend.
   * A protected resource makes `pulumi destroy` stop instead of cascading (see docs/runbooks/teardown.md).
   */
  readonly protectStateful: boolean;
  /** `retainOnDelete` on the same set: if Pulumi ever deletes them, the cluster/org keeps them. */
  readonly retainStateful: boolean;
  /** Replicas of platform controllers that support HA (Argo CD server/repo-server, ESO, cert-manager). */
  readonly controllerReplicas: number;
  /** Let's Encrypt environments a stack of this profile may use as its default issuer. */
  readonly allowedLetsEncrypt: readonly LetsEncryptEnvironment[];
  /** Crossplane `deletionPolicy` for managed resources that hold data (databases). */
  readonly dataDeletionPolicy: "Delete" | "Orphan";
  /** Argo CD automated sync for the environment's root application. */
  readonly gitOpsSync: { readonly prune: boolean; readonly selfHeal: boolean };
  /** Bounds for every runner scale set unless the scale set narrows them. */
  readonly runners: { readonly minRunners: number; readonly maxRunners: number };
  /** SchemaHero applies planned migrations immediately (false: plans wait for approval). */
  readonly schemaImmediateDeploy: boolean;
  /** Default replica bounds of an `App` when the claim does not say. */
  readonly appReplicas: { readonly min: number; readonly max: number };
  /** Days AWS Secrets Manager keeps a deleted platform secret recoverable (0: delete at once). */
  readonly secretRecoveryWindowDays: number;
  /**
   * Apps must name an immutable image (a digest, a `sha-<commit>` tag or a version tag), and an app
   * reaches the environment only through a promotion: what runs was built and promoted, never whatever
   * a moving tag such as `main` points at today.
   */
  readonly immutableImages: boolean;
}

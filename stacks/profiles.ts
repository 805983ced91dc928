/**
 * Environment profiles: everything that differs between dev, staging and prod on purpose.
 *
 * Stack config says *where* and *for whom* the platform runs (domain, cluster, org, teams); the profile
 * says *how carefully*. A stack picks its profile with `idp:profile`; nothing else in the program
 * branches on the stack name, so `npm run synth -- --diff dev prod` shows only profile and config.
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
}

export const PROFILES = {
  dev: {
    name: "dev",
    protectStateful: false,
    retainStateful: false,
    controllerReplicas: 1,
    allowedLetsEncrypt: ["staging"],
    dataDeletionPolicy: "Delete",
    gitOpsSync: { prune: true, selfHeal: true },
    runners: { minRunners: 0, maxRunners: 2 },
    schemaImmediateDeploy: true,
    appReplicas: { min: 1, max: 2 },
    secretRecoveryWindowDays: 0,
  },
  staging: {
    name: "staging",
    protectStateful: true,
    retainStateful: true,
    controllerReplicas: 2,
    allowedLetsEncrypt: ["staging"],
    dataDeletionPolicy: "Delete",
    gitOpsSync: { prune: true, selfHeal: true },
    runners: { minRunners: 0, maxRunners: 10 },
    schemaImmediateDeploy: true,
    appReplicas: { min: 2, max: 4 },
    secretRecoveryWindowDays: 7,
  },
  prod: {
    name: "prod",
    protectStateful: true,
    retainStateful: true,
    controllerReplicas: 3,
    allowedLetsEncrypt: ["staging", "production"],
    dataDeletionPolicy: "Orphan",
    // Prune stays manual in prod: a deleted file must not silently delete a production workload.
    gitOpsSync: { prune: false, selfHeal: true },
    runners: { minRunners: 1, maxRunners: 30 },
    schemaImmediateDeploy: false,
    appReplicas: { min: 3, max: 10 },
    secretRecoveryWindowDays: 30,
  },
} as const satisfies Record<ProfileName, EnvironmentProfile>;

export function profileFor(name: ProfileName): EnvironmentProfile {
  return PROFILES[name];
}

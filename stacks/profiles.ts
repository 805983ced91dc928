/**
 * Environment profiles: everything that differs between dev, staging and prod on purpose.
 *
 * Stack config says *where* and *for whom* the platform runs (domain, cluster, org, teams); the profile
 * says *how carefully*. A stack picks its profile with `idp:profile`; nothing else in the program
 * branches on the stack name, so `npm run synth -- --diff dev prod` shows only profile and config.
 */

import type { EnvironmentProfile, ProfileName } from "../components/profile";

export {
  PROFILE_NAMES,
  type EnvironmentProfile,
  type LetsEncryptEnvironment,
  type ProfileName,
} from "../components/profile";

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
    // New apps start here on their moving `main` image, so a push shows up without a promotion.
    immutableImages: false,
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
    immutableImages: true,
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
    immutableImages: true,
  },
} as const satisfies Record<ProfileName, EnvironmentProfile>;

export function profileFor(name: ProfileName): EnvironmentProfile {
  return PROFILES[name];
}

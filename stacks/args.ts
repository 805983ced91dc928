/**
 * Maps validated stack config plus the environment profile to the typed arguments of `Platform`.
 * Components never see raw config; everything they need arrives here, named and typed.
 */
import type { PlatformArgs } from "../components/platform";
import type { RunnersSettings } from "../components/runners";
import type { PlatformConfig } from "./config";

export function toPlatformArgs(config: PlatformConfig, stack: string): PlatformArgs {
  const { settings, profile } = config;
  return {
    stack,
    profile,
    domain: settings.domain,
    clusterName: settings.cluster.name,
    githubOwner: settings.github.owner,
  };
}

// --- runners (issue 7) --------------------------------------------------------------------------

/**
 * The runners' arguments from config, or undefined when the stack has no `idp:runners`. Scale set
 * bounds come from the profile where config leaves them out: maxRunners defaults to the profile's bound,
 * minRunners to the profile's minimum (never above maxRunners).
 */
export function runnersSettingsFrom(config: PlatformConfig): RunnersSettings | undefined {
  const { settings, profile, secrets } = config;
  const runners = settings.runners;
  if (runners === undefined) return undefined;
  const privateKey = secrets.runnersGithubAppPrivateKey;
  // parseConfig requires the secret whenever idp:runners is set.
  if (privateKey === undefined) throw new Error("idp:runnersGithubAppPrivateKey is required by idp:runners");
  return {
    profile,
    githubOwner: settings.github.owner,
    githubApp: { appId: runners.appId, installationId: runners.installationId, privateKey },
    apiServerCidrs: runners.apiServerCidrs,
    ...(runners.storageClassName !== undefined ? { storageClassName: runners.storageClassName } : {}),
    scaleSets: runners.scaleSets.map((scaleSet) => {
      const maxRunners = scaleSet.maxRunners ?? profile.runners.maxRunners;
      return {
        name: scaleSet.name,
        runnerGroup: scaleSet.runnerGroup,
        labels: scaleSet.labels,
        minRunners: scaleSet.minRunners ?? Math.min(profile.runners.minRunners, maxRunners),
        maxRunners,
        resources: scaleSet.resources,
        containerMode: scaleSet.containerMode,
        workVolumeSize: scaleSet.workVolumeSize,
      };
    }),
  };
}
// --- end runners --------------------------------------------------------------------------------

/**
 * Maps validated stack config plus the environment profile to the typed arguments of `Platform`.
 * Components never see raw config; everything they need arrives here, named and typed.
 */
import type { PlatformArgs } from "../components/platform";
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

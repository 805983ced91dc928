/**
 * Maps validated stack config plus the environment profile to the typed arguments of `Platform`.
 * Components never see raw config; everything they need arrives here, named and typed.
 */
import type { AwsContext } from "../components/contracts";
import type { CrossplaneArgs, DatabaseSettings } from "../components/crossplane";
import type { PlatformArgs } from "../components/platform";
import type { PlatformConfig } from "./config";
import { databaseMode, type Settings } from "./schema";

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

// --- Crossplane part (issue 4). -------------------------------------------------------------------

/** What `Crossplane` needs from config; `Platform` adds the ingress layer and the secrets backend. */
export type CrossplaneSettings = Omit<CrossplaneArgs, "ingress" | "databaseSecrets">;

/** AWS partition of a region (ARNs and service principals differ outside the commercial partition). */
export function awsPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The stack's AWS account and identity wiring, when it has AWS. */
export function awsContextFrom(settings: Settings): AwsContext | undefined {
  const aws = settings.aws;
  if (aws === undefined) return undefined;
  return {
    accountId: aws.accountId,
    region: aws.region,
    partition: awsPartition(aws.region),
    identity: aws.identity,
    ...(aws.oidcProviderArn !== undefined ? { oidcProviderArn: aws.oidcProviderArn } : {}),
    clusterName: settings.cluster.name,
  };
}

export function crossplaneSettingsFrom(config: PlatformConfig): CrossplaneSettings {
  const { settings, profile } = config;
  const aws = awsContextFrom(settings);
  const databases = settings.databases;
  let resolved: DatabaseSettings = { mode: "in-cluster" };
  if (databaseMode(settings) === "rds") {
    // parseConfig has already reported a missing key with its fix; this only narrows the types.
    if (databases?.vpcId === undefined || databases.subnetIds === undefined) {
      throw new Error("idp:databases is incomplete for rds; validate the config with parseConfig first");
    }
    resolved = {
      mode: "rds",
      vpcId: databases.vpcId,
      subnetIds: databases.subnetIds,
      clientSecurityGroupIds: databases.clientSecurityGroupIds,
      allowedCidrs: databases.allowedCidrs,
    };
  }
  return {
    profile,
    clusterName: settings.cluster.name,
    domain: settings.domain,
    databases: resolved,
    ...(aws !== undefined ? { aws } : {}),
  };
}

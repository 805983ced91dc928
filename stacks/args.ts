/**
 * Maps validated stack config plus the environment profile to the typed arguments of `Platform`.
 * Components never see raw config; everything they need arrives here, named and typed.
 */
import type { AwsContext } from "../components/contracts";
import type { ExternalSecretsBackendArgs } from "../components/external-secrets";
import type { PlatformArgs } from "../components/platform";
import type { PlatformConfig } from "./config";

export function toPlatformArgs(config: PlatformConfig, stack: string): PlatformArgs {
  const { settings, profile } = config;
  const aws = awsContext(config);
  return {
    stack,
    profile,
    domain: settings.domain,
    clusterName: settings.cluster.name,
    githubOwner: settings.github.owner,
    // --- Cluster foundations (issue 3) ---
    ...(aws !== undefined ? { aws } : {}),
    apps: settings.apps,
    tls: settings.tls,
    ingress: {
      controller: settings.ingress.controller,
      service: {
        type: settings.ingress.serviceType,
        annotations: settings.ingress.serviceAnnotations,
        ...(settings.ingress.nodePorts !== undefined ? { nodePorts: settings.ingress.nodePorts } : {}),
      },
    },
    secrets: secretsBackend(config, stack, aws),
  };
}

/** The AWS partition of a region: ARNs in China and GovCloud differ. */
export function awsPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.includes("-gov-")) return "aws-us-gov";
  if (region.includes("-isob-")) return "aws-iso-b";
  if (region.includes("-iso-")) return "aws-iso";
  return "aws";
}

function awsContext(config: PlatformConfig): AwsContext | undefined {
  const { aws, cluster } = config.settings;
  if (aws === undefined) return undefined;
  return {
    accountId: aws.accountId,
    region: aws.region,
    partition: awsPartition(aws.region),
    identity: aws.identity,
    ...(aws.oidcProviderArn !== undefined ? { oidcProviderArn: aws.oidcProviderArn } : {}),
    clusterName: cluster.name,
  };
}

/** Default prefix `idp/<stack>`; default recovery window: the profile's. */
function secretsBackend(
  config: PlatformConfig,
  stack: string,
  aws: AwsContext | undefined,
): ExternalSecretsBackendArgs {
  const secrets = config.settings.secrets;
  if (secrets.backend === "kubernetes") return { kind: "kubernetes" };
  if (aws === undefined) throw new Error("the aws-secrets-manager backend needs idp:aws"); // config rules report it first
  return {
    kind: "aws-secrets-manager",
    aws,
    prefix: secrets.prefix ?? `idp/${stack}`,
    recoveryWindowInDays: secrets.recoveryWindowInDays ?? config.profile.secretRecoveryWindowDays,
    ...(secrets.kmsKeyArn !== undefined ? { kmsKeyArn: secrets.kmsKeyArn } : {}),
  };
}

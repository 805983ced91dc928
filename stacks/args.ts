/**
 * Maps validated stack config plus the environment profile to the typed arguments of `Platform`.
 * Components never see raw config; everything they need arrives here, named and typed.
 */
import { APP_IMAGE_REGISTRY } from "../components/conventions";
import type { AwsContext } from "../components/contracts";
import type { CrossplaneSettings, DatabaseSettings } from "../components/crossplane";
import type { ExternalSecretsBackendArgs } from "../components/external-secrets";
import { platformJsonSchemas } from "../components/crossplane/xrds";
import type { GitHubAuth, GitHubOrganizationArgs } from "../components/github";
import type { EnvironmentFolderArgs } from "../components/github/environment-folder";
import type { SeedingIdentity } from "../components/github/model";
import type { GitOpsSettings, PlatformArgs } from "../components/platform";
import { PORT_API_URLS } from "../components/port";
import type { Mirror } from "../components/versions";
import type { DnsProvider } from "../components/dns";
import type { CsiDriver } from "../components/storage";
import type { RunnersSettings } from "../components/runners";
import type { PlatformConfig } from "./config";
import { databaseMode } from "./schema";
import { profileFor, type ProfileName } from "./profiles";

export function toPlatformArgs(config: PlatformConfig, stack: string): PlatformArgs {
  const { settings, profile } = config;
  const aws = awsContext(config);
  const port = portSettingsFrom(config);
  const dns = dnsProviderFrom(config);
  const storage = storageSettingsFrom(config, aws);
  const mirror = settings.mirror;
  return {
    stack,
    ...(mirror !== undefined ? { mirror: mirrorFrom(mirror) } : {}),
    profile,
    domain: settings.domain,
    clusterName: settings.cluster.name,
    githubOwner: settings.github.owner,
    // --- Cluster foundations ---
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
    ...(settings.github.packagesReader !== undefined
      ? {
          registry: {
            server: APP_IMAGE_REGISTRY,
            username: settings.github.packagesReader,
            // parseConfig requires the token whenever idp:github.packagesReader is set.
            token: config.secrets.githubPackagesToken!,
          },
        }
      : {}),
    // --- Crossplane ---
    crossplane: crossplaneSettingsFrom(config),
    // --- Runners ---
    ...(settings.runners !== undefined ? { runners: runnersSettingsFrom(config)! } : {}),
    // --- GitHub organization ---
    github: githubArgsFrom(config, stack),
    // --- GitOps ---
    gitOps: gitOpsSettingsFrom(config),
    ...(dns !== undefined ? { dns } : {}),
    ...(storage !== undefined ? { storage } : {}),
    ...(settings.workloadClusters.length > 0 ? { workloadClusters: settings.workloadClusters } : {}),
    // --- Portals ---
    ...(port !== undefined ? { port } : {}),
  };
}

/** ExternalDNS's provider from config, or undefined without idp:dns (parseConfig has checked it). */
export function dnsProviderFrom(config: PlatformConfig): DnsProvider | undefined {
  const { settings, secrets } = config;
  const dns = settings.dns;
  if (dns?.route53 !== undefined) {
    const hostedZoneId = dns.route53.hostedZoneId ?? settings.tls.dns01?.route53.hostedZoneId;
    if (hostedZoneId === undefined) throw new Error("idp:dns.route53.hostedZoneId is required");
    return { kind: "route53", hostedZoneId };
  }
  if (dns?.rfc2136 !== undefined) {
    const tsigSecret = secrets.dnsTsigSecret;
    if (tsigSecret === undefined) throw new Error("idp:dnsTsigSecret is required by idp:dns.rfc2136");
    const { host, port, zone, tsigKeyName, tsigAlgorithm } = dns.rfc2136;
    return {
      kind: "rfc2136",
      host,
      port,
      zone: zone ?? settings.domain,
      tsigKeyName,
      tsigAlgorithm,
      tsigSecret,
    };
  }
  return undefined;
}

/** The storage part from config, or undefined without idp:storage (parseConfig has checked it). */
export function storageSettingsFrom(
  config: PlatformConfig,
  aws: AwsContext | undefined,
): PlatformArgs["storage"] {
  const storage = config.settings.storage;
  if (storage === undefined) return undefined;
  let csi: CsiDriver | undefined;
  if (storage.csi === "aws-ebs") {
    if (aws === undefined) throw new Error("idp:storage.csi aws-ebs needs idp:aws");
    csi = { kind: "aws-ebs", aws };
  } else if (storage.csi === "openstack-cinder") {
    const cloudConfig = config.secrets.openstackCloudConfig;
    if (cloudConfig === undefined) throw new Error("idp:openstackCloudConfig is required by idp:storage.csi");
    csi = { kind: "openstack-cinder", cloudConfig };
  }
  return {
    ...(csi !== undefined ? { csi } : {}),
    ...(storage.rook !== undefined ? { rook: storage.rook } : {}),
  };
}

/** Each kind's mirror prefix: its own when set, else the registry. */
export function mirrorFrom(mirror: NonNullable<PlatformConfig["settings"]["mirror"]>): Mirror {
  return {
    images: mirror.images ?? mirror.registry,
    charts: mirror.charts ?? mirror.registry,
    packages: mirror.packages ?? mirror.registry,
    schemaHeroPlugins: mirror.schemaHeroPlugins ?? mirror.registry,
  };
}

/** Port's API and credentials from config, or undefined without idp:port. */
export function portSettingsFrom(config: PlatformConfig): PlatformArgs["port"] {
  const port = config.settings.port;
  if (port === undefined) return undefined;
  const clientSecret = config.secrets.portClientSecret;
  // parseConfig requires the secret whenever idp:port is set.
  if (clientSecret === undefined) throw new Error("idp:portClientSecret is required by idp:port");
  return {
    region: port.region,
    clientId: port.clientId,
    clientSecret,
    exporter: port.exporter,
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

// --- runners --------------------------------------------------------------------------

/**
 * The runners' arguments from config, or undefined when the stack has no `idp:runners`. Scale set
 * bounds come from the profile where config leaves them out: maxRunners defaults to the profile's bound,
 * minRunners to the profile's minimum (never above maxRunners), the runner group to the cluster's name.
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
    scaleSets: runners.scaleSets.map((scaleSet) => {
      const maxRunners = scaleSet.maxRunners ?? profile.runners.maxRunners;
      return {
        name: scaleSet.name,
        // A group of this environment's own: see components/runners.ts, "Routing".
        runnerGroup: scaleSet.runnerGroup ?? settings.cluster.name,
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

// --- Crossplane -----------------------------------------------------------------------

export function crossplaneSettingsFrom(config: PlatformConfig): CrossplaneSettings {
  const { settings, profile } = config;
  const aws = awsContext(config);
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

// --- GitHub organization (components/github.ts) ---------------------------------------------------

/** The repositories every stack refers to, and the organization objects only the seeding stack owns. */
export function githubArgsFrom(config: PlatformConfig, stack: string): PlatformArgs["github"] {
  const { settings, profile, secrets } = config;
  const gh = settings.github;
  const port = portSettingsFrom(config);
  const repositories = {
    managementRepository: gh.managementRepository,
    templateRepository: gh.templateRepository,
  };
  const auth: GitHubAuth =
    gh.auth === "app"
      ? {
          kind: "app",
          appId: gh.appId!,
          installationId: gh.installationId!,
          privateKey: secrets.githubAppPrivateKey!,
        }
      : { kind: "token", token: secrets.githubToken! };
  // Every stack writes its own environment's folder, with its own identity.
  const environmentFolder: EnvironmentFolderArgs = {
    stack,
    auth,
    layout: {
      owner: gh.owner,
      managementRepository: gh.managementRepository,
      environment: { name: stack, domain: settings.domain, profile },
      firstEnvironment: gh.environments[0]!,
      teams: settings.teams.map((team) => ({ slug: team.slug, name: team.name ?? team.slug })),
      apps: settings.apps.map((app) => ({ name: app.name, team: app.team, database: app.database })),
    },
  };
  if (!gh.manageOrganization) return { ...repositories, environmentFolder };
  // Validation guarantees a domain (and a profile) for every environment but this stack's own.
  const environments = gh.environments.map((env) => {
    if (env === stack) return { name: env, domain: settings.domain, profile };
    const other = gh.environmentSettings[env]!;
    return { name: env, domain: other.domain, profile: profileFor(other.profile ?? (env as ProfileName)) };
  });
  const organization: GitHubOrganizationArgs = {
    owner: gh.owner,
    stack,
    auth,
    // The other environments' stacks write their own folders: each one's identity may bypass the ruleset.
    otherSeedingIdentities: gh.environments
      .filter((env) => env !== stack)
      .map((env): SeedingIdentity => {
        const appId = gh.environmentSettings[env]?.appId;
        return appId !== undefined ? { kind: "app", appId } : { kind: "token" };
      }),
    ...repositories,
    repositoryVisibility: gh.repositoryVisibility,
    teams: settings.teams.map((team) => ({
      slug: team.slug,
      name: team.name ?? team.slug,
      ...(team.description !== undefined ? { description: team.description } : {}),
      platformAdmin: team.platformAdmin,
      maintainers: team.maintainers,
      members: team.members,
    })),
    apps: settings.apps.map((app) => ({ name: app.name, team: app.team, database: app.database })),
    environments,
    // The validate workflow checks App and SQLDatabase resources against the XRDs' schemas.
    resourceSchemas: platformJsonSchemas({
      domains: [
        settings.domain,
        ...environments.filter((env) => env.name !== stack).map((env) => env.domain),
      ],
      replicas: profile.appReplicas,
    }),
    selfServiceApp: {
      clientId: gh.selfServiceAppClientId!,
      privateKey: secrets.githubSelfServiceAppPrivateKey!,
    },
    deliveryApp: { clientId: gh.deliveryAppClientId!, privateKey: secrets.githubDeliveryAppPrivateKey! },
    ...(port !== undefined
      ? {
          port: {
            apiUrl: PORT_API_URLS[port.region],
            clientId: port.clientId,
            clientSecret: port.clientSecret,
          },
        }
      : {}),
  };
  return { ...repositories, organization, environmentFolder };
}

// --- GitOps ------------------------------------------------------------------------------

/** Argo CD and SchemaHero from config: the same team list the GitHub part creates. */
export function gitOpsSettingsFrom(config: PlatformConfig): GitOpsSettings {
  const { settings, secrets } = config;
  const sso = settings.argocd.sso;
  const clientSecret = secrets.argocdDexClientSecret;
  // parseConfig requires the secret whenever idp:argocd.sso is set.
  if (sso !== undefined && clientSecret === undefined) {
    throw new Error("idp:argocdDexClientSecret is required by idp:argocd.sso");
  }
  const { pluginRegistry, pluginTag } = settings.schemahero;
  return {
    teams: settings.teams.map((team) => ({ slug: team.slug, platformAdmin: team.platformAdmin })),
    apps: settings.apps.map((app) => ({ name: app.name, team: app.team })),
    ...(sso !== undefined && clientSecret !== undefined
      ? { sso: { clientId: sso.clientId, clientSecret } }
      : {}),
    webhook: settings.argocd.webhook,
    schemaHero: {
      ...(pluginRegistry !== undefined ? { pluginRegistry } : {}),
      ...(pluginTag !== undefined ? { pluginTag } : {}),
    },
  };
}
// --- end GitOps -------------------------------------------------------------------------------------

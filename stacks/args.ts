/**
 * Maps validated stack config plus the environment profile to the typed arguments of `Platform`.
 * Components never see raw config; everything they need arrives here, named and typed.
 */
import type { GitHubAuth, GitHubOrganizationArgs } from "../components/github";
import type { PlatformArgs } from "../components/platform";
import type { PlatformConfig } from "./config";
import { profileFor, type ProfileName } from "./profiles";

export function toPlatformArgs(config: PlatformConfig, stack: string): PlatformArgs {
  const { settings, profile } = config;
  return {
    stack,
    profile,
    domain: settings.domain,
    clusterName: settings.cluster.name,
    githubOwner: settings.github.owner,
    github: githubArgsFrom(config, stack),
  };
}

// --- GitHub organization (components/github.ts) ---------------------------------------------------

/** The repositories every stack refers to, and the organization objects only the seeding stack owns. */
export function githubArgsFrom(config: PlatformConfig, stack: string): PlatformArgs["github"] {
  const { settings, profile, secrets } = config;
  const gh = settings.github;
  const repositories = {
    managementRepository: gh.managementRepository,
    templateRepository: gh.templateRepository,
  };
  if (!gh.manageOrganization) return repositories;
  const auth: GitHubAuth =
    gh.auth === "app"
      ? {
          kind: "app",
          appId: gh.appId!,
          installationId: gh.installationId!,
          privateKey: secrets.githubAppPrivateKey!,
        }
      : { kind: "token", token: secrets.githubToken! };
  const organization: GitHubOrganizationArgs = {
    owner: gh.owner,
    stack,
    auth,
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
    // Validation guarantees a domain (and a profile) for every environment but this stack's own.
    environments: gh.environments.map((env) => {
      if (env === stack) return { name: env, domain: settings.domain, profile };
      const other = gh.environmentSettings[env]!;
      return { name: env, domain: other.domain, profile: profileFor(other.profile ?? (env as ProfileName)) };
    }),
    selfServiceApp: {
      clientId: gh.selfServiceAppClientId!,
      privateKey: secrets.githubSelfServiceAppPrivateKey!,
    },
    deliveryApp: { clientId: gh.deliveryAppClientId!, privateKey: secrets.githubDeliveryAppPrivateKey! },
  };
  return { ...repositories, organization };
}

/**
 * Entry point, and the only module that reads configuration.
 *
 * Pulumi's Node.js host calls the exported function and turns its result into stack outputs. The
 * offline synth and the tests call the same function under mocks. Config is validated before any
 * resource is created: bad input stops the run with one line per problem and no stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as github from "@pulumi/github";
import * as kubernetes from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as time from "@pulumiverse/time";
import { NodejsDynamicProvider } from "./components/github/repository-seed";
import { Platform } from "./components/platform";
import { toPlatformArgs } from "./stacks/args";
import { ConfigError, parseConfig, type PlatformConfig, type RawStackConfig } from "./stacks/config";
import { platformVersions } from "./stacks/platform-versions";
import { secretKeys } from "./stacks/schema";

/** Reads every config value once, with which of them are secrets. */
function readStackConfig(): RawStackConfig {
  const values = pulumi.runtime.allConfig();
  // `isConfigSecret` is not in the SDK's typings; without it, trust that secret keys were set as secrets.
  const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean })
    .isConfigSecret;
  const secret = Object.keys(values).filter((key) =>
    isSecret !== undefined ? isSecret(key) : key.split(":")[1]! in secretKeys,
  );
  return { stack: pulumi.getStack(), values, secretKeys: new Set(secret) };
}

function loadConfig(): PlatformConfig {
  try {
    return parseConfig(readStackConfig());
  } catch (error) {
    // RunError ends the program cleanly: the message only, no stack trace, nothing registered.
    if (error instanceof ConfigError) throw new pulumi.RunError(error.message);
    throw error;
  }
}

/** Explicit providers: every resource uses one of these, never an ambient default. */
function createProviders(config: PlatformConfig, stack: string) {
  const { settings, secrets } = config;
  const cluster = new kubernetes.Provider("idp-cluster", {
    ...(settings.cluster.kubeconfig !== undefined ? { kubeconfig: settings.cluster.kubeconfig } : {}),
    ...(settings.cluster.kubeContext !== undefined ? { context: settings.cluster.kubeContext } : {}),
    // Which cluster this is, as the stack names it: pointing the stack at another cluster (another name
    // or context) replaces the provider, so the preview shows every Kubernetes resource being replaced
    // instead of an in-place update; credential and endpoint changes of the same cluster stay updates
    // (pulumi-kubernetes provider.go DiffConfig).
    clusterIdentifier: clusterIdentifier(settings.cluster),
    enableServerSideApply: true,
    deleteUnreachable: false,
  });
  const gh = settings.github;
  const githubProvider = new github.Provider("idp-github", {
    owner: gh.owner,
    ...(gh.auth === "app"
      ? {
          appAuth: {
            id: String(gh.appId),
            installationId: String(gh.installationId),
            pemFile: secrets.githubAppPrivateKey!,
          },
        }
      : { token: secrets.githubToken! }),
  });
  const awsProvider =
    settings.aws === undefined
      ? undefined
      : new aws.Provider("idp-aws", {
          region: settings.aws.region as aws.Region,
          allowedAccountIds: [settings.aws.accountId],
          defaultTags: {
            tags: { "idp:stack": stack, "idp:cluster": settings.cluster.name, "managed-by": "pulumi" },
          },
        });
  // Dynamic resources (the GitHub seeding commits) run in the Node.js dynamic-provider host.
  const dynamic = new NodejsDynamicProvider("idp-dynamic");
  // Generated secrets, Argo CD's deploy key and the admin password's change time (no configuration).
  const generated = {
    random: new random.Provider("idp-random"),
    tls: new tls.Provider("idp-tls"),
    time: new time.Provider("idp-time"),
  };
  return {
    kubernetes: cluster,
    github: githubProvider,
    dynamic,
    ...generated,
    ...(awsProvider ? { aws: awsProvider } : {}),
  };
}

/** `<name>` or `<name>@<kubeContext>`: the Kubernetes provider's notion of which cluster it talks to. */
function clusterIdentifier(cluster: { name: string; kubeContext?: string }): string {
  return cluster.kubeContext === undefined ? cluster.name : `${cluster.name}@${cluster.kubeContext}`;
}

function main() {
  const config = loadConfig();
  const stack = pulumi.getStack();
  const providers = createProviders(config, stack);
  const platform = new Platform("idp", toPlatformArgs(config, stack), {
    providers: Object.values(providers),
  });
  return {
    profile: config.profile.name,
    domain: config.settings.domain,
    cluster: config.settings.cluster.name,
    githubOrganization: `https://github.com/${config.settings.github.owner}`,
    clusterIssuer: platform.clusterIssuer,
    ingress: platform.ingress.kind,
    secretStore: platform.secrets.store.name,
    managementRepository: platform.managementRepositoryUrl,
    templateRepository: platform.templateRepositoryUrl,
    requestAnApp: platform.createAppUrl,
    argocd: platform.argocdUrl,
    argocdLogin: platform.argocdLogin,
    nextSteps: platform.nextSteps,
    // Promotion (stacks/promotion.ts): what this stack runs, so the next stage can be checked against it.
    platformVersions: platformVersions(),
  };
}

export = main;

/**
 * The stack configuration schema: every `idp:*` key, its type, default and meaning.
 *
 * This file is the single source of truth. `Pulumi.yaml` declares the same top-level keys (a test keeps
 * them in step) and `docs/config-reference.md` is generated from it (`npm run docs:config`).
 * Objects are strict: an unknown key anywhere is an error, so a typo cannot pass silently.
 */
import { z } from "zod";
import { PROFILE_NAMES, PROFILES, profileFor } from "./profiles";
import { runnerGroupProblem, runnerLabelProblem } from "../components/runners";
import { PLATFORM_HOST_LABELS } from "../components/conventions";

/** The Pulumi project name, and so the config namespace of every key below. */
export const PROJECT = "idp";

// ---------------------------------------------------------------------------------------------
// Reusable value types. Messages say what a valid value looks like; the config loader adds the key
// and the command that fixes it.

export const dnsName = z
  .string()
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/,
    "must be a lowercase DNS name with at least two labels, such as dev.idp.example.com",
  );

/** RFC 1123 label: Kubernetes object names, GitHub team slugs, repository-safe names. */
export const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    "must be a lowercase name of letters, digits and '-' (at most 63), starting and ending alphanumeric",
  );

export const githubLogin = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/,
    "must be a GitHub login: letters, digits and single hyphens, at most 39 characters",
  );

/** Client ID of a GitHub App (its settings page, "About"), e.g. `Iv1.` plus 16 hex digits or `Iv23` plus 16 characters. */
export const githubAppClientId = z
  .string()
  .regex(
    /^Iv[A-Za-z0-9.]{10,40}$/,
    "must be a GitHub App client ID, which starts with Iv, such as Iv23liABCDEFGH123456 (the App's settings page, About)",
  );

export const awsAccountId = z
  .string()
  .regex(/^\d{12}$/, 'must be a 12-digit AWS account id, quoted in YAML ("123456789012")');

export const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "must be an AWS region such as eu-west-1");

export const iamOidcProviderArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/,
    "must be the ARN of the cluster's IAM OIDC provider (arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>)",
  );

// ---------------------------------------------------------------------------------------------
// Sections.

const clusterSchema = z
  .strictObject({
    name: dnsLabel.meta({
      description:
        "Name of the cluster. Used in resource names and tags; for EKS Pod Identity it must be the EKS cluster name.",
      examples: ["idp-dev"],
    }),
    kubeContext: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          "kubeconfig context Pulumi deploys to. Default: the kubeconfig's current context. Set it: a wrong current context must not deploy a platform.",
        examples: ["kind-idp"],
      }),
    kubeconfig: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          "Path of the kubeconfig file Pulumi reads. Default: $KUBECONFIG, else ~/.kube/config (as kubectl). CI writes the stack's cluster credentials there (docs/runbooks/ci.md).",
        examples: ["~/.kube/idp-prod"],
      }),
  })
  .meta({ description: "The existing Kubernetes cluster the platform is installed onto." });

const awsSchema = z
  .strictObject({
    region: awsRegion.meta({
      description: "AWS region of the cluster and its secrets.",
      examples: ["eu-west-1"],
    }),
    accountId: awsAccountId.meta({
      description: "AWS account id. The AWS provider refuses any other account (allowedAccountIds).",
      examples: ["123456789012"],
    }),
    identity: z
      .enum(["pod-identity", "irsa"])
      .default("pod-identity")
      .meta({
        description:
          "How platform service accounts assume IAM roles: EKS Pod Identity (default) or IRSA through the cluster's OIDC provider.",
        examples: ["pod-identity"],
      }),
    oidcProviderArn: iamOidcProviderArn.optional().meta({
      description: "ARN of the cluster's IAM OIDC provider. Required when identity is irsa.",
      examples: [
        "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
      ],
    }),
  })
  .superRefine((aws, ctx) => {
    if (aws.identity === "irsa" && aws.oidcProviderArn === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["oidcProviderArn"],
        message: "is required when idp:aws.identity is irsa (or set identity to pod-identity)",
      });
    }
  })
  .meta({
    description: "AWS account and identity wiring. Omit for stacks that need no AWS (the local dev profile).",
  });

// --- GitHub organization seeding (components/github.ts) -------------------------------------

/** How the seeding stack renders another environment's folder of the management repository. */
const environmentSettingsSchema = z
  .strictObject({
    domain: dnsName.meta({
      description: "Base DNS domain of that environment (its idp:domain): app hosts are <app>.<domain>.",
      examples: ["staging.idp.example.com"],
    }),
    profile: z
      .enum(PROFILE_NAMES)
      .optional()
      .meta({
        description:
          "Profile of that environment (its idp:profile): Argo CD sync policy of its folder. Default: the profile named like the environment.",
        examples: ["staging"],
      }),
    appId: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({
        description:
          "The GitHub App that environment's stack authenticates with (its idp:github.appId), when its idp:github.auth is app: that stack writes its own folder of the management repository, so the repository's ruleset lets that App bypass it. Unset: that stack uses a token, and organization admins may bypass.",
        examples: [1234567],
      }),
  })
  .meta({ description: "One environment of the management repository, as its own stack configures it." });

const githubSeedingShape = {
  selfServiceAppClientId: githubAppClientId.optional().meta({
    description:
      "Client ID of the self-service GitHub App: the create-app workflow uses it to create repositories from the template, grant teams access and open pull requests. Required when manageOrganization is true; its key is the secret idp:githubSelfServiceAppPrivateKey.",
    examples: ["Iv23liEXAMPLE0000001"],
  }),
  deliveryAppClientId: githubAppClientId.optional().meta({
    description:
      "Client ID of the delivery GitHub App: app pipelines use it to open image-bump pull requests on the management repository (install it on that repository only, with contents and pull requests write). Required when manageOrganization is true; its key is the secret idp:githubDeliveryAppPrivateKey.",
    examples: ["Iv23liEXAMPLE0000002"],
  }),
  repositoryVisibility: z.enum(["private", "internal"]).default("private").meta({
    description:
      "Visibility of the template and app repositories (internal needs GitHub Enterprise). The management repository is always private.",
  }),
  environmentSettings: z.record(dnsLabel, environmentSettingsSchema).default({}).meta({
    description:
      "Domain, profile and GitHub App of every environment in environments other than this stack's own, keyed by environment: the seeding stack (manageOrganization) renders their skeletons with them and lets their stacks' identities write their own folders of the management repository. Each entry: domain (that stack's idp:domain), optional profile (its idp:profile; default the profile named like the environment) and appId (its idp:github.appId when it uses app auth).",
  }),
} as const;

const githubSchema = z
  .strictObject({
    owner: githubLogin.meta({
      description:
        "The GitHub organization the platform seeds. Always explicit: never inferred from a token.",
      examples: ["acme-platform"],
    }),
    auth: z
      .enum(["app", "token"])
      .default("app")
      .meta({
        description:
          "How Pulumi authenticates to GitHub: a GitHub App installation (default; needs appId, installationId and the secret idp:githubAppPrivateKey) or a token (secret idp:githubToken).",
        examples: ["app"],
      }),
    appId: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "GitHub App id. Required when auth is app.", examples: [123456] }),
    installationId: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({
        description: "Installation id of the GitHub App on the organization. Required when auth is app.",
        examples: [45678901],
      }),
    packagesReader: githubLogin.optional().meta({
      description:
        "Login of the machine user whose classic token (secret idp:githubPackagesToken, only the scope read:packages) the cluster pulls the apps' private GHCR images with: every team namespace gets it as the Secret registry-pull, through its own secret store, and Apps name it. The user needs read access to the app repositories (their packages inherit it). Unset: the apps' packages must be public.",
      examples: ["acme-platform-bot"],
    }),
    manageOrganization: z.boolean().default(false).meta({
      description:
        "This stack creates and owns the organization-wide GitHub objects (teams, management and template repositories, rulesets, organization secrets, app repositories, seeded content of every environment). Exactly one stack sets it: dev, the first in promotion order. The other stacks only add their environment's webhook and deploy key to the management repository.",
    }),
    managementRepository: dnsLabel
      .default("platform-management")
      .meta({ description: "Name of the management repository: the GitOps source of truth Argo CD syncs." }),
    templateRepository: dnsLabel
      .default("app-template")
      .meta({ description: "Name of the application template repository new apps are created from." }),
    environments: z.array(dnsLabel).min(1).default(["dev", "staging", "prod"]).meta({
      description:
        "Environments with a folder in the management repository (environments/<name>/). Each stack's name must be one of them.",
    }),
    // --- GitHub organization seeding (components/github.ts) ---------------------------------
    ...githubSeedingShape,
  })
  .superRefine((gh, ctx) => {
    if (gh.manageOrganization) {
      for (const key of ["selfServiceAppClientId", "deliveryAppClientId"] as const) {
        if (gh[key] === undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: "is required when idp:github.manageOrganization is true",
          });
        }
      }
    }
    if (gh.auth !== "app") return;
    for (const key of ["appId", "installationId"] as const) {
      if (gh[key] === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: "is required when idp:github.auth is app" });
      }
    }
  })
  .meta({ description: "The GitHub organization and how Pulumi authenticates to it." });

const teamSchema = z
  .strictObject({
    slug: dnsLabel
      .max(
        40,
        "must be at most 40 characters: it also names the team's namespaces (team-<slug>, idp-secrets-team-<slug>)",
      )
      .meta({
        description:
          "GitHub team slug (at most 40 characters); also names the team's namespace (team-<slug>), its secrets namespace and store, and its Argo CD project.",
        examples: ["my-team"],
      }),
    name: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          "Display name of the GitHub team. Default: the slug. GitHub derives the slug from the name, so the name must reduce to the slug (Payments for payments).",
        examples: ["My Team"],
      }),
    description: z.string().optional().meta({ description: "Team description on GitHub." }),
    platformAdmin: z.boolean().default(false).meta({
      description:
        "Platform administrators: Argo CD admin role, code owners of the management repository. At least one team.",
    }),
    maintainers: z.array(githubLogin).default([]).meta({
      description: "GitHub logins made team maintainers. Omit to manage membership outside Pulumi.",
    }),
    members: z
      .array(githubLogin)
      .default([])
      .meta({ description: "GitHub logins made team members. Omit to manage membership outside Pulumi." }),
  })
  .meta({ description: "A team." });

const appSchema = z
  .strictObject({
    name: dnsLabel
      .refine((name) => !(PLATFORM_HOST_LABELS as readonly string[]).includes(name), {
        message: `names a platform service's host (${PLATFORM_HOST_LABELS.join(", ")}.<domain>); choose another name`,
      })
      .meta({
        description: "Application name: its repository, its host (<name>.<domain>) and its App resource.",
        examples: ["my-app"],
      }),
    team: dnsLabel.meta({
      description: "Slug of the owning team (one of idp:teams).",
      examples: ["my-team"],
    }),
    database: z
      .boolean()
      .default(false)
      .meta({ description: "Give the app a Postgres SQLDatabase (and SchemaHero tables)." }),
  })
  .meta({
    description:
      "An application the platform bootstraps: repository from the template, App resource, catalog entry.",
  });

// --- runners: self-hosted GitHub Actions runners (Actions Runner Controller) ---------

/** Kubernetes resource quantity (CPU, memory, storage). */
export const kubernetesQuantity = z
  .string()
  .regex(
    /^\d+(\.\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/,
    "must be a Kubernetes quantity such as 500m, 2 or 4Gi",
  );

const QUANTITY_FACTORS: Readonly<Record<string, number>> = {
  "": 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity that `kubernetesQuantity` accepted, in base units (cores, bytes). */
export function quantityValue(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(quantity);
  const factor = match ? QUANTITY_FACTORS[match[2]!] : undefined;
  if (!match || factor === undefined) throw new Error(`not a Kubernetes quantity: ${quantity}`);
  return Number(match[1]) * factor;
}

/** An IPv4 or IPv6 CIDR. */
export const cidr = z
  .string()
  .regex(
    /^((25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)|[0-9a-fA-F:]*:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|\d?\d))$/,
    "must be a CIDR such as 172.18.0.0/16 or fd00:10::/64",
  );

/**
 * Widest prefix accepted for an API server CIDR: the endpoints are a few addresses (on EKS, network
 * interfaces in the control plane's subnets), never a whole VPC.
 */
export const API_SERVER_CIDR_MAX_WIDTH = { ipv4: 20, ipv6: 116 } as const;

/** The prefix length of a CIDR that is wider than `API_SERVER_CIDR_MAX_WIDTH` allows, else undefined. */
export function apiServerRangeTooWide(range: string): number | undefined {
  const prefix = Number(range.split("/")[1]);
  const limit = range.includes(":") ? API_SERVER_CIDR_MAX_WIDTH.ipv6 : API_SERVER_CIDR_MAX_WIDTH.ipv4;
  return prefix < limit ? prefix : undefined;
}

const resourceListSchema = z.strictObject({
  cpu: kubernetesQuantity.optional().meta({ description: "CPU in cores or millicores.", examples: ["1"] }),
  memory: kubernetesQuantity.optional().meta({ description: "Memory in bytes.", examples: ["4Gi"] }),
});

const runnerResourcesSchema = z
  .strictObject({
    requests: resourceListSchema.optional().meta({ description: "What the scheduler reserves." }),
    limits: resourceListSchema.optional().meta({ description: "What the container may use at most." }),
  })
  .superRefine((resources, ctx) => {
    for (const kind of ["cpu", "memory"] as const) {
      const request = resources.requests?.[kind];
      const limit = resources.limits?.[kind];
      if (request === undefined || limit === undefined) continue;
      if (!kubernetesQuantity.safeParse(request).success || !kubernetesQuantity.safeParse(limit).success)
        continue;
      if (quantityValue(limit) < quantityValue(request)) {
        ctx.addIssue({
          code: "custom",
          path: ["limits", kind],
          message: `is ${limit}, below the request of ${request}; a limit must be at least the request`,
        });
      }
    }
  });

/** ARC refuses scale set names longer than this (the chart fails to render). */
export const MAX_SCALE_SET_NAME_LENGTH = 45;

const runnerScaleSetSchema = z
  .strictObject({
    name: dnsLabel
      .max(
        MAX_SCALE_SET_NAME_LENGTH,
        `must be at most ${MAX_SCALE_SET_NAME_LENGTH} characters (ARC's limit on a runner scale set name)`,
      )
      .meta({
        description:
          "Name of the runner scale set: what workflows ask for with `runs-on: <name>`, the Helm release and the runners' pod names.",
        examples: ["idp-linux"],
      }),
    runnerGroup: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          "Organization runner group the scale set joins. Default: the cluster's name (idp:cluster.name). The stack creates every group its scale sets name (visible to the organization's private and internal repositories), so one environment's runners never share a group with another's; GitHub's shared Default group is refused. Workflows select a scale set with `runs-on: { group: <group>, labels: [<name>] }` (the stack output runsOn).",
        examples: ["idp-dev"],
      }),
    labels: z
      .array(
        z
          .string()
          .min(1, "must not be empty")
          .max(255, "must be shorter than 256 characters (ARC's limit on a scale set label)")
          .meta({ examples: ["idp-dev-gpu"] }),
      )
      .default([])
      .meta({
        description:
          "Extra labels of the scale set (ARC's runnerScaleSetLabels) that `runs-on` may name besides the scale set's name. None that any environment's runners could carry (self-hosted, linux, x64, ubuntu-24.04, ...): GitHub may send a job asking for those to another environment's runners.",
        examples: [["idp-dev-gpu"]],
      }),
    minRunners: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({
        description:
          "Idle runners kept warm. Default: the profile's runners.minRunners (at most maxRunners). It must not exceed maxRunners.",
        examples: [1],
      }),
    maxRunners: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({
        description:
          "Most runners at once. Default, and upper bound: the profile's runners.maxRunners (dev 2, staging 10, prod 30).",
        examples: [2],
      }),
    resources: runnerResourcesSchema
      .default({ requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "4Gi" } })
      .meta({
        description:
          "Requests and limits of the runner container (with containerMode dind, also of its Docker daemon, where job containers run).",
      }),
    containerMode: z
      .enum(["kubernetes", "dind"])
      .default("kubernetes")
      .meta({
        description:
          "How jobs run containers. kubernetes (default): each job runs in its own pod through the runner's container hooks; no privileged pods, jobs need a `container:`. dind: a privileged Docker daemon beside the runner, for jobs that need `docker build`/`docker run`; an explicit opt-in that preview warns about and that moves the scale set into a namespace enforcing only the privileged Pod Security level.",
        examples: ["kubernetes"],
      }),
    workVolumeSize: kubernetesQuantity.default("10Gi").meta({
      description:
        "Most disk a runner's work directory may use in kubernetes mode (an emptyDir with this size limit); the job's pod, in the jobs namespace, has its own.",
      examples: ["10Gi"],
    }),
  })
  .meta({ description: "An organization-level runner scale set." });

const runnersSchema = z
  .strictObject({
    appId: z
      .number()
      .int()
      .positive()
      .meta({
        description:
          "Id of the GitHub App the runner controller authenticates as. Use a dedicated App with only the organization permission Self-hosted runners (read and write) and the mandatory repository permission Metadata (read-only), installed on the organization; its private key is the secret idp:runnersGithubAppPrivateKey.",
        examples: [2345678],
      }),
    installationId: z
      .number()
      .int()
      .positive()
      .meta({
        description: "Installation id of that App on the organization.",
        examples: [98765432],
      }),
    apiServerCidrs: z.array(cidr.meta({ examples: ["172.18.0.2/32"] })).meta({
      description:
        "At least one CIDR where pods reach the Kubernetes API server after Service translation (`kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`): the runners' and the controller's NetworkPolicies allow egress there on ports 443 and 6443, and otherwise only DNS and HTTPS to public addresses.",
      examples: [["172.18.0.2/32"]],
    }),
    scaleSets: z
      .array(runnerScaleSetSchema)
      .meta({ description: "The organization's runner scale sets; at least one." }),
  })
  .superRefine((runners, ctx) => {
    // Reported on the first element, so that the fix names a field to set rather than a whole list.
    if (runners.apiServerCidrs.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["apiServerCidrs", 0],
        message:
          "is required: the NetworkPolicies let ARC reach the Kubernetes API server only at the listed CIDRs",
      });
    }
    runners.apiServerCidrs.forEach((range, index) => {
      const width = apiServerRangeTooWide(range);
      if (width !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["apiServerCidrs", index],
          message: `is a /${width}, wider than the API server's endpoints need (at most /${API_SERVER_CIDR_MAX_WIDTH.ipv4} for IPv4, /${API_SERVER_CIDR_MAX_WIDTH.ipv6} for IPv6): runner pods could reach anything in it on 443 and 6443. List the endpoints' addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes) as /32s, or on EKS the CIDRs of the subnets the control plane's network interfaces are in (aws eks describe-cluster: resourcesVpcConfig.subnetIds)`,
        });
      }
    });
    if (runners.scaleSets.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["scaleSets", 0, "name"],
        message: "is required: idp:runners must list at least one scale set (or remove idp:runners)",
      });
    }
  })
  .meta({
    description:
      "Self-hosted GitHub Actions runners on the platform cluster (Actions Runner Controller). Omit for a stack without runners.",
  });

/** Reports each item whose key repeats an earlier one's, at `<path>[index].<field>`. */
function reportRepeats<T>(
  items: readonly T[],
  key: (item: T) => string,
  at: { readonly path: readonly (string | number)[]; readonly field: string; readonly noun: string },
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const value = key(item);
    if (seen.has(value)) {
      ctx.addIssue({
        code: "custom",
        path: [...at.path, index, at.field],
        message: `repeats the ${at.noun} "${value}"`,
        params: { fix: `${value}-2` },
      });
    }
    seen.add(value);
  });
}

/** Runner bounds that span keys: scale set names are unique, min ≤ max ≤ the profile's bound. */
function runnersRules(settings: z.infer<z.ZodObject<typeof settingsShape>>, ctx: z.RefinementCtx): void {
  if (settings.runners === undefined) return;
  const bounds = PROFILES[settings.profile].runners;
  reportRepeats(
    settings.runners.scaleSets,
    (s) => s.name,
    { path: ["runners", "scaleSets"], field: "name", noun: "scale set" },
    ctx,
  );
  const cluster = settings.cluster.name;
  settings.runners.scaleSets.forEach((scaleSet, index) => {
    const path = ["runners", "scaleSets", index];
    // Routing (components/runners.ts): fixes name this environment's cluster.
    const groupProblem =
      scaleSet.runnerGroup === undefined ? undefined : runnerGroupProblem(scaleSet.runnerGroup);
    if (groupProblem !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "runnerGroup"],
        message: groupProblem,
        params: { fix: cluster },
      });
    }
    scaleSet.labels.forEach((label, labelIndex) => {
      const labelProblem = runnerLabelProblem(label);
      if (labelProblem !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "labels", labelIndex],
          message: labelProblem,
          params: { fix: `${cluster}-${label.toLowerCase().replace(/[^a-z0-9-]/g, "-")}` },
        });
      }
    });
    const max = scaleSet.maxRunners ?? bounds.maxRunners;
    if (max > bounds.maxRunners) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "maxRunners"],
        message: `is ${max}, above the ${settings.profile} profile's bound of ${bounds.maxRunners} runners per scale set`,
        params: { fix: String(bounds.maxRunners) },
      });
    } else if (scaleSet.minRunners !== undefined && scaleSet.minRunners > max) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "minRunners"],
        params: { fix: String(max) },
        message:
          scaleSet.maxRunners === undefined
            ? `is ${scaleSet.minRunners}, above the ${settings.profile} profile's bound of ${max} runners (maxRunners is not set)`
            : `is ${scaleSet.minRunners}, above maxRunners ${max}`,
      });
    }
  });
}
// --- end runners ------------------------------------------------------------------------------

// --- GitOps: Argo CD and SchemaHero ------------------------------------------------

/** Client ID of a GitHub OAuth App (`Ov23li...`, or 20 hex digits for older Apps) or of a GitHub App (`Iv...`). */
export const githubOAuthClientId = z
  .string()
  .regex(
    /^(Ov[A-Za-z0-9]{10,40}|Iv[A-Za-z0-9.]{10,40}|[0-9a-f]{20})$/,
    "must be the client ID of a GitHub OAuth App, such as Ov23liABCDEFGH123456 (the App's settings page)",
  );

const argocdSchema = z
  .strictObject({
    sso: z
      .strictObject({
        clientId: githubOAuthClientId.meta({
          description:
            "Client ID of the GitHub OAuth App Dex signs users in with (Organization settings, Developer settings, OAuth Apps); its callback URL is https://argocd.<domain>/api/dex/callback and its secret is idp:argocdDexClientSecret.",
          examples: ["Ov23liABCDEFGH123456"],
        }),
      })
      .optional()
      .meta({
        description:
          "Sign-in to Argo CD through Dex with GitHub: only members of the teams in idp:teams get in, with RBAC generated from those teams, and the local admin account is turned off. Omit it (local stacks) to keep the admin account, whose password is generated into the secrets backend.",
      }),
    webhook: z.boolean().default(true).meta({
      description:
        "Create a push webhook from the management repository to https://argocd.<domain>/api/webhook, authenticated by a generated shared secret, so Argo CD syncs at once. Set false where GitHub cannot reach the stack (a local cluster): Argo CD then polls the repository (every 2 to 3 minutes).",
    }),
  })
  .default({ webhook: true })
  .meta({
    description: "Argo CD: how people sign in and how it hears about pushes to the management repository.",
  });

/** A registry host with an optional path, no scheme or tag: `mirror.example.internal/idp`. */
const registryPrefix = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
    "must be a registry host with an optional path, without scheme or tag, such as mirror.example.internal/idp",
  );

const mirrorPrefix = (kind: string) =>
  registryPrefix.optional().meta({
    description: `Where ${kind} come from instead of registry (same layout: <prefix>/<upstream host>/<path>). Default: registry.`,
    examples: ["harbor.example.internal/upstream"],
  });

const mirrorSchema = z
  .strictObject({
    registry: registryPrefix.meta({
      description:
        "The registry (OCI) that serves a copy of everything the stack installs, each upstream location <host>/<path> at <registry>/<host>/<path>: images, Helm charts (as OCI charts, e.g. oci://<registry>/charts.external-secrets.io/external-secrets), Crossplane packages and SchemaHero's plugins. `npm run mirror:list -- <stack>` lists what to copy (docs/mirrors.md).",
      examples: ["mirror.example.internal/idp"],
    }),
    images: mirrorPrefix("container images"),
    charts: mirrorPrefix("Helm charts (OCI)"),
    packages: mirrorPrefix("Crossplane packages (an ImageConfig rewrites their registries)"),
    schemaHeroPlugins: mirrorPrefix("SchemaHero's database driver plugins"),
  })
  .optional()
  .meta({
    description:
      "Air-gapped and mirrored installs: one registry instead of docker.io, ghcr.io, quay.io, registry.k8s.io, xpkg.crossplane.io and the charts' repositories. Omit it: upstream locations.",
  });

const route53HostedZoneId = z
  .string()
  .regex(/^Z[0-9A-Z]{1,31}$/, "must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ");

const dnsSchema = z
  .strictObject({
    route53: z
      .strictObject({
        hostedZoneId: route53HostedZoneId.optional().meta({
          description:
            "Hosted zone of idp:domain; ExternalDNS may change records of this zone only. Default: idp:tls.dns01.route53.hostedZoneId.",
          examples: ["Z0123456789ABCDEFGHIJ"],
        }),
      })
      .optional()
      .meta({ description: "Records in Route53, through the stack's workload identity (needs idp:aws)." }),
    rfc2136: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .meta({
            description: "The authoritative DNS server that accepts dynamic updates (RFC 2136).",
            examples: ["10.0.0.53"],
          }),
        port: z.number().int().min(1).max(65535).default(53).meta({ description: "Its port. Default 53." }),
        zone: dnsName.optional().meta({
          description: "The zone updated. Default: idp:domain.",
          examples: ["idp.example.com"],
        }),
        tsigKeyName: z
          .string()
          .min(1)
          .meta({
            description: "Name of the TSIG key; the key itself is the secret idp:dnsTsigSecret.",
            examples: ["externaldns-key"],
          }),
        tsigAlgorithm: z
          .enum(["hmac-sha256", "hmac-sha384", "hmac-sha512"])
          .default("hmac-sha256")
          .meta({ description: "TSIG algorithm. Default hmac-sha256." }),
      })
      .optional()
      .meta({ description: "Records on a DNS server by dynamic update, signed with a TSIG key." }),
  })
  .optional()
  .meta({
    description:
      "DNS for every host: ExternalDNS publishes a record for each route of the ingress layer (the platform's services and every App), in idp:domain only. Set one provider. Omit it: create the wildcard record *.<domain> by hand (docs/dns.md).",
  });

const storageSchema = z
  .strictObject({
    csi: z
      .enum(["aws-ebs", "openstack-cinder"])
      .optional()
      .meta({
        description:
          "The cloud's CSI driver and its StorageClass: aws-ebs (encrypted gp3, WaitForFirstConsumer; the driver's IAM role through the stack's workload identity, needs idp:aws) or openstack-cinder (cloud.conf from the secret idp:openstackCloudConfig). Default: none, the cluster's default class.",
        examples: ["aws-ebs"],
      }),
    rook: z
      .strictObject({
        nodes: z
          .array(
            z.strictObject({
              name: z
                .string()
                .min(1)
                .meta({
                  description: "The node's kubernetes.io/hostname label.",
                  examples: ["storage-node-1"],
                }),
              devices: z
                .array(
                  z
                    .string()
                    .regex(
                      /^(\/dev\/)?[A-Za-z0-9][A-Za-z0-9/._:-]*$/,
                      "must be a device name such as sdb or /dev/disk/by-id/...",
                    ),
                )
                .min(1)
                .meta({
                  description: "Devices Ceph may consume on it (wiped), e.g. sdb or /dev/disk/by-id/...",
                  examples: [["sdb"]],
                }),
            }),
          )
          .min(1)
          .meta({
            description:
              "Nodes that hold Ceph's data and their devices: listed explicitly, never every device of every node.",
          }),
        replicas: z.number().int().min(1).max(5).default(3).meta({
          description: "Replicas of the block pool (one per host). Default 3.",
        }),
      })
      .optional()
      .meta({
        description:
          "A Rook Ceph cluster (operator, Ceph-CSI drivers, cluster) with one replicated block pool and its StorageClass ceph-block; no filesystem or object store (docs/storage.md).",
      }),
  })
  .optional()
  .meta({
    description:
      "Storage the stack relies on: the class in-cluster Postgres uses comes from here (the CSI driver's, else Rook's). Omit it: the cluster's default StorageClass, as before.",
  });

const workloadClustersSchema = z
  .array(
    z.strictObject({
      name: dnsLabel.meta({
        description: "Name of the cluster: its Argo CD registration and its Crossplane ProviderConfigs.",
        examples: ["prod-eu-1"],
      }),
      server: z
        .string()
        .regex(/^https:\/\/[^\s/]+(\/[^\s]*)?$/, "must be the https URL of the cluster's API server")
        .meta({
          description: "The cluster's API server.",
          examples: ["https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com"],
        }),
      credentialsKey: z
        .string()
        .min(1)
        .meta({
          description:
            "Key in the secrets backend of the cluster's credentials, properties token (a service account token) and caData (the CA certificate, base64 PEM); kept there by the operator, never in Pulumi state (docs/workload-clusters.md).",
          examples: ["idp/prod/clusters/prod-eu-1"],
        }),
      labels: z
        .record(z.string(), z.string())
        .default({})
        .meta({
          description: "Labels on the Argo CD registration (region, tier...).",
          examples: [{ region: "eu-west-1" }],
        }),
    }),
  )
  .default([])
  .meta({
    description:
      "Workload clusters this control plane delivers to: each is registered with Argo CD and gets a provider-kubernetes and provider-helm ClusterProviderConfig, from credentials in the secrets backend; each team's project may deploy to its namespace there. Default none.",
  });

const portSchema = z
  .strictObject({
    clientId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,128}$/, "must be a Port client ID (Port: Settings, Credentials)")
      .meta({
        description:
          "Client ID of the organization's Port account (Port: Settings, Credentials); its secret is idp:portClientSecret. Both go into the secrets backend (the exporter) and, on the stack with idp:github.manageOrganization, into the management repository's port environment (the catalog workflow).",
        examples: ["a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"],
      }),
    region: z
      .enum(["eu", "us"])
      .default("eu")
      .meta({
        description: "Region of the Port account: eu (api.getport.io) or us (api.us.getport.io).",
        examples: ["eu"],
      }),
    exporter: z.boolean().default(true).meta({
      description:
        "Install Port's Kubernetes exporter in this cluster: Argo CD Applications, Apps, their Deployments and SQLDatabases appear in Port as entities of the catalog's runtime blueprints (docs/portals.md).",
    }),
  })
  .optional()
  .meta({
    description:
      "Port, the developer portal: self-service (the create-app action), the catalog loaded from the management repository, and what runs. Omit it: no Port integration (Backstage reads the same catalog).",
  });

/** An OCI repository path without tag, e.g. `registry.example.com/mirror/schemahero/plugin`. */
const ociRepositoryPrefix = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/,
    "must be an OCI repository path without a tag, such as registry.example.com/mirror/schemahero/plugin",
  );

const schemaHeroSchema = z
  .strictObject({
    pluginRegistry: ociRepositoryPrefix.optional().meta({
      description:
        "Where SchemaHero pulls its database driver plugins (ORAS artifacts) from instead of docker.io/schemahero/plugin-<driver>:0. SchemaHero then pulls <pluginRegistry>-<driver>:<pluginTag>-<arch>, e.g. .../plugin-postgres:0-amd64: mirror the plugins there where egress is closed (docs/gitops.md, SchemaHero).",
      examples: ["registry.example.com/mirror/schemahero/plugin"],
    }),
    pluginTag: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/, "must be an OCI tag such as 0 or 0.0.1")
      .optional()
      .meta({
        description:
          "Tag prefix of the mirrored plugins (SchemaHero appends -<arch>). Default: 0, the plugins' major version. Needs pluginRegistry.",
        examples: ["0"],
      }),
  })
  .default({})
  .meta({ description: "SchemaHero: where its database driver plugins come from." });

function gitOpsRules(settings: z.infer<z.ZodObject<typeof settingsShape>>, ctx: z.RefinementCtx): void {
  const schemaHero = settings.schemahero;
  if (schemaHero.pluginTag !== undefined && schemaHero.pluginRegistry === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["schemahero", "pluginRegistry"],
      message:
        "is required by idp:schemahero.pluginTag (SchemaHero's own registry is always read at tag 0), or remove pluginTag",
    });
  }
}
// --- end GitOps -------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Cluster foundations: certificates, the ingress layer, the secrets backend.

export const TLS_ISSUERS = ["self-signed", "letsencrypt-staging", "letsencrypt-production"] as const;
export const INGRESS_CONTROLLERS = ["gateway", "nginx"] as const;
export const SECRETS_BACKENDS = ["kubernetes", "aws-secrets-manager"] as const;

const tlsSchema = z
  .strictObject({
    issuer: z
      .enum(TLS_ISSUERS)
      .default("self-signed")
      .meta({
        description:
          "Default ClusterIssuer of the platform: self-signed (a local root CA and a CA issuer; local stacks), letsencrypt-staging, or letsencrypt-production (prod profile only).",
        examples: ["letsencrypt-staging"],
      }),
    acmeEmail: z
      .email("must be an email address (Let's Encrypt sends expiry notices there)")
      .optional()
      .meta({
        description: "Contact address of the Let's Encrypt account. Required for the letsencrypt-* issuers.",
        examples: ["platform-team@example.com"],
      }),
    dns01: z
      .strictObject({
        route53: z
          .strictObject({
            hostedZoneId: route53HostedZoneId.meta({
              description:
                "Hosted zone of idp:domain. cert-manager's IAM role may change TXT records of this zone only.",
              examples: ["Z0123456789ABCDEFGHIJ"],
            }),
            region: awsRegion.optional().meta({
              description: "Region for the Route53 API. Default: idp:aws.region.",
              examples: ["eu-west-1"],
            }),
          })
          .meta({ description: "Solve DNS-01 challenges in Route53 (needs idp:aws)." }),
      })
      .optional()
      .meta({
        description:
          "Solve ACME challenges with DNS-01 instead of HTTP-01: allows a wildcard certificate, so apps created later are covered. Default: HTTP-01 through the ingress layer.",
      }),
  })
  .default({ issuer: "self-signed" })
  .meta({
    description: "Certificates: cert-manager's default ClusterIssuer and how ACME challenges are solved.",
  });

const nodePort = z
  .number()
  .int("must be a whole node port number")
  .min(30000, "must be a node port between 30000 and 32767")
  .max(32767, "must be a node port between 30000 and 32767");

const ingressSchema = z
  .strictObject({
    controller: z
      .enum(INGRESS_CONTROLLERS)
      .default("gateway")
      .meta({
        description:
          "gateway: Envoy Gateway with one shared Gateway API Gateway (recommended). nginx: ingress-nginx, retired upstream (final release 4.15.1), for stacks that still need Ingress objects.",
        examples: ["gateway"],
      }),
    serviceType: z
      .enum(["LoadBalancer", "NodePort"])
      .default("LoadBalancer")
      .meta({
        description:
          "Service type of the proxies: LoadBalancer (cloud), or NodePort (kind: map the node ports to the host's 80/443).",
        examples: ["NodePort"],
      }),
    nodePorts: z
      .strictObject({
        http: nodePort.meta({ description: "Node port of HTTP (30000-32767).", examples: [30080] }),
        https: nodePort.meta({ description: "Node port of HTTPS (30000-32767).", examples: [30443] }),
      })
      .optional()
      .meta({ description: "Fixed node ports, so a kind cluster's extraPortMappings can target them." }),
    serviceAnnotations: z.record(z.string(), z.string()).default({}).meta({
      description:
        "Annotations of the proxies' Service, e.g. for an AWS NLB through the AWS Load Balancer Controller.",
    }),
  })
  .default({ controller: "gateway", serviceType: "LoadBalancer", serviceAnnotations: {} })
  .meta({ description: "How the platform's HTTP services are exposed: the ingress layer." });

const secretsSchema = z
  .strictObject({
    backend: z
      .enum(SECRETS_BACKENDS)
      .default("kubernetes")
      .meta({
        description:
          "Where platform secrets live: kubernetes (a locked-down in-cluster namespace; local stacks) or aws-secrets-manager (needs idp:aws).",
        examples: ["aws-secrets-manager"],
      }),
    prefix: z
      .string()
      .regex(
        /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/,
        "must be a Secrets Manager name prefix of letters, digits and _+=.@- separated by single '/', without a leading or trailing '/'",
      )
      .max(128)
      .optional()
      .meta({
        description:
          "Name prefix of every platform secret in AWS Secrets Manager; the store's IAM role is limited to it. Default: idp/<stack>.",
        examples: ["idp/prod"],
      }),
    recoveryWindowInDays: z
      .number()
      .int()
      .refine((days) => days === 0 || (days >= 7 && days <= 30), {
        message: "must be 0 (delete at once) or between 7 and 30",
      })
      .optional()
      .meta({
        description:
          "Days a deleted secret stays recoverable in AWS Secrets Manager. Default: the profile's (see below).",
        examples: [30],
      }),
    kmsKeyArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/,
        "must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)",
      )
      .optional()
      .meta({
        description:
          "Customer-managed KMS key for the secrets. Default: the account's aws/secretsmanager key.",
        examples: ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
      }),
  })
  .default({ backend: "kubernetes" })
  .meta({ description: "The secrets backend behind the platform's ClusterSecretStore." });

type FoundationSettings = {
  profile: (typeof PROFILE_NAMES)[number];
  aws?: unknown;
  tls: z.infer<typeof tlsSchema>;
  ingress: z.infer<typeof ingressSchema>;
  secrets: z.infer<typeof secretsSchema>;
  dns?: z.infer<typeof dnsSchema>;
  storage?: z.infer<typeof storageSchema>;
};

/** Rules across the foundations' keys: issuers the profile allows, what needs idp:aws. */
function foundationRules(settings: FoundationSettings, ctx: z.RefinementCtx): void {
  const { tls, ingress, secrets } = settings;
  const profile = profileFor(settings.profile);
  if (tls.issuer !== "self-signed") {
    const environment = tls.issuer === "letsencrypt-production" ? "production" : "staging";
    if (!profile.allowedLetsEncrypt.includes(environment)) {
      ctx.addIssue({
        code: "custom",
        path: ["tls", "issuer"],
        message: `${tls.issuer} is reserved for the prod profile (this stack's profile is ${profile.name}); use letsencrypt-staging`,
      });
    }
    if (tls.acmeEmail === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["tls", "acmeEmail"],
        message: `is required when idp:tls.issuer is ${tls.issuer} (the Let's Encrypt account's contact)`,
      });
    }
  } else if (tls.dns01 !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["tls", "issuer"],
      message:
        "is self-signed, but idp:tls.dns01 is set: DNS-01 applies to Let's Encrypt issuers only (or remove idp:tls.dns01)",
    });
  }
  if (tls.issuer !== "self-signed" && ingress.controller === "gateway" && tls.dns01 === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["tls", "dns01"],
      message: `is required with idp:ingress.controller gateway and idp:tls.issuer ${tls.issuer}: with HTTP-01 the Gateway's certificate names only the hosts known at pulumi up, so an app created through self-service would get none. Set idp:tls.dns01 (a wildcard certificate), or use idp:ingress.controller nginx (a certificate per Ingress)`,
    });
  }
  const storage = settings.storage;
  if (storage?.csi === "aws-ebs" && settings.aws === undefined) {
    ctx.addIssue({ code: "custom", path: ["aws"], message: "is required by idp:storage.csi aws-ebs" });
  }
  if (storage?.rook !== undefined && storage.rook.nodes.length < storage.rook.replicas) {
    ctx.addIssue({
      code: "custom",
      path: ["storage", "rook", "replicas"],
      message: `is ${storage.rook.replicas}, but idp:storage.rook.nodes lists ${storage.rook.nodes.length}: each replica needs its own host`,
      params: { fix: String(storage.rook.nodes.length) },
    });
  }
  const dns = settings.dns;
  if (dns !== undefined) {
    if (dns.route53 !== undefined && dns.rfc2136 !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["dns", "rfc2136"],
        message:
          "is set together with idp:dns.route53, but ExternalDNS writes to one provider: remove one of them",
        params: { command: "pulumi config rm --path 'idp:dns.rfc2136' (or 'idp:dns.route53')" },
      });
    } else if (dns.route53 === undefined && dns.rfc2136 === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["dns"],
        message: "names no provider: set idp:dns.route53 or idp:dns.rfc2136, or remove idp:dns",
        params: {
          command:
            "pulumi config set --path 'idp:dns.route53.hostedZoneId' Z0123456789ABCDEFGHIJ, or pulumi config rm idp:dns",
        },
      });
    }
    if (dns.route53 !== undefined) {
      if (settings.aws === undefined) {
        ctx.addIssue({ code: "custom", path: ["aws"], message: "is required by idp:dns.route53" });
      }
      if (dns.route53.hostedZoneId === undefined && tls.dns01?.route53 === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["dns", "route53", "hostedZoneId"],
          message: "is required: the hosted zone of idp:domain (idp:tls.dns01.route53 would supply it)",
        });
      }
    }
  }
  if (tls.dns01?.route53 !== undefined && settings.aws === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["aws"],
      message:
        "is required by idp:tls.dns01.route53 (cert-manager's IAM role for Route53 lives in that account)",
    });
  }
  if (secrets.backend === "aws-secrets-manager" && settings.aws === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["aws"],
      message: "is required by idp:secrets.backend aws-secrets-manager (or use the kubernetes backend)",
    });
  }
  if (secrets.backend === "kubernetes") {
    for (const key of ["prefix", "recoveryWindowInDays", "kmsKeyArn"] as const) {
      if (secrets[key] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["secrets", "backend"],
          message: `is kubernetes, but idp:secrets.${key} applies to aws-secrets-manager only (or remove idp:secrets.${key})`,
        });
      }
    }
  }
  if (ingress.nodePorts !== undefined) {
    if (ingress.serviceType !== "NodePort") {
      ctx.addIssue({
        code: "custom",
        path: ["ingress", "serviceType"],
        message: `must be NodePort when idp:ingress.nodePorts is set (it is ${ingress.serviceType})`,
      });
    }
    if (ingress.nodePorts.http === ingress.nodePorts.https) {
      ctx.addIssue({
        code: "custom",
        path: ["ingress", "nodePorts", "https"],
        message: `must differ from idp:ingress.nodePorts.http (both are ${ingress.nodePorts.http})`,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Databases (Crossplane part): where SQLDatabase composes Postgres.

export const DATABASE_MODES = ["rds", "in-cluster"] as const;

const awsVpcId = z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "must be a VPC id such as vpc-0123456789abcdef0");
const awsSubnetId = z
  .string()
  .regex(/^subnet-[0-9a-f]{8,17}$/, "must be a subnet id such as subnet-0123456789abcdef0");
const awsSecurityGroupId = z
  .string()
  .regex(/^sg-[0-9a-f]{8,17}$/, "must be a security group id such as sg-0123456789abcdef0");
const ipv4Cidr = z
  .string()
  .regex(
    /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/,
    "must be an IPv4 CIDR such as 10.0.0.0/16",
  );

const databasesSchema = z
  .strictObject({
    mode: z
      .enum(DATABASE_MODES)
      .optional()
      .meta({
        description:
          "Where a SQLDatabase's Postgres runs: rds (Amazon RDS in the cluster's VPC; needs idp:aws, vpcId, subnetIds and a client network) or in-cluster (a StatefulSet of the official postgres image; not for the prod profile). Default: rds when idp:aws is set, in-cluster otherwise.",
        examples: ["rds"],
      }),
    vpcId: awsVpcId.optional().meta({
      description: "VPC of the cluster, where RDS databases and their security groups are created.",
      examples: ["vpc-0123456789abcdef0"],
    }),
    subnetIds: z
      .array(awsSubnetId.meta({ examples: ["subnet-0123456789abcdef0"] }))
      .optional()
      .meta({
        description:
          "Private subnets of the RDS subnet group: at least two, in different availability zones.",
      }),
    clientSecurityGroupIds: z
      .array(awsSecurityGroupId.meta({ examples: ["sg-0123456789abcdef0"] }))
      .default([])
      .meta({
        description:
          "Security groups allowed to connect to RDS databases on 5432, typically the EKS cluster security group (nodes and pods).",
      }),
    allowedCidrs: z
      .array(ipv4Cidr.meta({ examples: ["10.0.0.0/16"] }))
      .default([])
      .meta({ description: "IPv4 networks allowed to connect to RDS databases on 5432, e.g. a pod CIDR." }),
  })
  .meta({
    description:
      "Databases behind the SQLDatabase API (Crossplane). Omit on stacks without AWS: databases then run in-cluster.",
  });

/** The database mode a stack uses: explicit, or rds exactly when the stack has AWS. */
export function databaseMode(settings: {
  readonly aws?: unknown;
  readonly databases?: { readonly mode?: (typeof DATABASE_MODES)[number] };
}): (typeof DATABASE_MODES)[number] {
  return settings.databases?.mode ?? (settings.aws !== undefined ? "rds" : "in-cluster");
}

function databaseRules(settings: z.infer<z.ZodObject<typeof settingsShape>>, ctx: z.RefinementCtx): void {
  const mode = databaseMode(settings);
  const databases = settings.databases;
  if (mode === "in-cluster") {
    if (PROFILES[settings.profile].dataDeletionPolicy === "Orphan") {
      const why =
        databases?.mode === "in-cluster" ? "is in-cluster" : "defaults to in-cluster without idp:aws";
      ctx.addIssue({
        code: "custom",
        path: ["databases", "mode"],
        message: `${why}, which the ${settings.profile} profile does not allow: it keeps deleted databases (dataDeletionPolicy Orphan) and an in-cluster volume cannot; use rds (with idp:aws)`,
      });
    }
    return;
  }
  const why =
    databases?.mode === "rds" ? "idp:databases.mode is rds" : "idp:aws is set, so databases default to rds";
  if (settings.aws === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["aws", "region"],
      message:
        "is required because idp:databases.mode is rds: the RDS provider works in the stack's AWS account (or set idp:databases.mode to in-cluster)",
    });
    return;
  }
  if (databases?.vpcId === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["databases", "vpcId"],
      message: `is required for RDS databases (${why}; or set idp:databases.mode to in-cluster)`,
    });
  }
  const subnets = databases?.subnetIds ?? [];
  if (subnets.length < 2) {
    ctx.addIssue({
      code: "custom",
      path: ["databases", "subnetIds", subnets.length],
      message: `is required: RDS databases need at least two private subnets in different availability zones (${why})`,
    });
  }
  if ((databases?.clientSecurityGroupIds ?? []).length + (databases?.allowedCidrs ?? []).length === 0) {
    ctx.addIssue({
      code: "custom",
      path: ["databases", "clientSecurityGroupIds", 0],
      message: `is required: RDS databases need a client network, the cluster security group here or a CIDR in idp:databases.allowedCidrs (${why})`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The whole config. Each key is a top-level `idp:<key>` in a stack file.

export const settingsShape = {
  profile: z.enum(PROFILE_NAMES).meta({
    description:
      "Environment profile: what differs between environments on purpose (protection, issuers, replicas, deletion policies, runner limits). See stacks/profiles.ts.",
    examples: ["dev"],
  }),
  domain: dnsName.meta({
    description: "Base DNS domain of the platform. Hosts are <service>.<domain>, e.g. argocd.<domain>.",
    examples: ["dev.idp.example.com"],
  }),
  cluster: clusterSchema,
  aws: awsSchema.optional(),
  github: githubSchema,
  teams: z.array(teamSchema).min(1).meta({
    description:
      "Teams of the organization: platform administrators and product teams. Org-wide data, so Pulumi.yaml holds it for every stack.",
  }),
  databases: databasesSchema.optional(),
  apps: z.array(appSchema).default([]).meta({
    description:
      "Applications to bootstrap. Further apps arrive through the self-service create-app workflow. Org-wide data, in Pulumi.yaml.",
  }),
  // Cluster foundations.
  tls: tlsSchema,
  ingress: ingressSchema,
  secrets: secretsSchema,
  runners: runnersSchema.optional(),
  // GitOps.
  argocd: argocdSchema,
  schemahero: schemaHeroSchema,
  dns: dnsSchema,
  storage: storageSchema,
  workloadClusters: workloadClustersSchema,
  // Portals.
  port: portSchema,
  // Where everything is downloaded from.
  mirror: mirrorSchema,
} as const;

/** The slug GitHub derives from a team name: lowercase, every run of other characters one '-'. */
export function githubTeamSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Rules that span keys: names must resolve, lists must not repeat. */
function crossKeyRules(settings: z.infer<z.ZodObject<typeof settingsShape>>, ctx: z.RefinementCtx): void {
  databaseRules(settings, ctx);
  reportRepeats(settings.teams, (team) => team.slug, { path: ["teams"], field: "slug", noun: "team" }, ctx);
  const slugs = new Set(settings.teams.map((team) => team.slug));
  settings.teams.forEach((team, index) => {
    const derived = githubTeamSlug(team.name ?? team.slug);
    if (derived !== team.slug) {
      ctx.addIssue({
        code: "custom",
        path: ["teams", index, "name"],
        message: `"${team.name ?? team.slug}" gives the GitHub team slug "${derived}", not "${team.slug}" (GitHub derives a team's slug from its name)`,
        params: { fix: team.slug.charAt(0).toUpperCase() + team.slug.slice(1) },
      });
    }
  });
  if (!settings.teams.some((team) => team.platformAdmin)) {
    ctx.addIssue({
      code: "custom",
      path: ["teams", 0, "platformAdmin"],
      message: "no team is marked platformAdmin; at least one team must administer the platform",
    });
  }
  reportRepeats(settings.apps, (app) => app.name, { path: ["apps"], field: "name", noun: "app" }, ctx);
  settings.apps.forEach((app, index) => {
    if (!slugs.has(app.team)) {
      ctx.addIssue({
        code: "custom",
        path: ["apps", index, "team"],
        message: `names the team "${app.team}", which is not in idp:teams (${[...slugs].join(", ")})`,
        // A product team of the user's own, else any.
        ...(settings.teams.length > 0
          ? { params: { fix: (settings.teams.find((t) => !t.platformAdmin) ?? settings.teams[0]!).slug } }
          : {}),
      });
    }
  });
  runnersRules(settings, ctx);
  gitOpsRules(settings, ctx);
  reportRepeats(
    settings.workloadClusters,
    (cluster) => cluster.name,
    { path: ["workloadClusters"], field: "name", noun: "workload cluster" },
    ctx,
  );
  reportRepeats(
    settings.workloadClusters,
    (cluster) => cluster.server,
    { path: ["workloadClusters"], field: "server", noun: "workload cluster" },
    ctx,
  );
}

/**
 * Org-wide keys whose value lives in Pulumi.yaml (the project's config defaults), so every stack reads the
 * same list; a fix for them is an edit there, not a `pulumi config set`, which would shadow it in one stack.
 */
export const PROJECT_FILE_KEYS: readonly string[] = ["teams", "apps"];

export const settingsSchema = z
  .strictObject(settingsShape)
  .superRefine(crossKeyRules)
  .superRefine(foundationRules);

/**
 * Keys whose value is the same for every stack (org-wide data): Pulumi.yaml supplies it as the
 * project default, so the stack files need not repeat it.
 */
export const PROJECT_WIDE_KEYS = ["teams", "apps"] as const;

/**
 * Secret keys: set only with `pulumi config set --secret`. The loader rejects them in plaintext and
 * hands them to the program as Pulumi secrets; their values never appear in an error message.
 */
export const secretKeys = {
  githubToken:
    "An organization owner's classic GitHub token with the scopes admin:org, repo, workflow and admin:repo_hook; docs/github-permissions.md says why. Required when idp:github.auth is token.",
  githubAppPrivateKey: "PEM private key of the GitHub App. Required when idp:github.auth is app.",
  runnersGithubAppPrivateKey:
    "PEM private key of the runner controller's GitHub App (idp:runners.appId). Required when idp:runners is set.",
  // --- GitHub organization seeding ---
  githubSelfServiceAppPrivateKey:
    "PEM private key of the self-service GitHub App (idp:github.selfServiceAppClientId). Required when idp:github.manageOrganization is true.",
  githubDeliveryAppPrivateKey:
    "PEM private key of the delivery GitHub App (idp:github.deliveryAppClientId). Required when idp:github.manageOrganization is true.",
  githubPackagesToken:
    "A classic GitHub token of the idp:github.packagesReader user with the single scope read:packages: the cluster pulls the apps' GHCR images with it. Required when idp:github.packagesReader is set.",
  dnsTsigSecret:
    "The TSIG key (base64) of idp:dns.rfc2136.tsigKeyName. Required when idp:dns.rfc2136 is set.",
  openstackCloudConfig:
    "The cloud.conf of the OpenStack Cinder CSI driver ([Global] auth-url, application credentials, region). Required when idp:storage.csi is openstack-cinder.",
  // --- Portals ---
  portClientSecret: "Client secret of the Port account of idp:port.clientId. Required when idp:port is set.",
  // --- GitOps ---
  argocdDexClientSecret:
    "Client secret of the GitHub OAuth App of idp:argocd.sso.clientId (Dex's GitHub connector). Required when idp:argocd.sso is set.",
} as const;

export type SecretKey = keyof typeof secretKeys;
export type Settings = z.infer<typeof settingsSchema>;

/** When each secret is used, one rule per secret, so every message can name its reason. */
const SECRET_RULES: ReadonlyArray<{
  key: SecretKey;
  because: string;
  when: (settings: Settings) => boolean;
}> = [
  { key: "githubToken", because: "idp:github.auth is token", when: (s) => s.github.auth === "token" },
  { key: "githubAppPrivateKey", because: "idp:github.auth is app", when: (s) => s.github.auth === "app" },
  { key: "runnersGithubAppPrivateKey", because: "idp:runners is set", when: (s) => s.runners !== undefined },
  ...(["githubSelfServiceAppPrivateKey", "githubDeliveryAppPrivateKey"] as const).map((key) => ({
    key,
    because: "idp:github.manageOrganization is true",
    when: (s: Settings) => s.github.manageOrganization,
  })),
  { key: "argocdDexClientSecret", because: "idp:argocd.sso is set", when: (s) => s.argocd.sso !== undefined },
  { key: "portClientSecret", because: "idp:port is set", when: (s) => s.port !== undefined },
  { key: "dnsTsigSecret", because: "idp:dns.rfc2136 is set", when: (s) => s.dns?.rfc2136 !== undefined },
  {
    key: "openstackCloudConfig",
    because: "idp:storage.csi is openstack-cinder",
    when: (s) => s.storage?.csi === "openstack-cinder",
  },
  {
    key: "githubPackagesToken",
    because: "idp:github.packagesReader is set",
    when: (s) => s.github.packagesReader !== undefined,
  },
];

/** Which secret keys the settings require. */
export function requiredSecrets(settings: Settings): ReadonlyArray<{ key: SecretKey; because: string }> {
  return SECRET_RULES.filter((rule) => rule.when(settings)).map(({ key, because }) => ({ key, because }));
}

/**
 * Secrets that are set although nothing uses them: config left over from a removed part (or a changed
 * auth mode), with the condition under which they would be used.
 */
export function unusedSecrets(
  settings: Settings,
  set: Iterable<string>,
): ReadonlyArray<{ key: SecretKey; usedWhen: string }> {
  const present = new Set(set);
  return SECRET_RULES.filter((rule) => present.has(rule.key) && !rule.when(settings)).map(
    ({ key, because }) => ({
      key,
      usedWhen: because,
    }),
  );
}

/**
 * The stack configuration schema: every `idp:*` key, its type, default and meaning.
 *
 * This file is the single source of truth. `Pulumi.yaml` declares the same top-level keys (a test keeps
 * them in step) and `docs/config-reference.md` is generated from it (`npm run docs:config`).
 * Objects are strict: an unknown key anywhere is an error, so a typo cannot pass silently.
 */
import { z } from "zod";
import { PROFILE_NAMES } from "./profiles";

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
  })
  .meta({ description: "One environment of the management repository, as its own stack configures it." });

const githubSeedingShape = {
  selfServiceAppClientId: githubAppClientId.optional().meta({
    description:
      "Client ID of the self-service GitHub App: the create-app workflow uses it to create repositories from the template, grant teams access and open pull requests. Required when manageOrganization is true; its key is the secret idp:githubSelfServiceAppPrivateKey.",
    examples: ["Iv23liSELFSERVICE001"],
  }),
  deliveryAppClientId: githubAppClientId.optional().meta({
    description:
      "Client ID of the delivery GitHub App: app pipelines use it to open image-bump pull requests on the management repository (install it on that repository only, with contents and pull requests write). Required when manageOrganization is true; its key is the secret idp:githubDeliveryAppPrivateKey.",
    examples: ["Iv23liDELIVERY000001"],
  }),
  repositoryVisibility: z.enum(["private", "internal"]).default("private").meta({
    description:
      "Visibility of the template and app repositories (internal needs GitHub Enterprise). The management repository is always private.",
  }),
  environmentSettings: z.record(dnsLabel, environmentSettingsSchema).default({}).meta({
    description:
      "Domain and profile of every environment in environments other than this stack's own, keyed by environment: the seeding stack (manageOrganization) renders their folders of the management repository with them. Each entry: domain (that stack's idp:domain) and optional profile (its idp:profile; default the profile named like the environment).",
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
    slug: dnsLabel.meta({
      description: "GitHub team slug; also names the team's namespace (team-<slug>) and Argo CD project.",
      examples: ["payments"],
    }),
    name: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          "Display name of the GitHub team. Default: the slug. GitHub derives the slug from the name, so the name must reduce to the slug (Payments for payments).",
        examples: ["Payments"],
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
    name: dnsLabel.meta({
      description: "Application name: its repository, its host (<name>.<domain>) and its App resource.",
      examples: ["checkout-api"],
    }),
    team: dnsLabel.meta({
      description: "Slug of the owning team (one of idp:teams).",
      examples: ["payments"],
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
  apps: z.array(appSchema).default([]).meta({
    description:
      "Applications to bootstrap. Further apps arrive through the self-service create-app workflow. Org-wide data, in Pulumi.yaml.",
  }),
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
  const slugs = new Set<string>();
  settings.teams.forEach((team, index) => {
    if (slugs.has(team.slug)) {
      ctx.addIssue({
        code: "custom",
        path: ["teams", index, "slug"],
        message: `repeats the team "${team.slug}"`,
      });
    }
    slugs.add(team.slug);
    const derived = githubTeamSlug(team.name ?? team.slug);
    if (derived !== team.slug) {
      ctx.addIssue({
        code: "custom",
        path: ["teams", index, "name"],
        message: `"${team.name ?? team.slug}" gives the GitHub team slug "${derived}", not "${team.slug}" (GitHub derives a team's slug from its name)`,
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
  const apps = new Set<string>();
  settings.apps.forEach((app, index) => {
    if (apps.has(app.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["apps", index, "name"],
        message: `repeats the app "${app.name}"`,
      });
    }
    apps.add(app.name);
    if (!slugs.has(app.team)) {
      ctx.addIssue({
        code: "custom",
        path: ["apps", index, "team"],
        message: `names the team "${app.team}", which is not in idp:teams (${[...slugs].join(", ")})`,
      });
    }
  });
}

export const settingsSchema = z.strictObject(settingsShape).superRefine(crossKeyRules);

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
  githubToken: "GitHub token with admin:org and repo scopes. Required when idp:github.auth is token.",
  githubAppPrivateKey: "PEM private key of the GitHub App. Required when idp:github.auth is app.",
  // --- GitHub organization seeding ---
  githubSelfServiceAppPrivateKey:
    "PEM private key of the self-service GitHub App (idp:github.selfServiceAppClientId). Required when idp:github.manageOrganization is true.",
  githubDeliveryAppPrivateKey:
    "PEM private key of the delivery GitHub App (idp:github.deliveryAppClientId). Required when idp:github.manageOrganization is true.",
} as const;

export type SecretKey = keyof typeof secretKeys;
export type Settings = z.infer<typeof settingsSchema>;

/** Which secret keys the settings require. One rule per secret, so every message can name its reason. */
export function requiredSecrets(settings: Settings): ReadonlyArray<{ key: SecretKey; because: string }> {
  const required: Array<{ key: SecretKey; because: string }> = [];
  if (settings.github.auth === "token") {
    required.push({ key: "githubToken", because: "idp:github.auth is token" });
  } else {
    required.push({ key: "githubAppPrivateKey", because: "idp:github.auth is app" });
  }
  if (settings.github.manageOrganization) {
    for (const key of ["githubSelfServiceAppPrivateKey", "githubDeliveryAppPrivateKey"] as const) {
      required.push({ key, because: "idp:github.manageOrganization is true" });
    }
  }
  return required;
}

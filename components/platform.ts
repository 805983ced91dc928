/**
 * `Platform`: the one top-level component. It builds the platform's parts and orders them through
 * their outputs and `dependsOn`; providers arrive through `opts.providers` and reach every child
 * through the parent chain, so no part ever falls back to a default provider.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentProfile } from "../stacks/profiles";
import { managementRepoUrl } from "./conventions";
import { GitHubOrganization, type GitHubOrganizationArgs } from "./github";

export interface PlatformArgs {
  /** Stack name; used only in tags and descriptions, never to branch behaviour (that is the profile's job). */
  readonly stack: string;
  /** Environment profile: protection, issuers, replicas, deletion policies, runner limits. */
  readonly profile: EnvironmentProfile;
  /** Base DNS domain; every exposed service is `<service>.<domain>`. */
  readonly domain: string;
  /** Name of the existing cluster the platform is installed onto. */
  readonly clusterName: string;
  /** GitHub organization that drives the platform. */
  readonly githubOwner: string;
  /** The management and template repositories; and the org-wide objects, when this stack owns them. */
  readonly github: {
    readonly managementRepository: string;
    readonly templateRepository: string;
    /** Set only on the stack with idp:github.manageOrganization: it creates the organization's objects. */
    readonly organization?: GitHubOrganizationArgs;
  };
}

export class Platform extends pulumi.ComponentResource {
  /** What to do after `pulumi up`, one line per step. */
  public readonly nextSteps: pulumi.Output<string[]>;

  /** Clone URL of the management repository, the GitOps source of every environment. */
  public readonly managementRepositoryUrl: pulumi.Output<string>;
  /** Web address of the application template repository. */
  public readonly templateRepositoryUrl: pulumi.Output<string>;
  /** Where an app is requested: the management repository's create-app workflow. */
  public readonly createAppUrl: pulumi.Output<string>;
  /** The organization's GitHub objects, on the stack that owns them. */
  public readonly githubOrganization?: GitHubOrganization;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:platform:Platform", name, {}, opts);

    // --- GitHub organization (components/github.ts) ---------------------------------------------
    const gh = args.github;
    const organization =
      gh.organization === undefined
        ? undefined
        : new GitHubOrganization(`${name}-github`, gh.organization, { parent: this });
    const web = `https://github.com/${args.githubOwner}`;
    this.githubOrganization = organization;
    this.managementRepositoryUrl =
      organization?.managementRepositoryUrl ??
      pulumi.output(managementRepoUrl(args.githubOwner, gh.managementRepository));
    this.templateRepositoryUrl =
      organization?.templateRepositoryHtmlUrl ?? pulumi.output(`${web}/${gh.templateRepository}`);
    this.createAppUrl =
      organization?.createAppUrl ??
      pulumi.output(`${web}/${gh.managementRepository}/actions/workflows/create-app.yaml`);

    this.nextSteps = pulumi
      .all([this.createAppUrl, this.managementRepositoryUrl])
      .apply(([createApp, management]) => [
        `Platform for ${args.clusterName} (${args.profile.name} profile) at *.${args.domain}, driven by https://github.com/${args.githubOwner}.`,
        `GitOps source: ${management} (environments/${args.stack}/).`,
        `Request an app: run ${createApp} with inputs name, team and database (portals call the same workflow_dispatch).`,
      ]);

    this.registerOutputs({
      nextSteps: this.nextSteps,
      managementRepositoryUrl: this.managementRepositoryUrl,
      templateRepositoryUrl: this.templateRepositoryUrl,
      createAppUrl: this.createAppUrl,
    });
  }
}

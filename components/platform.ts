/**
 * `Platform`: the one top-level component. It builds the platform's parts and orders them through
 * their outputs and `dependsOn`; providers arrive through `opts.providers` and reach every child
 * through the parent chain, so no part ever falls back to a default provider.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentProfile } from "../stacks/profiles";

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
}

export class Platform extends pulumi.ComponentResource {
  /** What to do after `pulumi up`, one line per step. */
  public readonly nextSteps: pulumi.Output<string[]>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:platform:Platform", name, {}, opts);

    this.nextSteps = pulumi.output([
      `Platform for ${args.clusterName} (${args.profile.name} profile) at *.${args.domain}, driven by https://github.com/${args.githubOwner}.`,
    ]);

    this.registerOutputs({ nextSteps: this.nextSteps });
  }
}

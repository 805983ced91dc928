/**
 * `EnvironmentFolder`: one environment's folder of the management repository (`environments/<env>/`),
 * written by that environment's own stack in one commit. Every stack owns exactly its own folder, so a
 * `pulumi up` of dev never changes what staging or prod runs: those changes wait for their own stacks'
 * deployments (and the approvals their CI environments require). The organization's shared files (README,
 * workflows, schemas, skeletons, catalog) stay with the stack that owns the organization.
 */
import * as pulumi from "@pulumi/pulumi";
import { environmentFolderTree } from "./management-repo";
import type { EnvironmentFolderLayout, GitHubAuth } from "./model";
import { MANAGEMENT_BRANCH } from "../conventions";
import { RepositorySeed, seedCredentials } from "./repository-seed";

export interface EnvironmentFolderArgs {
  /** What the folder is generated from: the organization, the repository, the environment, teams, apps. */
  readonly layout: EnvironmentFolderLayout;
  /**
   * The identity the commit is made with (the stack's own GitHub identity): a bypass actor of the
   * management repository's ruleset (the organization stack lists it, `otherSeedingIdentities`).
   */
  readonly auth: GitHubAuth;
  /** The stack writing it; named in the commit message. */
  readonly stack: string;
  /**
   * What the commit waits for: on the stack that owns the organization, the repository's seed (the
   * branch exists) and its ruleset. Default none (the repository exists: it is an earlier stack's).
   */
  readonly after?: readonly pulumi.Resource[];
}

export class EnvironmentFolder extends pulumi.ComponentResource {
  /** The commit of the folder: Argo CD's root Application of the environment waits for it. */
  public readonly seed: RepositorySeed;

  constructor(name: string, args: EnvironmentFolderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:github:EnvironmentFolder", name, {}, opts);
    const { layout } = args;
    this.seed = new RepositorySeed(
      `${name}-seed`,
      {
        owner: layout.owner,
        repository: layout.managementRepository,
        branch: MANAGEMENT_BRANCH,
        message: `Seed environments/${layout.environment.name} from the platform (Pulumi stack ${args.stack})`,
        files: environmentFolderTree(layout),
        credentials: seedCredentials(args.auth),
      },
      { parent: this, dependsOn: [...(args.after ?? [])] },
      RepositorySeed.ENVIRONMENT_FOLDER_TYPE,
    );
    this.registerOutputs({});
  }
}

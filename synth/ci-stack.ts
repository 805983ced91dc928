/**
 * `npm run --silent ci:stack -- <stack>`: what CI needs to know about a stack, from its config, as
 * `key=value` lines for $GITHUB_OUTPUT (.github/actions/stack-setup). One source of truth: the
 * workflows never repeat a region, an account or a cluster name.
 *
 * AWS roles follow a convention, one pair per AWS account (docs/runbooks/bootstrap.md):
 * `idp-ci-preview` (read-only, trusted by pull request runs) and `idp-ci-deploy` (trusted only by runs
 * in the stack's GitHub Environment).
 */
import { ConfigError, parseConfig } from "../stacks/config";
import { awsPartition } from "../stacks/args";
import { loadStackConfig, StackFileError } from "./stack-files";

export const CI_ROLES = { preview: "idp-ci-preview", deploy: "idp-ci-deploy" } as const;

export function ciStackFacts(stack: string, root?: string): Record<string, string> {
  const { settings } = parseConfig(loadStackConfig(stack, root));
  const facts: Record<string, string> = {
    stack,
    profile: settings.profile,
    cluster: settings.cluster.name,
    "kube-context": settings.cluster.kubeContext ?? "",
    "policy-config": `policy/config/${stack}.json`,
    "has-aws": String(settings.aws !== undefined),
  };
  if (settings.aws !== undefined) {
    const iam = `arn:${awsPartition(settings.aws.region)}:iam::${settings.aws.accountId}:role`;
    facts["aws-region"] = settings.aws.region;
    facts["aws-account"] = settings.aws.accountId;
    facts["preview-role-arn"] = `${iam}/${CI_ROLES.preview}`;
    facts["deploy-role-arn"] = `${iam}/${CI_ROLES.deploy}`;
  }
  return facts;
}

export function main(argv: readonly string[]): number {
  if (argv.length !== 1 || argv[0]!.startsWith("-")) {
    console.error("usage: npm run --silent ci:stack -- <stack>");
    return 2;
  }
  try {
    for (const [key, value] of Object.entries(ciStackFacts(argv[0]!))) console.log(`${key}=${value}`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

/**
 * IAM for Kubernetes service accounts: one role per workload, trusted only by that service account
 * (IRSA) or bound to it by an EKS Pod Identity association, with an inline policy the caller scopes.
 * Policies are plain typed JSON: nothing is read from AWS while the program is evaluated.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AwsContext } from "./contracts";

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** Refuses wildcard actions and wildcard resources: every role the platform creates is scoped. */
export function assertScopedPolicy(policy: PolicyDocument, what: string): void {
  for (const statement of policy.Statement) {
    if (statement.Effect !== "Allow") continue;
    for (const action of statement.Action) {
      if (action === "*" || action.endsWith(":*")) {
        throw new Error(`${what}: the IAM policy allows the wildcard action "${action}"; name the actions`);
      }
    }
    for (const resource of statement.Resource) {
      if (resource === "*") {
        throw new Error(
          `${what}: the IAM policy allows "${statement.Action.join(", ")}" on "*"; name the resources`,
        );
      }
    }
  }
}

/** The OIDC issuer host/path of an IAM OIDC provider ARN (what IRSA conditions are keyed by). */
export function oidcIssuer(oidcProviderArn: string): string {
  const at = oidcProviderArn.indexOf(":oidc-provider/");
  if (at < 0) throw new Error(`not an IAM OIDC provider ARN: ${oidcProviderArn}`);
  return oidcProviderArn.slice(at + ":oidc-provider/".length);
}

/** Trust policy letting exactly one service account assume the role. */
export function trustPolicy(aws: AwsContext, namespace: string, serviceAccount: string): PolicyDocument {
  if (aws.identity === "irsa") {
    if (aws.oidcProviderArn === undefined) throw new Error("IRSA needs the cluster's OIDC provider ARN");
    const issuer = oidcIssuer(aws.oidcProviderArn);
    return {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["sts:AssumeRoleWithWebIdentity"],
          Resource: [],
          Condition: {
            StringEquals: {
              [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
              [`${issuer}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ],
    };
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Resource: [],
        Condition: {
          StringEquals: { "aws:SourceAccount": aws.accountId },
          ArnEquals: {
            "aws:SourceArn": `arn:${aws.partition}:eks:${aws.region}:${aws.accountId}:cluster/${aws.clusterName}`,
          },
        },
      },
    ],
  };
}

/** Trust policies name a principal and no resource; IAM rejects a Resource element in them. */
function trustPolicyJson(aws: AwsContext, namespace: string, serviceAccount: string): string {
  const document = trustPolicy(aws, namespace, serviceAccount);
  const principal =
    aws.identity === "irsa" ? { Federated: aws.oidcProviderArn } : { Service: "pods.eks.amazonaws.com" };
  return JSON.stringify({
    Version: document.Version,
    Statement: document.Statement.map(({ Resource: _resource, ...statement }) => ({
      ...statement,
      Principal: principal,
    })),
  });
}

export interface WorkloadIdentityArgs {
  readonly aws: AwsContext;
  /** Namespace and name of the Kubernetes service account the role is for. */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** IAM role name (at most 64 characters). */
  readonly roleName: string;
  /** What the role is for, shown in IAM. */
  readonly description: string;
  /** The permissions: scoped, no wildcard actions or resources (checked). */
  readonly policy: PolicyDocument;
}

export interface WorkloadIdentity {
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
  /** Set with Pod Identity: binds the role to the service account. */
  readonly association?: aws.eks.PodIdentityAssociation;
  /** Annotations the service account needs (IRSA's role ARN; none with Pod Identity). */
  readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;
  /** Resources a workload using the identity should wait for. */
  readonly resources: readonly pulumi.Resource[];
}

/** An IAM role for one Kubernetes service account, with a scoped inline policy. */
export function workloadIdentity(
  resourceName: string,
  args: WorkloadIdentityArgs,
  opts: pulumi.CustomResourceOptions,
): WorkloadIdentity {
  if (args.roleName.length > 64) throw new Error(`IAM role name longer than 64 characters: ${args.roleName}`);
  assertScopedPolicy(args.policy, `IAM role ${args.roleName}`);
  const role = new aws.iam.Role(
    resourceName,
    {
      name: args.roleName,
      description: args.description,
      assumeRolePolicy: trustPolicyJson(args.aws, args.namespace, args.serviceAccount),
      maxSessionDuration: 3600,
    },
    opts,
  );
  const policy = new aws.iam.RolePolicy(
    `${resourceName}-policy`,
    { role: role.name, name: args.roleName, policy: JSON.stringify(args.policy) },
    opts,
  );
  if (args.aws.identity === "pod-identity") {
    const association = new aws.eks.PodIdentityAssociation(
      `${resourceName}-association`,
      {
        clusterName: args.aws.clusterName,
        namespace: args.namespace,
        serviceAccount: args.serviceAccount,
        roleArn: role.arn,
      },
      opts,
    );
    return {
      role,
      policy,
      association,
      serviceAccountAnnotations: pulumi.output<Record<string, string>>({}),
      resources: [role, policy, association],
    };
  }
  // The ARN from its known parts, not `role.arn`: an output that stays unknown until the role exists
  // would leave a first preview's Helm values unknown, and the provider's Check would then skip loading
  // the chart (no CRDs cached, no version resolved, policies unable to look). The URN keeps the
  // dependency on the role.
  const arn = roleArn(args.aws, args.roleName);
  return {
    role,
    policy,
    serviceAccountAnnotations: role.urn.apply((): Record<string, string> => ({
      "eks.amazonaws.com/role-arn": arn,
    })),
    resources: [role, policy],
  };
}

/** An IAM role's ARN, from the account, the partition and its name (roles here have no path). */
export function roleArn(aws: Pick<AwsContext, "partition" | "accountId">, roleName: string): string {
  return `arn:${aws.partition}:iam::${aws.accountId}:role/${roleName}`;
}

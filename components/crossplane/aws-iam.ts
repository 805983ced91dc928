/**
 * IAM for the AWS providers the SQLDatabase composition uses: one role per provider package (the RDS
 * provider never gets EC2 rights and vice versa), each scoped to what the composition creates.
 *
 * Scoping: every resource the composition creates carries the tag `idp:cluster=<cluster>`. Creation
 * is allowed only with that tag in the request (`aws:RequestTag`), and every later change or deletion
 * only on resources that carry it (`aws:ResourceTag`), in the stack's region and account, and, for
 * security groups, in the configured VPC. A role therefore cannot touch databases or security groups
 * the platform did not create.
 *
 * The exception AWS imposes: EC2's Describe actions support no resource-level permissions, so IAM
 * evaluates them against `*` only. They live in a separate read-only policy (`describePolicy`),
 * restricted to the stack's region with `aws:RequestedRegion`, and checked by
 * `assertDescribeOnlyPolicy` so nothing but those named read actions can ever reach `*`.
 */
import type { AwsContext } from "../contracts";
import type { PolicyDocument, PolicyStatement } from "../aws-identity";

export const CLUSTER_TAG = "idp:cluster";

export interface RdsNetworkScope {
  readonly vpcId: string;
}

/**
 * Whether the providers may delete what they created. Profiles that keep data orphan it (the managed
 * resources have no `Delete` management policy), so the providers never call a delete: the roles do not
 * get those actions either, and a mistake cannot delete a database.
 */
export interface DeletionScope {
  readonly deletes: boolean;
}

const RDS_DELETES = ["rds:DeleteDBInstance", "rds:DeleteDBSubnetGroup"];
const EC2_DELETES = ["ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"];

function withoutDeletes(actions: string[], deletes: readonly string[], scope: DeletionScope): string[] {
  return scope.deletes ? actions : actions.filter((action) => !deletes.includes(action));
}

function arns(aws: AwsContext) {
  const rds = `arn:${aws.partition}:rds:${aws.region}:${aws.accountId}`;
  const ec2 = `arn:${aws.partition}:ec2:${aws.region}:${aws.accountId}`;
  return {
    db: `${rds}:db:*`,
    subnetGroup: `${rds}:subgrp:*`,
    defaultParameterGroups: `${rds}:pg:default.*`,
    defaultOptionGroups: `${rds}:og:default:*`,
    securityGroup: `${ec2}:security-group/*`,
    securityGroupRule: `${ec2}:security-group-rule/*`,
    vpc: (vpcId: string) => `${ec2}:vpc/${vpcId}`,
    rdsServiceLinkedRole: `arn:${aws.partition}:iam::${aws.accountId}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`,
  };
}

function tagged(kind: "RequestTag" | "ResourceTag", clusterName: string): PolicyStatement["Condition"] {
  return { StringEquals: { [`aws:${kind}/${CLUSTER_TAG}`]: clusterName } };
}

/** Adds the VPC condition of security groups (`ec2:Vpc`, the VPC's ARN) to a condition. */
function inVpc(condition: PolicyStatement["Condition"], vpcArn: string): PolicyStatement["Condition"] {
  return { ...condition, ArnEquals: { "ec2:Vpc": vpcArn } };
}

/** The RDS provider: DB instances and subnet groups of the composition, nothing else. */
export function rdsProviderPolicy(aws: AwsContext, scope: DeletionScope = { deletes: true }): PolicyDocument {
  const arn = arns(aws);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CreateTaggedDatabases",
        Effect: "Allow",
        Action: ["rds:CreateDBInstance", "rds:CreateDBSubnetGroup", "rds:AddTagsToResource"],
        Resource: [arn.db, arn.subnetGroup],
        Condition: tagged("RequestTag", aws.clusterName),
      },
      {
        Sid: "ManageOwnDatabases",
        Effect: "Allow",
        // RebootDBInstance: Terraform's aws_db_instance create reboots an instance whose CA
        // certificate or parameter group it had to modify after creation (terraform-provider-aws
        // internal/service/rds/instance.go, requiresRebootDbInstance).
        Action: withoutDeletes(
          [
            "rds:ModifyDBInstance",
            "rds:RebootDBInstance",
            "rds:DeleteDBInstance",
            "rds:ModifyDBSubnetGroup",
            "rds:DeleteDBSubnetGroup",
            "rds:AddTagsToResource",
            "rds:RemoveTagsFromResource",
          ],
          RDS_DELETES,
          scope,
        ),
        Resource: [arn.db, arn.subnetGroup],
        Condition: tagged("ResourceTag", aws.clusterName),
      },
      {
        // An instance is created and modified with the engine's default parameter and option groups.
        Sid: "UseDefaultGroups",
        Effect: "Allow",
        Action: ["rds:CreateDBInstance", "rds:ModifyDBInstance"],
        Resource: [arn.defaultParameterGroups, arn.defaultOptionGroups],
      },
      {
        Sid: "ReadDatabases",
        Effect: "Allow",
        Action: ["rds:DescribeDBInstances", "rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"],
        Resource: [arn.db, arn.subnetGroup],
      },
      {
        // The first RDS instance of an account creates RDS's service-linked role.
        Sid: "CreateRdsServiceLinkedRole",
        Effect: "Allow",
        Action: ["iam:CreateServiceLinkedRole"],
        Resource: [arn.rdsServiceLinkedRole],
        Condition: { StringEquals: { "iam:AWSServiceName": "rds.amazonaws.com" } },
      },
    ],
  };
}

/** The EC2 provider: the composition's security groups and their ingress rules, in one VPC. */
export function ec2ProviderPolicy(
  aws: AwsContext,
  network: RdsNetworkScope,
  scope: DeletionScope = { deletes: true },
): PolicyDocument {
  const arn = arns(aws);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CreateTaggedSecurityGroups",
        Effect: "Allow",
        Action: ["ec2:CreateSecurityGroup"],
        Resource: [arn.securityGroup],
        Condition: tagged("RequestTag", aws.clusterName),
      },
      {
        Sid: "CreateSecurityGroupsInVpc",
        Effect: "Allow",
        Action: ["ec2:CreateSecurityGroup"],
        Resource: [arn.vpc(network.vpcId)],
      },
      {
        Sid: "TagOnCreate",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: [arn.securityGroup, arn.securityGroupRule],
        Condition: {
          StringEquals: { "ec2:CreateAction": ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress"] },
        },
      },
      {
        // RevokeSecurityGroupEgress: Terraform's aws_security_group removes the default allow-all egress
        // rule of a new group. Rules change through ModifySecurityGroupRules
        // (aws_vpc_security_group_ingress_rule), never UpdateSecurityGroupRuleDescriptionsIngress.
        Sid: "ManageOwnSecurityGroups",
        Effect: "Allow",
        Action: withoutDeletes(
          [
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:ModifySecurityGroupRules",
            "ec2:DeleteSecurityGroup",
            "ec2:CreateTags",
            "ec2:DeleteTags",
          ],
          EC2_DELETES,
          scope,
        ),
        Resource: [arn.securityGroup],
        Condition: inVpc(tagged("ResourceTag", aws.clusterName), arn.vpc(network.vpcId)),
      },
      {
        // A rule is a resource of its own: created only with the cluster tag (the composition tags
        // every rule), and changed only where it carries it.
        Sid: "CreateTaggedRules",
        Effect: "Allow",
        Action: ["ec2:AuthorizeSecurityGroupIngress"],
        Resource: [arn.securityGroupRule],
        Condition: tagged("RequestTag", aws.clusterName),
      },
      {
        Sid: "ManageOwnRules",
        Effect: "Allow",
        Action: ["ec2:ModifySecurityGroupRules", "ec2:CreateTags", "ec2:DeleteTags"],
        Resource: [arn.securityGroupRule],
        Condition: tagged("ResourceTag", aws.clusterName),
      },
    ],
  };
}

/** Read-only EC2 actions without resource-level permissions: IAM authorizes them against `*` only. */
export const EC2_DESCRIBE_ACTIONS = [
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeSecurityGroupRules",
  "ec2:DescribeNetworkInterfaces",
] as const;

/** The EC2 provider's describe calls, limited to the stack's region. */
export function describePolicy(aws: AwsContext): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeWithoutResourceLevelPermissions",
        Effect: "Allow",
        Action: [...EC2_DESCRIBE_ACTIONS],
        Resource: ["*"],
        Condition: { StringEquals: { "aws:RequestedRegion": aws.region } },
      },
    ],
  };
}

/**
 * The only policy allowed to name `*`: Allow statements of the listed read-only Describe actions,
 * each restricted to a region.
 */
export function assertDescribeOnlyPolicy(policy: PolicyDocument, what: string): void {
  for (const statement of policy.Statement) {
    if (statement.Effect !== "Allow") continue;
    for (const action of statement.Action) {
      if (!(EC2_DESCRIBE_ACTIONS as readonly string[]).includes(action)) {
        throw new Error(`${what}: "${action}" is not a describe action without resource-level permissions`);
      }
    }
    if (statement.Condition?.["StringEquals"]?.["aws:RequestedRegion"] === undefined) {
      throw new Error(`${what}: describe statements must be limited with aws:RequestedRegion`);
    }
  }
}

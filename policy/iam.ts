/**
 * Guardrail 4: least-privilege IAM. Allow statements name their actions (no `*`, no `service:*`, no
 * wildcard at all, no NotAction) and their resources (no `*`, no NotResource); roles trust a named
 * principal; no AWS-managed administrator or full-access policy is attached.
 *
 * One exception, imposed by AWS: some read-only Describe actions support no resource-level permissions
 * and are authorized against `*` only (e.g. `ec2:DescribeSecurityGroups`, which the Crossplane EC2
 * provider needs; components/crossplane/aws-iam.ts). A statement may use `Resource: "*"` when every
 * action in it is such a named `<service>:Describe...` action and a Condition bounds it (the platform
 * limits them to its region with `aws:RequestedRegion`). Read-only, bounded, and named: it grants no
 * access to data and no change. Likewise `route53:ListHostedZones`, which lists zone names only, is
 * authorized against `*` only and, Route53 being global, has no condition to bound it (ExternalDNS
 * calls it to find its zone; components/dns.ts).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { read } from "./lib";

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
  readonly Sid?: unknown;
}

/** A policy document from a resource input: JSON text or an object. Undefined when unreadable. */
export function policyDocument(value: unknown): { Statement?: unknown } | undefined {
  let document: unknown = value;
  if (typeof value === "string") {
    try {
      document = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return document !== null && typeof document === "object" ? document : undefined;
}

function statements(document: { Statement?: unknown }): Statement[] {
  const list = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return list.filter((s): s is Statement => s !== null && typeof s === "object");
}

function list(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
}

const DESCRIBE_ACTION = /^[a-z0-9-]+:Describe[A-Za-z0-9]+$/;
/** Read-only listings AWS authorizes on `*` only and offers no condition for. */
const UNBOUNDED_LISTINGS: ReadonlySet<string> = new Set(["route53:ListHostedZones"]);

function label(statement: Statement, index: number): string {
  return typeof statement.Sid === "string" && statement.Sid !== ""
    ? `statement ${statement.Sid}`
    : `statement ${index + 1}`;
}

/** Why a permissions policy is broader than least privilege, one line per problem. */
export function permissionProblems(value: unknown): string[] {
  const document = policyDocument(value);
  if (document === undefined) return [];
  const problems: string[] = [];
  statements(document).forEach((statement, index) => {
    if (statement.Effect !== "Allow") return;
    const which = label(statement, index);
    if (statement.NotAction !== undefined) {
      problems.push(`${which} allows every action except some (NotAction): name the actions it needs`);
    }
    if (statement.NotResource !== undefined) {
      problems.push(`${which} applies to every resource except some (NotResource): name the resources`);
    }
    const actions = list(statement.Action);
    for (const action of actions) {
      if (action === "*") problems.push(`${which} allows every action ("*"): name the actions it needs`);
      else if (/^[^:]+:\*$/.test(action)) {
        problems.push(
          `${which} allows every action of ${action.split(":")[0]} ("${action}"): name the actions it needs`,
        );
      } else if (action.includes("*") || action.includes("?")) {
        problems.push(`${which} allows the wildcard action "${action}": name the actions it needs`);
      }
    }
    if (list(statement.Resource).includes("*")) {
      const conditioned =
        statement.Condition !== null &&
        typeof statement.Condition === "object" &&
        Object.keys(statement.Condition).length > 0;
      const describeOnly = actions.length > 0 && actions.every((action) => DESCRIBE_ACTION.test(action));
      const listingOnly = actions.length > 0 && actions.every((action) => UNBOUNDED_LISTINGS.has(action));
      if (!(describeOnly && conditioned) && !listingOnly) {
        problems.push(
          `${which} allows ${actions.join(", ") || "its actions"} on every resource ("*"): name the resources (only read-only Describe actions without resource-level permissions may use "*", and only under a Condition)`,
        );
      }
    }
  });
  return problems;
}

/** Why a trust policy lets anyone assume the role. */
export function trustProblems(value: unknown): string[] {
  const document = policyDocument(value);
  if (document === undefined) return [];
  const problems: string[] = [];
  statements(document).forEach((statement, index) => {
    if (statement.Effect !== "Allow") return;
    const principal = statement.Principal;
    const principals =
      principal !== null && typeof principal === "object"
        ? Object.values(principal).flatMap((v) => list(v))
        : list(principal);
    if (principals.includes("*")) {
      problems.push(
        `${label(statement, index)} of the trust policy lets any principal ("*") assume the role`,
      );
    }
  });
  return problems;
}

/** AWS-managed policies that grant administrator or full access. */
export function broadManagedPolicy(arn: unknown): boolean {
  return (
    typeof arn === "string" &&
    /^arn:aws[a-z-]*:iam::aws:policy\/(.*\/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]+FullAccess)$/.test(
      arn,
    )
  );
}

const PERMISSION_POLICY_TYPES = new Set([
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
]);
const ATTACHMENT_TYPES = new Set([
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  "aws:iam/policyAttachment:PolicyAttachment",
]);

/** Every least-privilege problem of an IAM resource. */
export function iamProblems(type: string, props: unknown): string[] {
  if (PERMISSION_POLICY_TYPES.has(type)) {
    const policy = read(props, "policy");
    return permissionProblems(policy);
  }
  if (ATTACHMENT_TYPES.has(type)) {
    const arn = read(props, "policyArn");
    return broadManagedPolicy(arn) ? [`attaches ${String(arn)}: write a scoped policy instead`] : [];
  }
  if (type === "aws:iam/role:Role") {
    const problems: string[] = [];
    const trust = read(props, "assumeRolePolicy");
    problems.push(...trustProblems(trust));
    const inline = read(props, "inlinePolicies");
    if (Array.isArray(inline)) {
      for (const entry of inline) {
        const policy = read(entry, "policy");
        problems.push(...permissionProblems(policy).map((p) => `inline policy: ${p}`));
      }
    }
    const managed = read(props, "managedPolicyArns");
    if (Array.isArray(managed)) {
      for (const arn of managed) {
        if (broadManagedPolicy(arn)) problems.push(`attaches ${String(arn)}: write a scoped policy instead`);
      }
    }
    return problems;
  }
  return [];
}

export const iamLeastPrivilege: ResourceValidationPolicy = {
  name: "iam-least-privilege",
  description:
    'IAM policies name their actions and resources (no "*", no "service:*"; "*" resources only for read-only Describe actions under a Condition), roles trust named principals, and no administrator or full-access managed policy is attached.',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const problem of iamProblems(args.type, args.props)) reportViolation(`${args.name}: ${problem}.`);
  },
};

/**
 * Guardrail 3: in prod, what holds state or cascades is protected, so `pulumi destroy` or a replacement
 * stops instead of deleting it: releases that install CRDs (deleting a CRD deletes every object of its
 * kind), CRDs, Crossplane providers and XRDs, platform secrets, stateful cloud resources, and the
 * namespaces that hold any of them (deleting a namespace deletes what is inside). The management
 * repository, every environment's source of truth, is protected in every profile.
 *
 * Which stateful things a resource is, is decided by its type and shape, not by its name in this
 * program, so parts added later are covered as soon as they exist. The namespace check is a stack
 * policy: it sees every resource's outputs, where a Release's `namespace` and a Namespace's
 * `metadata.name` are as the provider reports them.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { chartName, configuredProfile, isHelm, PROFILE_CONFIG_SCHEMA, read } from "./lib";

/**
 * Charts that install CustomResourceDefinitions: the platform's operators, and what later parts add
 * (Argo CD, SchemaHero).
 */
export const CRD_BEARING_CHARTS = [
  "cert-manager",
  "external-secrets",
  "crossplane",
  "gha-runner-scale-set-controller",
  "argo-cd",
  "gateway-helm",
  "schemahero",
  "rook-ceph",
] as const;

/** Charts whose release holds data: Rook's cluster chart owns the CephCluster and its pools. */
export const DATA_CHARTS = ["rook-ceph-cluster"] as const;

/** Cloud resources that hold data. */
const STATEFUL_CLOUD_TYPES: Readonly<Record<string, string>> = {
  "aws:secretsmanager/secret:Secret": "a platform secret",
  "aws:rds/instance:Instance": "a database",
  "aws:rds/cluster:Cluster": "a database cluster",
  "aws:s3/bucket:Bucket": "a bucket",
  "aws:s3/bucketV2:BucketV2": "a bucket",
  "aws:dynamodb/table:Table": "a table",
  "aws:efs/fileSystem:FileSystem": "a file system",
  "aws:kms/key:Key": "a KMS key (deleting it makes what it encrypted unreadable)",
};

/** Why a resource must be protected in prod, or undefined. */
export function statefulReason(type: string, props: unknown): string | undefined {
  if (isHelm(type)) {
    const chart = chartName(read(props, "chart"));
    if (chart !== undefined && (DATA_CHARTS as readonly string[]).includes(chart)) {
      return `a release of the ${chart} chart, which holds the cluster's data (uninstalling it deletes the Ceph cluster)`;
    }
    return chart !== undefined && (CRD_BEARING_CHARTS as readonly string[]).includes(chart)
      ? `a release of the ${chart} chart, which installs CRDs (deleting a CRD deletes every object of its kind)`
      : undefined;
  }
  if (type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition") {
    return "a CRD (deleting it deletes every object of its kind)";
  }
  if (/^kubernetes:pkg\.crossplane\.io\/[^:]+:Provider$/.test(type)) {
    return "a Crossplane provider (its managed resources need it to be updated or deleted)";
  }
  if (/^kubernetes:apiextensions\.crossplane\.io\/[^:]+:CompositeResourceDefinition$/.test(type)) {
    return "an XRD (deleting it deletes every composite resource of its kind, databases included)";
  }
  if (type === "kubernetes:core/v1:Secret") return "a platform secret";
  if (type === "kubernetes:core/v1:PersistentVolumeClaim") return "a volume";
  return STATEFUL_CLOUD_TYPES[type];
}

/** The namespace a namespaced resource lives in, when known. */
export function namespaceOf(type: string, props: unknown): string | undefined {
  const namespace = isHelm(type) ? read(props, "namespace") : read(read(props, "metadata"), "namespace");
  return typeof namespace === "string" && namespace !== "" ? namespace : undefined;
}

export const prodProtectsStateful: ResourceValidationPolicy = {
  name: "prod-protects-stateful",
  description:
    "In prod, CRD-bearing releases, CRDs, Crossplane providers and XRDs, platform secrets and stateful cloud resources are protected.",
  enforcementLevel: "mandatory",
  configSchema: PROFILE_CONFIG_SCHEMA,
  validateResource: (args, reportViolation) => {
    if (configuredProfile(args) !== "prod") return;
    const reason = statefulReason(args.type, args.props);
    if (reason !== undefined && !args.opts.protect) {
      reportViolation(
        `${args.name} is ${reason} and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).`,
      );
    }
  },
};

export const prodProtectsStatefulNamespaces: StackValidationPolicy = {
  name: "prod-protects-stateful-namespaces",
  description:
    "In prod, namespaces holding a CRD-bearing release, a platform secret or a volume are protected.",
  enforcementLevel: "mandatory",
  configSchema: PROFILE_CONFIG_SCHEMA,
  validateStack: (args, reportViolation) => {
    if (configuredProfile(args) !== "prod") return;
    const holders = new Map<string, string>();
    for (const resource of args.resources) {
      const reason = statefulReason(resource.type, resource.props);
      const namespace = reason === undefined ? undefined : namespaceOf(resource.type, resource.props);
      if (namespace !== undefined && !holders.has(namespace)) holders.set(namespace, resource.name);
    }
    for (const resource of args.resources) {
      if (resource.type !== "kubernetes:core/v1:Namespace") continue;
      const name = read(read(resource.props, "metadata"), "name");
      if (typeof name !== "string") continue;
      const holder = holders.get(name);
      if (holder !== undefined && !resource.opts.protect) {
        reportViolation(
          `Namespace ${name} holds ${holder}, which prod protects, but is not protected itself (deleting the namespace deletes what it holds): give it statefulProtection(profile).`,
          resource.urn,
        );
      }
    }
  },
};

export const MANAGEMENT_REPOSITORY_DEFAULT = "platform-management";

export const managementRepositoryProtected: ResourceValidationPolicy = {
  name: "management-repository-protected",
  description:
    "The management repository, every environment's GitOps source of truth, is protected in every profile.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      managementRepository: {
        type: "string",
        default: MANAGEMENT_REPOSITORY_DEFAULT,
        description: "Its name, as idp:github.managementRepository says.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if (args.type !== "github:index/repository:Repository") return;
    const wanted =
      args.getConfig<{ managementRepository?: string }>().managementRepository ??
      MANAGEMENT_REPOSITORY_DEFAULT;
    if (read(args.props, "name") === wanted && !args.opts.protect) {
      reportViolation(
        `The management repository ${wanted} is not protected: it is the GitOps source of every environment; register it with protect: true.`,
      );
    }
  },
};

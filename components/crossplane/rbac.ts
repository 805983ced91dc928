/**
 * RBAC for what the compositions compose. Crossplane v2 composes ordinary Kubernetes objects directly,
 * and may only touch kinds its ClusterRole grants: each composition gets an aggregated ClusterRole
 * (`rbac.crossplane.io/aggregate-to-crossplane: "true"`) listing exactly the kinds in its pipeline
 * that Crossplane does not already hold, derived from the composition itself so the two cannot drift.
 */
import type { CompositionObject } from "./pt";

export const AGGREGATE_TO_CROSSPLANE = "rbac.crossplane.io/aggregate-to-crossplane";

/** Resource (plural) names of every kind the compositions compose, by `<group>/<Kind>`. */
export const COMPOSED_RESOURCES: Readonly<Record<string, string>> = {
  "apps/Deployment": "deployments",
  "apps/StatefulSet": "statefulsets",
  "/Service": "services",
  "/PersistentVolumeClaim": "persistentvolumeclaims",
  "autoscaling/HorizontalPodAutoscaler": "horizontalpodautoscalers",
  "policy/PodDisruptionBudget": "poddisruptionbudgets",
  "networking.k8s.io/Ingress": "ingresses",
  "gateway.networking.k8s.io/HTTPRoute": "httproutes",
  "protection.crossplane.io/Usage": "usages",
  "external-secrets.io/ExternalSecret": "externalsecrets",
  "external-secrets.io/PushSecret": "pushsecrets",
  "generators.external-secrets.io/Password": "passwords",
  "databases.schemahero.io/Database": "databases",
  "postgresql.sql.m.crossplane.io/ProviderConfig": "providerconfigs",
  "postgresql.sql.m.crossplane.io/Role": "roles",
  "postgresql.sql.m.crossplane.io/Grant": "grants",
  "postgresql.sql.m.crossplane.io/Database": "databases",
  "rds.aws.m.upbound.io/Instance": "instances",
  "rds.aws.m.upbound.io/SubnetGroup": "subnetgroups",
  "ec2.aws.m.upbound.io/SecurityGroup": "securitygroups",
  "ec2.aws.m.upbound.io/SecurityGroupIngressRule": "securitygroupingressrules",
  // An App on a workload cluster: its objects, applied there by provider-kubernetes.
  "kubernetes.m.crossplane.io/Object": "objects",
};

/**
 * Kinds Crossplane's own ClusterRole already grants with every compose verb (crossplane v2.3.4,
 * cluster/charts/crossplane/templates/clusterrole.yaml: services `*`, apps deployments, and
 * `protection.crossplane.io` `*`): repeating them would only hide what the platform adds.
 */
export const GRANTED_BY_CROSSPLANE: ReadonlySet<string> = new Set([
  "/Service",
  "apps/Deployment",
  "protection.crossplane.io/Usage",
]);

/**
 * API groups served by the Crossplane providers the stacks install: the RBAC manager aggregates an
 * `edit` role (every verb) over each provider's CRDs into Crossplane's ClusterRole (crossplane v2.3.4,
 * internal/controller/rbac/provider/roles/roles.go, RenderClusterRoles). Needs `rbacManager.deploy`.
 */
export const PROVIDER_GROUPS: ReadonlySet<string> = new Set([
  "postgresql.sql.m.crossplane.io",
  "rds.aws.m.upbound.io",
  "ec2.aws.m.upbound.io",
]);

/** What Crossplane does with composed objects: server-side apply, observe, garbage-collect, label (Usages). */
export const COMPOSE_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"] as const;

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

/** The kinds a composition composes, as `<group>/<Kind>`, sorted. */
export function composedKinds(composition: CompositionObject): string[] {
  const kinds = new Set<string>();
  for (const step of composition.spec.pipeline) {
    if (step.input.kind !== "Resources") continue;
    for (const resource of step.input.resources) {
      kinds.add(`${groupOf(resource.base.apiVersion)}/${resource.base.kind}`);
    }
  }
  return [...kinds].sort();
}

/** One rule per API group, naming exactly the composed resources Crossplane does not already hold. */
export function composeRules(composition: CompositionObject): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const kind of composedKinds(composition)) {
    const resource = COMPOSED_RESOURCES[kind];
    if (resource === undefined) {
      throw new Error(`composition ${composition.metadata.name} composes ${kind}, which has no RBAC mapping`);
    }
    const group = kind.slice(0, kind.indexOf("/"));
    if (GRANTED_BY_CROSSPLANE.has(kind) || PROVIDER_GROUPS.has(group)) continue;
    byGroup.set(group, (byGroup.get(group) ?? new Set()).add(resource));
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, resources]) => ({
      apiGroups: [group],
      resources: [...resources].sort(),
      verbs: [...COMPOSE_VERBS],
    }));
}

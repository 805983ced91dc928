/**
 * RBAC for what the compositions compose. Crossplane v2 composes ordinary Kubernetes objects directly,
 * and may only touch kinds its ClusterRole grants: each composition gets an aggregated ClusterRole
 * (`rbac.crossplane.io/aggregate-to-crossplane: "true"`) listing exactly the kinds in its pipeline,
 * derived from the composition itself so the two cannot drift apart.
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
};

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

/** One rule per API group, naming exactly the composed resources of that group. */
export function composeRules(composition: CompositionObject): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const kind of composedKinds(composition)) {
    const resource = COMPOSED_RESOURCES[kind];
    if (resource === undefined) {
      throw new Error(`composition ${composition.metadata.name} composes ${kind}, which has no RBAC mapping`);
    }
    const group = kind.slice(0, kind.indexOf("/"));
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

/**
 * Guardrail: nothing the Kubernetes provider builds as a component itself. `helm.sh/v4:Chart`,
 * `yaml/v2:ConfigGroup`/`ConfigFile` and `kustomize/v2:Directory` are constructed inside the provider:
 * it refuses to build them when the cluster is unreachable (pulumi-kubernetes provider_construct.go:
 * "configured Kubernetes cluster is unreachable"), so a preview without cluster access fails, and the
 * engine hands analyzers the component with no properties at all (pulumi/pulumi#10533), so no other
 * policy can check what it installs. The platform installs charts with `helm.v3.Release` and objects
 * as resources of their own.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

/** The component types the provider constructs, with what to use instead. */
export const PROVIDER_BUILT_COMPONENTS: Readonly<Record<string, string>> = {
  "kubernetes:helm.sh/v4:Chart": "a helm.v3.Release (components/kube.ts helmRelease)",
  "kubernetes:yaml/v2:ConfigGroup":
    "Kubernetes resources of their own, or a helm.v3.Release of a pinned chart",
  "kubernetes:yaml/v2:ConfigFile":
    "Kubernetes resources of their own, or a helm.v3.Release of a pinned chart",
  "kubernetes:kustomize/v2:Directory":
    "Kubernetes resources of their own, or a helm.v3.Release of a pinned chart",
};

export const noClusterBuiltComponents: ResourceValidationPolicy = {
  name: "no-cluster-built-components",
  description:
    "No component the Kubernetes provider builds itself (helm.sh/v4 Chart, yaml/v2 ConfigGroup and ConfigFile, kustomize/v2 Directory): they need the cluster for a preview and show policies nothing.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const instead = PROVIDER_BUILT_COMPONENTS[args.type];
    if (instead === undefined) return;
    // Decided by the type alone: the engine sends these with no properties.
    reportViolation(
      `${args.name} is a ${args.type}, which the Kubernetes provider builds itself: a preview then needs the cluster, and no policy sees what it installs. Use ${instead}.`,
    );
  },
};

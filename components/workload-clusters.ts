/**
 * `WorkloadClusters`: other clusters the control plane delivers to. For each, from credentials an operator
 * keeps in the secrets backend (never in Pulumi state or Git):
 * - an Argo CD cluster registration: a Secret labelled `argocd.argoproj.io/secret-type: cluster` (Argo CD's
 *   declarative cluster, keys `name`, `server`, `config`), made by an ExternalSecret in Argo CD's namespace;
 * - a kubeconfig Secret in Crossplane's namespace, made the same way, and a ClusterProviderConfig named after
 *   the cluster for provider-kubernetes and for provider-helm, so compositions can render onto it.
 *
 * The backend entry at `credentialsKey` holds two properties: `token` (a service account token of the
 * cluster) and `caData` (its CA certificate, base64 PEM). Rotating them is a change in the backend: ESO
 * re-reads it every hour (docs/workload-clusters.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { Readiness, SecretsBackend, StoredSecret } from "./contracts";
import { PLATFORM_LABELS } from "./kube";
import { externalSecret } from "./secrets-backend";

export interface WorkloadCluster {
  /** Name: of the Argo CD registration and of the ProviderConfigs. */
  readonly name: string;
  /** The cluster's API server (https). */
  readonly server: string;
  /** The secrets backend's key of its credentials (properties `token` and `caData`). */
  readonly credentialsKey: string;
  /** Labels on the Argo CD registration (e.g. region, environment), for ApplicationSet cluster generators. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface WorkloadClustersArgs {
  readonly clusters: readonly WorkloadCluster[];
  readonly secrets: SecretsBackend;
  /** Argo CD's namespace (its registrations live there). */
  readonly argocdNamespace: string;
  /** Crossplane's namespace (the kubeconfig Secrets the ProviderConfigs read). */
  readonly crossplaneNamespace: string;
  /** Argo CD installed, and Crossplane's Kubernetes and Helm providers serving their ProviderConfig kinds. */
  readonly after: Readiness;
}

/** The properties the backend entry of a cluster holds. */
export const CLUSTER_CREDENTIAL_PROPERTIES = ["token", "caData"] as const;

/** Argo CD's `config` of a bearer-token cluster, as an ESO template (the values stay in the backend). */
export const ARGOCD_CLUSTER_CONFIG_TEMPLATE =
  '{"bearerToken":"{{ .token }}","tlsClientConfig":{"insecure":false,"caData":"{{ .caData }}"}}';

/** A kubeconfig for one cluster, as an ESO template. */
export function kubeconfigTemplate(cluster: Pick<WorkloadCluster, "name" | "server">): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `  - name: ${cluster.name}`,
    "    cluster:",
    `      server: ${cluster.server}`,
    '      certificate-authority-data: "{{ .caData }}"',
    "users:",
    `  - name: ${cluster.name}`,
    "    user:",
    '      token: "{{ .token }}"',
    "contexts:",
    `  - name: ${cluster.name}`,
    "    context:",
    `      cluster: ${cluster.name}`,
    `      user: ${cluster.name}`,
    `current-context: ${cluster.name}`,
    "",
  ].join("\n");
}

/** Name of the kubeconfig Secret of a cluster in Crossplane's namespace. */
export function kubeconfigSecretName(cluster: string): string {
  return `workload-cluster-${cluster}-kubeconfig`;
}

export class WorkloadClusters extends pulumi.ComponentResource {
  /** The Argo CD registrations and ProviderConfigs, per cluster. */
  public readonly ready: Readiness;

  constructor(name: string, args: WorkloadClustersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:clusters:WorkloadClusters", name, {}, opts);
    const ready: pulumi.Resource[] = [];
    for (const cluster of args.clusters) {
      // Kept by the operator in the backend; Pulumi only names it.
      const credentials: StoredSecret = {
        remoteKey: cluster.credentialsKey,
        properties: [...CLUSTER_CREDENTIAL_PROPERTIES],
        resources: [],
      };
      const data = CLUSTER_CREDENTIAL_PROPERTIES.map((property) => ({
        secretKey: property,
        from: credentials,
        property,
      }));
      const registration = externalSecret(
        `${name}-${cluster.name}-argocd`,
        {
          name: `cluster-${cluster.name}`,
          namespace: args.argocdNamespace,
          store: args.secrets.store,
          data,
          target: {
            labels: { "argocd.argoproj.io/secret-type": "cluster", ...cluster.labels },
            templateData: {
              name: cluster.name,
              server: cluster.server,
              config: ARGOCD_CLUSTER_CONFIG_TEMPLATE,
            },
          },
        },
        { parent: this, dependsOn: [...args.after] },
      );
      const kubeconfig = externalSecret(
        `${name}-${cluster.name}-kubeconfig`,
        {
          name: kubeconfigSecretName(cluster.name),
          namespace: args.crossplaneNamespace,
          store: args.secrets.store,
          data,
          target: { templateData: { kubeconfig: kubeconfigTemplate(cluster) } },
        },
        { parent: this, dependsOn: [...args.after] },
      );
      const secretRef = {
        namespace: args.crossplaneNamespace,
        name: kubeconfigSecretName(cluster.name),
        key: "kubeconfig",
      };
      const providerConfigs = (
        [
          ["kubernetes", "kubernetes.m.crossplane.io/v1alpha1"],
          ["helm", "helm.m.crossplane.io/v1beta1"],
        ] as const
      ).map(
        ([provider, apiVersion]) =>
          new kubernetes.apiextensions.CustomResource(
            `${name}-${cluster.name}-${provider}`,
            {
              apiVersion,
              kind: "ClusterProviderConfig",
              metadata: { name: cluster.name, labels: { ...PLATFORM_LABELS } },
              spec: { credentials: { source: "Secret", secretRef } },
            },
            { parent: this, dependsOn: [...args.after, kubeconfig] },
          ),
      );
      ready.push(registration, ...providerConfigs);
    }
    this.ready = ready;
    this.registerOutputs({ clusters: args.clusters.map((c) => c.name) });
  }
}

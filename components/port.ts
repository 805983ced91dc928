/**
 * `PortExporter`: Port's Kubernetes exporter, which reports what runs in this cluster to Port, onto the
 * runtime blueprints the catalog seeds (components/github/catalog.ts): Argo CD Applications, Apps, their
 * Deployments and SQLDatabases, each related to the catalog entity it runs.
 *
 * - Credentials: the Port client ID and secret go into the secrets backend; an ExternalSecret makes the
 *   Secret the chart reads with `secret.useExistingSecret` (keys PORT_CLIENT_ID and PORT_CLIENT_SECRET,
 *   port-labs/helm-charts port-k8s-exporter-0.3.28, templates/deployment.yaml `envFrom`). Never Helm values.
 * - Mapping: Git is the source of truth. The exporter syncs from the configuration stored in Port and
 *   pushes its file there only on first install or, with `overwriteConfigurationOnRestart`, on every start
 *   (read at port-k8s-exporter v0.7.5, pkg/defaults/init.go; the image is pinned at the chart's 0.7.4); default resources are off so Port's defaults never
 *   replace the mapping. A changed mapping changes the chart's `config-hash` pod label, so it restarts.
 * - RBAC: the chart's ClusterRole is one rule over `clusterRole.apiGroups` × `clusterRole.resources`
 *   (default `*`/`*`, templates/serviceaccount.yaml): off. This component binds its own ClusterRole that
 *   reads exactly the mapped kinds.
 * - Events by polling (the chart's default listener): the Kafka listener would need egress to Port's brokers.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import YAML from "yaml";
import type { Readiness, SecretsBackend } from "./contracts";
import { XR_GROUP, XR_VERSION, BACKSTAGE_ID_LABEL } from "./crossplane/api";
import { XR_PLURALS } from "./crossplane/xrds";
import { PORT_RUNTIME_BLUEPRINTS } from "./github/catalog";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection } from "./kube";
import type { EnvironmentProfile } from "./profile";
import { externalSecret } from "./secrets-backend";
import { CHARTS, IMAGES, mirroredImage, type Mirror } from "./versions";

/** Port's API per region (the chart's `portBaseUrl`). */
export const PORT_API_URLS = { eu: "https://api.getport.io", us: "https://api.us.getport.io" } as const;
export type PortRegion = keyof typeof PORT_API_URLS;

export interface PortExporterArgs {
  /** Protection of the exporter's namespace, as the profile says. */
  readonly profile: EnvironmentProfile;
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** The environment (stack) this cluster serves: every runtime entity's identifier ends in `-<environment>`. */
  readonly environment: string;
  /** Name of the cluster: the exporter's state key in Port, so each cluster owns its own entities. */
  readonly clusterName: string;
  /** Port region of the organization's account. */
  readonly region: PortRegion;
  /** Port client ID and secret (Port: Settings, Credentials); written into the secrets backend. */
  readonly credentials: {
    readonly clientId: pulumi.Input<string>;
    readonly clientSecret: pulumi.Input<string>;
  };
  readonly secrets: SecretsBackend;
  /** What must be served before the exporter starts: it resolves every mapped kind at start. */
  readonly after: Readiness;
}

export const PORT_EXPORTER_DEFAULTS = {
  namespace: "port-k8s-exporter",
  releaseName: "port-k8s-exporter",
  serviceAccount: "port-k8s-exporter",
  /** The Secret the ExternalSecret creates and the chart reads (secret.useExistingSecret). */
  credentialsSecret: "port-credentials",
  /** Seconds between the polling listener's checks for a changed mapping in Port. */
  pollingRate: 60,
} as const;

/** A kind the exporter reads: `group/version/resource` (core: `version/resource`), as its mapping names it. */
interface MappedKind {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** Every kind the mapping reads, and so every kind the exporter's ClusterRole may read. */
export const PORT_MAPPED_KINDS = {
  application: { group: "argoproj.io", version: "v1alpha1", resource: "applications" },
  app: { group: XR_GROUP, version: XR_VERSION, resource: XR_PLURALS.app },
  deployment: { group: "apps", version: "v1", resource: "deployments" },
  sqlDatabase: { group: XR_GROUP, version: XR_VERSION, resource: XR_PLURALS.sqlDatabase },
} as const satisfies Record<string, MappedKind>;

function kindPath(kind: MappedKind): string {
  return kind.group === ""
    ? `${kind.version}/${kind.resource}`
    : `${kind.group}/${kind.version}/${kind.resource}`;
}

/** A jq string literal (the exporter evaluates every mapping value as jq). */
function jqString(value: string): string {
  return JSON.stringify(value);
}

/**
 * The exporter's mapping (its `config.yaml`): one entity per object and environment, identifiers
 * `<name>-<environment>`, relations to the catalog's entities by name (the App composition labels what it
 * composes with the App's name; a SQLDatabase is its app's `<name>-database` Resource).
 */
export function portExporterMapping(environment: string): Record<string, unknown> {
  const B = PORT_RUNTIME_BLUEPRINTS;
  const env = jqString(environment);
  const suffix = `+ ${jqString(`-${environment}`)}`;
  const ready = '((.status.conditions // []) | map(select(.type == "Ready")) | .[0].status) == "True"';
  // Argo CD's annotation tracking: `<application>:<group>/<kind>:<namespace>/<name>`.
  const trackedBy = `(.metadata.annotations["argocd.argoproj.io/tracking-id"] // "" | split(":")[0]) as $a | if $a == "" then null else $a ${suffix} end`;
  const common = { environment: env, namespace: ".metadata.namespace" };
  const resource = (kind: MappedKind, query: string, mapping: Record<string, unknown>) => ({
    kind: kindPath(kind),
    selector: { query },
    port: { entity: { mappings: [mapping] } },
  });
  const K = PORT_MAPPED_KINDS;
  return {
    deleteDependents: false,
    // An object whose catalog entity is missing still appears (a placeholder entity is created).
    createMissingRelatedEntities: true,
    resources: [
      resource(K.application, "true", {
        identifier: `.metadata.name ${suffix}`,
        title: `.metadata.name + " (" + ${env} + ")"`,
        blueprint: jqString(B.application),
        properties: {
          ...common,
          syncStatus: ".status.sync.status",
          healthStatus: ".status.health.status",
          path: ".spec.source.path",
          revision: ".status.sync.revision",
        },
        relations: { system: '.metadata.labels["idp.platform/team"]' },
      }),
      resource(K.app, "true", {
        identifier: `.metadata.name ${suffix}`,
        title: `.metadata.name + " (" + ${env} + ")"`,
        blueprint: jqString(B.appInstance),
        properties: {
          ...common,
          image: ".spec.image",
          url: ".status.url",
          ready,
          availableReplicas: ".status.availableReplicas",
        },
        relations: { component: ".metadata.name", application: trackedBy },
      }),
      resource(K.deployment, `.metadata.labels["${BACKSTAGE_ID_LABEL}"] != null`, {
        identifier: `.metadata.name + "-deployment" ${suffix}`,
        title: `.metadata.name + " (" + ${env} + ")"`,
        blueprint: jqString(B.workload),
        properties: {
          ...common,
          kind: jqString("Deployment"),
          image: ".spec.template.spec.containers[0].image",
          replicas: ".spec.replicas",
          availableReplicas: ".status.availableReplicas",
        },
        relations: { appInstance: `.metadata.labels["${BACKSTAGE_ID_LABEL}"] ${suffix}` },
      }),
      resource(K.sqlDatabase, "true", {
        identifier: `.metadata.name + "-database" ${suffix}`,
        title: `.metadata.name + " database (" + ${env} + ")"`,
        blueprint: jqString(B.databaseInstance),
        properties: {
          ...common,
          engine: ".spec.engine",
          version: ".spec.version",
          size: ".spec.size",
          address: ".status.address",
          ready,
        },
        relations: { resource: '.metadata.name + "-database"' },
      }),
    ],
  };
}

/** The exporter's ClusterRole rules: read (get, list, watch) the mapped kinds, one rule per group. */
export function portExporterRules(): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  const byGroup = new Map<string, string[]>();
  for (const kind of Object.values(PORT_MAPPED_KINDS)) {
    byGroup.set(kind.group, [...(byGroup.get(kind.group) ?? []), kind.resource]);
  }
  return [...byGroup].map(([group, resources]) => ({
    apiGroups: [group],
    resources: [...resources].sort(),
    verbs: ["get", "list", "watch"],
  }));
}

export class PortExporter extends pulumi.ComponentResource {
  public readonly release: kubernetes.helm.v3.Release;

  constructor(name: string, args: PortExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:portal:PortExporter", name, {}, opts);
    const D = PORT_EXPORTER_DEFAULTS;
    // Protected like every platform namespace: deleting it would delete the release's objects with it.
    const ns = namespace(
      `${name}-ns`,
      { name: D.namespace, podSecurity: "restricted" },
      { parent: this, ...statefulProtection(args.profile) },
    );
    const stored = args.secrets.put(
      `${name}-credentials`,
      {
        name: "port/credentials",
        data: { clientId: args.credentials.clientId, clientSecret: args.credentials.clientSecret },
        description: "Port client ID and secret of the Kubernetes exporter and the catalog workflow.",
      },
      { parent: this },
    );
    const credentials = externalSecret(
      `${name}-credentials-secret`,
      {
        name: D.credentialsSecret,
        namespace: ns.metadata.name,
        store: args.secrets.store,
        data: [
          { secretKey: "PORT_CLIENT_ID", from: stored, property: "clientId" },
          { secretKey: "PORT_CLIENT_SECRET", from: stored, property: "clientSecret" },
        ],
      },
      { parent: this },
    );
    const account = new kubernetes.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: D.serviceAccount, namespace: ns.metadata.name, labels: { ...PLATFORM_LABELS } } },
      { parent: this },
    );
    const role = new kubernetes.rbac.v1.ClusterRole(
      `${name}-reader`,
      {
        metadata: { name: "idp-port-k8s-exporter", labels: { ...PLATFORM_LABELS } },
        rules: portExporterRules(),
      },
      { parent: this },
    );
    const binding = new kubernetes.rbac.v1.ClusterRoleBinding(
      `${name}-reader-binding`,
      {
        metadata: { name: "idp-port-k8s-exporter", labels: { ...PLATFORM_LABELS } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: D.namespace }],
      },
      { parent: this },
    );
    this.release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.portK8sExporter,
        mirror: args.mirror,
        releaseName: D.releaseName,
        namespace: ns.metadata.name,
        values: {
          image: {
            repository: mirroredImage(IMAGES.portExporter.image, args.mirror),
            tag: IMAGES.portExporter.tag,
          },
          portBaseUrl: PORT_API_URLS[args.region],
          // One state key per cluster: each cluster's exporter owns its own integration in Port. The chart
          // lowercases it and keeps the first one it wrote (templates/configmap.yaml, lookup); the prefix
          // keeps an all-digit cluster name from rendering as a number.
          stateKey: `idp-${args.clusterName}`,
          createDefaultResources: false,
          overwriteConfigurationOnRestart: true,
          eventListener: { type: "POLLING", pollingRate: D.pollingRate },
          secret: { useExistingSecret: true, name: D.credentialsSecret },
          serviceAccount: { create: false, name: D.serviceAccount },
          // The chart sets no security context; the namespace enforces Pod Security "restricted".
          podSecurityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
          configMap: { config: YAML.stringify(portExporterMapping(args.environment)) },
        },
      },
      { parent: this, dependsOn: [credentials, binding, ...args.after] },
    );
    this.registerOutputs({ release: this.release.status });
  }
}

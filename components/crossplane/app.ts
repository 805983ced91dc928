/**
 * The `App` composition: a backend application behind the stack's ingress layer.
 *
 * Composes, in the App's namespace: Deployment, Service, the route (a Gateway API HTTPRoute on the
 * shared Gateway's HTTPS listener, or an Ingress with a cert-manager certificate), a
 * HorizontalPodAutoscaler and a PodDisruptionBudget, plus, when `spec.database` is set, a Usage that
 * keeps the SQLDatabase from being deleted while the App runs.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { IngressLayerRef } from "../contracts";
import { BACKSTAGE_ID_LABEL, databaseConnectionSecret, XR_API_VERSION, XR_KINDS } from "./api";
import {
  asBase,
  combineFromXr,
  appendFromXr,
  combineToXr,
  composition,
  type ComposedTemplate,
  type CompositionObject,
  format,
  fromXr,
  literalForFormat,
  type Patch,
  READY,
  requiredFromXr,
  toXr,
} from "./pt";

export const APP_NAME_LABEL = "app.kubernetes.io/name";

/** Labels on every object the App composition creates (the name label is patched per App). */
const COMPOSED_LABELS = {
  "app.kubernetes.io/part-of": "idp",
  "app.kubernetes.io/managed-by": "crossplane",
} as const;

/** The Service's port; the container port is the App's `spec.port`. */
export const APP_SERVICE_PORT = 80;

export interface AppCompositionOptions {
  /** Composition name (the XRD's default composition). */
  readonly name: string;
  /** Platform domain: the default host is `<name>.<domain>`. */
  readonly domain: string;
  /** How the stack exposes HTTP: the route kind and where it attaches. */
  readonly ingress: IngressLayerRef;
  /**
   * Image pull Secret every App's pods name (the registry login each team namespace gets). Default none:
   * images must be public.
   */
  readonly imagePullSecret?: string;
}

/** Patches every composed object gets: its name and its labels follow the App's name. */
function named(suffix = ""): Patch[] {
  return [
    suffix === ""
      ? fromXr("metadata.name", "metadata.name")
      : fromXr("metadata.name", "metadata.name", format(`%s${suffix}`)),
    ...appLabels("metadata.labels"),
  ];
}

/** The App's name as the name label and as the label Backstage finds the App's objects by. */
function appLabels(labels: string): Patch[] {
  return [APP_NAME_LABEL, BACKSTAGE_ID_LABEL].map((key) => fromXr("metadata.name", `${labels}[${key}]`));
}

function deployment(imagePullSecret: string | undefined): ComposedTemplate {
  const base: k8s.types.input.apps.v1.Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    // On a workload cluster the Object's patch puts the cluster's name here instead.
    metadata: { labels: { ...COMPOSED_LABELS, [CLUSTER_LABEL]: CONTROL_PLANE } },
    spec: {
      // No replicas: the HorizontalPodAutoscaler owns the count.
      revisionHistoryLimit: 5,
      selector: { matchLabels: {} },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...COMPOSED_LABELS } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(imagePullSecret !== undefined ? { imagePullSecrets: [{ name: imagePullSecret }] } : {}),
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "app",
              ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
              // The port the App says it listens on; the App's own env is appended after it.
              env: [{ name: "PORT", value: "" }],
              resources: { requests: {}, limits: {} },
              readinessProbe: {
                httpGet: { path: "", port: "http" },
                periodSeconds: 5,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: "", port: "http" },
                initialDelaySeconds: 10,
                periodSeconds: 10,
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
        },
      },
    },
  };
  const container = "spec.template.spec.containers[0]";
  return {
    name: "deployment",
    base: asBase(base),
    patches: [
      ...named(),
      fromXr("metadata.name", `spec.selector.matchLabels[${APP_NAME_LABEL}]`),
      ...appLabels("spec.template.metadata.labels"),
      requiredFromXr("spec.image", `${container}.image`),
      fromXr("spec.port", `${container}.ports[0].containerPort`),
      // A float64 here (every number is one in a function, see pt.ts): `convert` prints it as an integer.
      fromXr("spec.port", `${container}.env[0].value`, { type: "convert", convert: { toType: "string" } }),
      fromXr("spec.healthPath", `${container}.readinessProbe.httpGet.path`),
      fromXr("spec.healthPath", `${container}.livenessProbe.httpGet.path`),
      fromXr("spec.resources.cpu", `${container}.resources.requests.cpu`),
      fromXr("spec.resources.memory", `${container}.resources.requests.memory`),
      fromXr("spec.resources.memory", `${container}.resources.limits.memory`),
      // Appended to PORT, not replacing it (the XRD refuses a PORT of the App's own).
      appendFromXr("spec.env", `${container}.env`),
      // With a database, every key of its connection Secret becomes an environment variable.
      fromXr(
        "spec.database.name",
        `${container}.envFrom[0].secretRef.name`,
        format(databaseConnectionSecret("%s")),
      ),
      toXr("status.availableReplicas", "status.availableReplicas"),
      toXr(`metadata.labels[${CLUSTER_LABEL}]`, "status.cluster"),
    ],
    readinessChecks: READY.condition("Available"),
  };
}

function service(): ComposedTemplate {
  const base: k8s.types.input.core.v1.Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { labels: { ...COMPOSED_LABELS } },
    spec: {
      type: "ClusterIP",
      selector: {},
      ports: [{ name: "http", port: APP_SERVICE_PORT, targetPort: "http", protocol: "TCP" }],
    },
  };
  return {
    name: "service",
    base: asBase(base),
    patches: [...named(), fromXr("metadata.name", `spec.selector[${APP_NAME_LABEL}]`)],
    readinessChecks: READY.none,
  };
}

/** The default host `<name>.<domain>`, then `spec.host` when the App sets one. */
function hostPatches(to: readonly string[], domain: string): Patch[] {
  return to.flatMap((path) => [
    combineFromXr(`%s.${literalForFormat(domain)}`, ["metadata.name"], path),
    fromXr("spec.host", path),
  ]);
}

function route(options: AppCompositionOptions): ComposedTemplate {
  const ingress = options.ingress;
  if (ingress.kind === "gateway") {
    const base = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { labels: { ...COMPOSED_LABELS } },
      spec: {
        parentRefs: [
          {
            group: "gateway.networking.k8s.io",
            kind: "Gateway",
            name: ingress.gatewayName,
            namespace: ingress.gatewayNamespace,
            sectionName: ingress.httpsListener,
          },
        ],
        hostnames: [] as string[],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            backendRefs: [{ group: "", kind: "Service", port: APP_SERVICE_PORT }],
          },
        ],
      },
    };
    return {
      name: "route",
      base: asBase(base),
      patches: [
        ...named(),
        ...hostPatches(["spec.hostnames[0]"], options.domain),
        fromXr("metadata.name", "spec.rules[0].backendRefs[0].name"),
        combineToXr("https://%s", ["spec.hostnames[0]"], "status.url"),
      ],
      // Acceptance is reported per parent (status.parents[]), which readiness checks cannot select.
      readinessChecks: READY.none,
    };
  }
  const base: k8s.types.input.networking.v1.Ingress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      labels: { ...COMPOSED_LABELS },
      // cert-manager's ingress-shim issues the certificate into the TLS secret below.
      annotations: { "cert-manager.io/cluster-issuer": ingress.clusterIssuer },
    },
    spec: {
      ingressClassName: ingress.ingressClassName,
      tls: [{ hosts: [], secretName: "" }],
      rules: [
        {
          host: "",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "", port: { number: APP_SERVICE_PORT } } },
              },
            ],
          },
        },
      ],
    },
  };
  return {
    name: "route",
    base: asBase(base),
    patches: [
      ...named(),
      ...hostPatches(["spec.rules[0].host", "spec.tls[0].hosts[0]"], options.domain),
      fromXr("metadata.name", "spec.tls[0].secretName", format("%s-tls")),
      fromXr("metadata.name", "spec.rules[0].http.paths[0].backend.service.name"),
      combineToXr("https://%s", ["spec.rules[0].host"], "status.url"),
    ],
    readinessChecks: READY.none,
  };
}

function autoscaler(): ComposedTemplate {
  const base: k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { labels: { ...COMPOSED_LABELS } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "" },
      minReplicas: 1,
      maxReplicas: 1,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    },
  };
  return {
    name: "autoscaler",
    base: asBase(base),
    patches: [
      ...named(),
      fromXr("metadata.name", "spec.scaleTargetRef.name"),
      fromXr("spec.replicas.min", "spec.minReplicas"),
      fromXr("spec.replicas.max", "spec.maxReplicas"),
      fromXr("spec.replicas.targetCPUUtilization", "spec.metrics[0].resource.target.averageUtilization"),
    ],
    readinessChecks: READY.condition("AbleToScale"),
  };
}

function disruptionBudget(): ComposedTemplate {
  const base: k8s.types.input.policy.v1.PodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { labels: { ...COMPOSED_LABELS } },
    // maxUnavailable rather than minAvailable: a single-replica App must not block node drains forever.
    spec: { maxUnavailable: 1, selector: { matchLabels: {} } },
  };
  return {
    name: "disruption-budget",
    base: asBase(base),
    patches: [...named(), fromXr("metadata.name", `spec.selector.matchLabels[${APP_NAME_LABEL}]`)],
    readinessChecks: READY.none,
  };
}

/** The label every App workload carries: where it runs (`control-plane` or a workload cluster's name). */
export const CLUSTER_LABEL = "idp.platform/cluster";
export const CONTROL_PLANE = "control-plane";

/** provider-kubernetes v1.2.1's namespaced Object: a manifest applied through a ProviderConfig. */
export const OBJECT_API_VERSION = "kubernetes.m.crossplane.io/v1alpha1";

/** Prefix of the composed resources that run an App on a workload cluster. */
export const REMOTE_PREFIX = "remote-";

/**
 * The same template on the App's workload cluster: an Object wrapping its manifest, applied through the
 * ClusterProviderConfig named after the cluster, in the App's namespace there. Patches write inside the
 * manifest; observed fields are read back from the Object's copy of the object (status.atProvider.manifest).
 */
function onWorkloadCluster(template: ComposedTemplate): ComposedTemplate {
  const manifest = "spec.forProvider.manifest";
  const patches = (template.patches ?? []).map((patch): Patch => {
    if (patch.type === "ToCompositeFieldPath") {
      return { ...patch, fromFieldPath: `status.atProvider.manifest.${patch.fromFieldPath}` };
    }
    return { ...patch, toFieldPath: `${manifest}.${patch.toFieldPath}` };
  });
  return {
    name: `${REMOTE_PREFIX}${template.name}`,
    base: {
      apiVersion: OBJECT_API_VERSION,
      kind: "Object",
      metadata: { labels: { ...COMPOSED_LABELS } },
      spec: {
        forProvider: { manifest: template.base },
        providerConfigRef: { kind: "ClusterProviderConfig", name: "" },
      },
    },
    patches: [
      fromXr("metadata.name", "metadata.name", format(`%s-${template.base.kind.toLowerCase()}`)),
      ...appLabels("metadata.labels"),
      fromXr("spec.cluster", `metadata.labels[${CLUSTER_LABEL}]`),
      fromXr("spec.cluster", "spec.providerConfigRef.name"),
      fromXr("metadata.namespace", `${manifest}.metadata.namespace`),
      fromXr("spec.cluster", `${manifest}.metadata.labels[${CLUSTER_LABEL}]`),
      ...patches,
    ],
    // The Object is Ready once the provider applied the manifest there.
    readinessChecks: READY.ready,
  };
}

/** Name of the App's database Usage in the composition; filtered out when the App has no database. */
export const DATABASE_USAGE = "database-usage";

function databaseUsage(): ComposedTemplate {
  return {
    name: DATABASE_USAGE,
    base: {
      apiVersion: "protection.crossplane.io/v1beta1",
      kind: "Usage",
      metadata: { labels: { ...COMPOSED_LABELS } },
      spec: {
        of: { apiVersion: XR_API_VERSION, kind: XR_KINDS.sqlDatabase, resourceRef: { name: "" } },
        // The App's own Deployment: it is what reads the database.
        by: { apiVersion: "apps/v1", kind: "Deployment", resourceSelector: { matchControllerRef: true } },
        // Deleting a database and its apps together: the database's deletion is retried once the
        // apps are gone, instead of failing.
        replayDeletion: true,
      },
    },
    patches: [
      ...named("-database"),
      // Optional, not Required: without a database this resource is filtered out in the next step,
      // and a Required patch would fail the whole pipeline before that.
      fromXr("spec.database.name", "spec.of.resourceRef.name"),
    ],
    readinessChecks: READY.none,
  };
}

export function appComposition(options: AppCompositionOptions): CompositionObject {
  // What runs the App: here, or (spec.cluster) on a workload cluster, where the route is that cluster's own.
  const workload = {
    deployment: deployment(options.imagePullSecret),
    service: service(),
    autoscaler: autoscaler(),
    disruptionBudget: disruptionBudget(),
  };
  const local = [
    workload.deployment,
    workload.service,
    route(options),
    workload.autoscaler,
    workload.disruptionBudget,
  ];
  const remote = Object.values(workload).map(onWorkloadCluster);
  const onCluster = "has(observed.composite.resource.spec.cluster)";
  return composition({
    name: options.name,
    kind: XR_KINDS.app,
    labels: { "app.kubernetes.io/part-of": "idp", "idp.platform/route": options.ingress.kind },
    resources: [...local, databaseUsage(), ...remote],
    filters: [
      { name: DATABASE_USAGE, expression: "has(observed.composite.resource.spec.database)" },
      ...local.map((template) => ({ name: template.name, expression: `!${onCluster}` })),
      ...remote.map((template) => ({ name: template.name, expression: onCluster })),
    ],
  });
}

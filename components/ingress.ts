/**
 * The ingress layer: how the platform's HTTP services reach users.
 *
 * - `gateway` (default): Envoy Gateway, one GatewayClass and one shared Gateway with an HTTP listener
 *   (redirects to HTTPS, and serves ACME HTTP-01 challenges) and an HTTPS listener whose certificate is a
 *   cert-manager `Certificate`. Routes of any namespace attach to it.
 * - `nginx`: ingress-nginx 4.15.1, the project's final release (retired upstream), one IngressClass;
 *   cert-manager's ingress-shim issues a certificate per Ingress.
 *
 * `expose()` is the one way other parts publish a service; it renders an HTTPRoute or an Ingress for
 * whichever layer the stack uses.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile } from "./profile";
import type { Http01Route, TlsIssuerRef } from "./cert-manager";
import type { IngressLayerRef, Readiness } from "./contracts";
import { ROUTES_LABEL } from "./conventions";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection, waitFor } from "./kube";
import { CHARTS, ENVOY_PROXY_IMAGE, mirroredImage, type Mirror } from "./versions";

export type IngressController = "gateway" | "nginx";

/** Names every part agrees on, known before anything is created (cert-manager's solvers need them). */
export const INGRESS_NAMES = {
  gateway: {
    namespace: "envoy-gateway-system",
    releaseName: "envoy-gateway",
    gatewayClass: "envoy-gateway",
    controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
    proxyConfig: "platform-proxy",
    gateway: "platform",
    httpListener: "http",
    httpsListener: "https",
    tlsSecret: "platform-gateway-tls",
    httpsRedirect: "platform-https-redirect",
  },
  nginx: {
    namespace: "ingress-nginx",
    releaseName: "ingress-nginx",
    ingressClass: "nginx",
  },
} as const;

/** Where cert-manager serves HTTP-01 challenges for a stack using `controller`. */
export function http01RouteFor(controller: IngressController): Http01Route {
  if (controller === "gateway") {
    const names = INGRESS_NAMES.gateway;
    return {
      kind: "gateway",
      gatewayName: names.gateway,
      gatewayNamespace: names.namespace,
      httpListener: names.httpListener,
    };
  }
  return { kind: "nginx", ingressClassName: INGRESS_NAMES.nginx.ingressClass };
}

export interface ProxyServiceArgs {
  /** `LoadBalancer` (cloud) or `NodePort` (kind). */
  readonly type: "LoadBalancer" | "NodePort";
  /** Fixed node ports (NodePort only), so kind's extraPortMappings can target them. */
  readonly nodePorts?: { readonly http: number; readonly https: number };
  /** Annotations of the Service, e.g. for an AWS NLB. */
  readonly annotations: Readonly<Record<string, string>>;
}

export const INGRESS_DEFAULTS = {
  // Memory limits only; no CPU limits on the data path.
  resources: {
    envoyGateway: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1024Mi" } },
    envoyProxy: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1024Mi" } },
    nginx: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
  },
} as const;

// ---------------------------------------------------------------------------------------------

export interface EnvoyGatewayControllerArgs {
  /** Replicas and protection per profile. */
  readonly profile: EnvironmentProfile;
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
}

/**
 * Envoy Gateway's controller with the Gateway API CRDs and its own, from one Helm release of the pinned
 * `gateway-helm` chart: the CRDs sit in the chart's `crds` subchart's `crds/` folder, which Helm installs
 * before anything else and never stores in the release record (envoyproxy/gateway#8283, from v1.8), so
 * the release stays far below Helm's 1 MiB limit. A Helm release also previews without a cluster: the
 * Kubernetes provider's Check loads the chart from its (mirrorable) registry and keeps its CRDs for
 * the Gateway objects' preview.
 *
 * Helm installs `crds/` once and never upgrades it: a version bump applies the new CRDs first
 * (docs/runbooks/upgrade.md, "Envoy Gateway"). The bundle is Gateway API's experimental channel, a
 * superset of the standard channel the platform's objects use. Created before cert-manager, which
 * starts its Gateway API support only when the CRDs exist.
 */
export class EnvoyGatewayController extends pulumi.ComponentResource {
  public readonly namespace: kubernetes.core.v1.Namespace;
  public readonly release: kubernetes.helm.v3.Release;
  /** The CRDs exist and the controller runs. */
  public readonly ready: Readiness;

  constructor(name: string, args: EnvoyGatewayControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:ingress:EnvoyGatewayController", name, {}, opts);
    const names = INGRESS_NAMES.gateway;
    const replicas = args.profile.controllerReplicas;
    // Protected like the other CRD-bearing releases (deleting a CRD deletes every object of its kind).
    const protection = statefulProtection(args.profile);
    this.namespace = namespace(
      `${name}-namespace`,
      // Envoy Gateway's controller and proxies run as non-root with every capability dropped.
      {
        name: names.namespace,
        podSecurity: "restricted",
        // The HTTPS redirect and ACME challenge routes live here.
        labels: { [ROUTES_LABEL.key]: ROUTES_LABEL.value },
      },
      { parent: this, ...protection },
    );
    this.release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.envoyGateway,
        mirror: args.mirror,
        releaseName: names.releaseName,
        namespace: this.namespace.metadata.name,
        values: {
          crds: { enabled: true },
          deployment: {
            replicas,
            envoyGateway: { resources: INGRESS_DEFAULTS.resources.envoyGateway },
          },
          podDisruptionBudget: { minAvailable: replicas > 1 ? 1 : 0 },
          config: {
            envoyGateway: {
              gateway: { controllerName: names.controllerName },
              provider: { type: "Kubernetes" },
            },
          },
        },
      },
      { parent: this, ...protection },
    );
    this.ready = [this.release];
    this.registerOutputs({});
  }
}

// ---------------------------------------------------------------------------------------------

export interface IngressLayerArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Environment profile: replicas and protection. */
  readonly profile: EnvironmentProfile;
  /** Base DNS domain; the Gateway's listeners answer for `*.<domain>`. */
  readonly domain: string;
  /** `gateway` (Envoy Gateway, recommended) or `nginx` (ingress-nginx, retired upstream). */
  readonly controller: IngressController;
  /** The proxies' Service. */
  readonly service: ProxyServiceArgs;
  /** The issuer of the shared Gateway's certificate and of ingress-shim. */
  readonly tls: TlsIssuerRef;
  /**
   * Hosts known at deploy time (Argo CD, the config's apps). When the issuer cannot sign a wildcard
   * (ACME with HTTP-01), the Gateway's certificate names exactly these; other hosts need DNS-01.
   */
  readonly hosts: readonly string[];
  /** Envoy Gateway's controller and the Gateway API CRDs (required for `gateway`). */
  readonly envoyGateway?: EnvoyGatewayController;
}

/** Misuse of the component (config validation reports the same problems earlier, with the key to fix). */
export function ingressLayerArgsProblems(args: IngressLayerArgs): string[] {
  const problems: string[] = [];
  if (args.service.nodePorts !== undefined && args.service.type !== "NodePort") {
    problems.push("nodePorts need the NodePort service type");
  }
  if (args.controller === "gateway") {
    if (args.envoyGateway === undefined) {
      problems.push("the gateway controller needs Envoy Gateway's controller and the Gateway API CRDs");
    }
    if (!args.tls.wildcard && args.hosts.length === 0) {
      problems.push("no hosts for the Gateway certificate (its issuer cannot sign a wildcard)");
    }
  }
  return problems;
}

export class IngressLayer extends pulumi.ComponentResource {
  /** What other parts use to expose services (see `expose`). */
  public readonly ref: IngressLayerRef;
  public readonly ready: Readiness;
  public readonly release: kubernetes.helm.v3.Release;
  /** The names on the Gateway's certificate (gateway layer). */
  public readonly certificateDnsNames?: readonly string[];

  constructor(name: string, args: IngressLayerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:ingress:IngressLayer", name, {}, opts);
    const problems = ingressLayerArgsProblems(args);
    if (problems.length > 0) throw new Error(`IngressLayer ${name}: ${problems.join("; ")}`);
    const protection = statefulProtection(args.profile);

    if (args.controller === "gateway") {
      const built = this.buildGateway(name, args, args.envoyGateway!);
      this.release = built.release;
      this.certificateDnsNames = built.dnsNames;
      this.ready = [built.release, built.gateway];
      const names = INGRESS_NAMES.gateway;
      this.ref = {
        kind: "gateway",
        gatewayName: names.gateway,
        gatewayNamespace: names.namespace,
        httpsListener: names.httpsListener,
        ready: this.ready,
      };
    } else {
      this.release = this.buildNginx(name, args, protection);
      this.ready = [this.release, ...args.tls.ready];
      this.ref = {
        kind: "nginx",
        ingressClassName: INGRESS_NAMES.nginx.ingressClass,
        clusterIssuer: args.tls.name,
        ready: this.ready,
      };
    }

    this.registerOutputs({ kind: this.ref.kind });
  }

  private buildGateway(name: string, args: IngressLayerArgs, controller: EnvoyGatewayController) {
    const names = INGRESS_NAMES.gateway;
    const replicas = args.profile.controllerReplicas;
    const ns = controller.namespace;
    const release = controller.release;

    const service = args.service;
    const proxyConfig = new kubernetes.apiextensions.CustomResource(
      `${name}-proxy-config`,
      {
        apiVersion: "gateway.envoyproxy.io/v1alpha1",
        kind: "EnvoyProxy",
        metadata: { name: names.proxyConfig, namespace: names.namespace, labels: { ...PLATFORM_LABELS } },
        spec: {
          provider: {
            type: "Kubernetes",
            kubernetes: {
              envoyDeployment: {
                replicas,
                container: {
                  resources: INGRESS_DEFAULTS.resources.envoyProxy,
                  // The release's own tag stays (Envoy Gateway picks it); only the repository moves.
                  ...(args.mirror !== undefined
                    ? {
                        imageRepository: mirroredImage(ENVOY_PROXY_IMAGE, args.mirror).replace(
                          /:[^:/]+$/,
                          "",
                        ),
                      }
                    : {}),
                },
              },
              ...(replicas > 1 ? { envoyPDB: { minAvailable: 1 } } : {}),
              envoyService: {
                type: service.type,
                annotations: { ...service.annotations },
                ...(service.nodePorts !== undefined
                  ? {
                      // Service ports equal the listener ports; pin their node ports for kind.
                      patch: {
                        type: "StrategicMerge",
                        value: {
                          spec: {
                            ports: [
                              { port: 80, nodePort: service.nodePorts.http },
                              { port: 443, nodePort: service.nodePorts.https },
                            ],
                          },
                        },
                      },
                    }
                  : {}),
              },
            },
          },
        },
      },
      { parent: this, dependsOn: [release] },
    );

    const gatewayClass = new kubernetes.apiextensions.CustomResource(
      `${name}-class`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: {
          name: names.gatewayClass,
          labels: { ...PLATFORM_LABELS },
          annotations: waitFor("condition=Accepted"),
        },
        spec: {
          controllerName: names.controllerName,
          parametersRef: {
            group: "gateway.envoyproxy.io",
            kind: "EnvoyProxy",
            name: names.proxyConfig,
            namespace: names.namespace,
          },
        },
      },
      { parent: this, dependsOn: [release, proxyConfig] },
    );

    const dnsNames = args.tls.wildcard ? [`*.${args.domain}`] : [...new Set(args.hosts)].sort();
    // No waitFor: with HTTP-01 the challenge is served through this very Gateway, so the Gateway must
    // not wait for the certificate. The HTTPS listener serves as soon as cert-manager writes the Secret.
    const certificate = new kubernetes.apiextensions.CustomResource(
      `${name}-certificate`,
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: names.tlsSecret, namespace: names.namespace, labels: { ...PLATFORM_LABELS } },
        spec: {
          secretName: names.tlsSecret,
          dnsNames,
          privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
          issuerRef: { group: "cert-manager.io", kind: args.tls.kind, name: args.tls.name },
        },
      },
      { parent: this, dependsOn: [...args.tls.ready, ns] },
    );

    const hostname = `*.${args.domain}`;
    // Only namespaces the platform labels may attach routes (and so claim hosts): not every namespace.
    const allRoutes = {
      namespaces: { from: "Selector", selector: { matchLabels: { [ROUTES_LABEL.key]: ROUTES_LABEL.value } } },
    };
    const gateway = new kubernetes.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: {
          name: names.gateway,
          namespace: names.namespace,
          labels: { ...PLATFORM_LABELS },
          annotations: waitFor("condition=Accepted"),
        },
        spec: {
          gatewayClassName: names.gatewayClass,
          listeners: [
            { name: names.httpListener, protocol: "HTTP", port: 80, hostname, allowedRoutes: allRoutes },
            {
              name: names.httpsListener,
              protocol: "HTTPS",
              port: 443,
              hostname,
              tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: names.tlsSecret }] },
              allowedRoutes: allRoutes,
            },
          ],
        },
      },
      { parent: this, dependsOn: [gatewayClass, certificate] },
    );

    // Plain HTTP only redirects; ACME solver routes match their exact challenge path, which wins.
    new kubernetes.apiextensions.CustomResource(
      `${name}-https-redirect`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: names.httpsRedirect, namespace: names.namespace, labels: { ...PLATFORM_LABELS } },
        spec: {
          parentRefs: [
            {
              group: "gateway.networking.k8s.io",
              kind: "Gateway",
              name: names.gateway,
              sectionName: names.httpListener,
            },
          ],
          rules: [
            { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
          ],
        },
      },
      { parent: this, dependsOn: [gateway] },
    );

    return { release, gateway, dnsNames };
  }

  private buildNginx(
    name: string,
    args: IngressLayerArgs,
    protection: ReturnType<typeof statefulProtection>,
  ) {
    const names = INGRESS_NAMES.nginx;
    const replicas = args.profile.controllerReplicas;
    const ns = namespace(
      `${name}-namespace`,
      // baseline: the controller adds NET_BIND_SERVICE and does not claim a read-only root filesystem.
      { name: names.namespace, podSecurity: "baseline" },
      { parent: this, ...protection },
    );
    const service = args.service;
    return helmRelease(
      `${name}-ingress-nginx`,
      {
        pin: CHARTS.ingressNginx,
        mirror: args.mirror,
        releaseName: names.releaseName,
        namespace: ns.metadata.name,
        values: {
          controller: {
            replicaCount: replicas,
            minAvailable: 1,
            resources: INGRESS_DEFAULTS.resources.nginx,
            ingressClass: names.ingressClass,
            ingressClassResource: {
              name: names.ingressClass,
              enabled: true,
              default: true,
              controllerValue: "k8s.io/ingress-nginx",
            },
            // Snippets let an Ingress author inject NGINX config (CVE-2021-25742 class); keep them off.
            allowSnippetAnnotations: false,
            admissionWebhooks: { enabled: true },
            service: {
              type: service.type,
              annotations: { ...service.annotations },
              ...(service.nodePorts !== undefined ? { nodePorts: { ...service.nodePorts } } : {}),
            },
          },
        },
      },
      { parent: this, ...protection },
    );
  }
}

// ---------------------------------------------------------------------------------------------

export interface ExposeArgs {
  /** The stack's ingress layer (`Platform.ingress`). */
  readonly layer: IngressLayerRef;
  /** Name of the HTTPRoute / Ingress (and, for nginx, prefix of its TLS Secret). */
  readonly name: string;
  readonly namespace: pulumi.Input<string>;
  /** Public host, e.g. `serviceHost("argocd", domain)`. */
  readonly host: string;
  /** The Service that receives the traffic (plain HTTP). */
  readonly service: { readonly name: string; readonly port: number };
}

/**
 * cert-manager's HTTP-01 solver (v1.21.1 pkg/issuer/acme/http/pod.go): a pod labelled
 * `acme.cert-manager.io/http01-solver: "true"` listening on 8089 in the Certificate's namespace, which
 * ingress-nginx's controller must reach. In a namespace with a default-deny ingress policy (Argo CD's
 * chart brings one, argo-helm argo-cd-10.1.1 templates/networkpolicy-default-deny.yaml) this admits it.
 */
export const ACME_SOLVER = { label: "acme.cert-manager.io/http01-solver", port: 8089 } as const;

export function admitAcmeSolver(
  resourceName: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): kubernetes.networking.v1.NetworkPolicy {
  return new kubernetes.networking.v1.NetworkPolicy(
    resourceName,
    {
      metadata: { name: "acme-http01-solver", namespace, labels: { ...PLATFORM_LABELS } },
      spec: {
        podSelector: { matchLabels: { [ACME_SOLVER.label]: "true" } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchLabels: { "kubernetes.io/metadata.name": INGRESS_NAMES.nginx.namespace },
                },
                podSelector: {
                  matchLabels: {
                    "app.kubernetes.io/name": "ingress-nginx",
                    "app.kubernetes.io/component": "controller",
                  },
                },
              },
            ],
            ports: [{ protocol: "TCP", port: ACME_SOLVER.port }],
          },
        ],
      },
    },
    opts,
  );
}

/**
 * Publishes a Service at `https://<host>` through the stack's ingress layer: an HTTPRoute on the shared
 * Gateway's HTTPS listener, or an Ingress of the nginx class whose certificate ingress-shim requests.
 * The object waits for the layer (and, for nginx, its issuer).
 */
export function expose(
  resourceName: string,
  args: ExposeArgs,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const layer = args.layer;
  const dependsOn = [...layer.ready, ...toArray(opts.dependsOn)];
  const labels = { ...PLATFORM_LABELS };
  if (layer.kind === "gateway") {
    return new kubernetes.apiextensions.CustomResource(
      resourceName,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: args.name, namespace: args.namespace, labels },
        spec: {
          parentRefs: [
            {
              group: "gateway.networking.k8s.io",
              kind: "Gateway",
              name: layer.gatewayName,
              namespace: layer.gatewayNamespace,
              sectionName: layer.httpsListener,
            },
          ],
          hostnames: [args.host],
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: "/" } }],
              backendRefs: [{ name: args.service.name, port: args.service.port }],
            },
          ],
        },
      },
      { ...opts, dependsOn },
    );
  }
  return new kubernetes.networking.v1.Ingress(
    resourceName,
    {
      metadata: {
        name: args.name,
        namespace: args.namespace,
        labels,
        annotations: { "cert-manager.io/cluster-issuer": layer.clusterIssuer },
      },
      spec: {
        ingressClassName: layer.ingressClassName,
        tls: [{ hosts: [args.host], secretName: `${args.name}-tls` }],
        rules: [
          {
            host: args.host,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: args.service.name, port: { number: args.service.port } } },
                },
              ],
            },
          },
        ],
      },
    },
    { ...opts, dependsOn },
  );
}

/** `dependsOn` as a list: resources (or promises/outputs of them) the caller already waits for. */
function toArray(dependsOn: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (dependsOn === undefined) return [];
  const list: unknown[] = Array.isArray(dependsOn) ? dependsOn : [dependsOn];
  return list as pulumi.Input<pulumi.Resource>[];
}

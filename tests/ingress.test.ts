/**
 * The ingress layer: Envoy Gateway (pinned charts, standard-channel CRDs kept on delete, GatewayClass,
 * the shared Gateway and its certificate) or ingress-nginx 4.15.1, and `expose()` for both layers.
 */
import * as assert from "node:assert/strict";
import YAML from "yaml";
import * as kubernetes from "@pulumi/kubernetes";
import type { IngressLayerRef } from "../components/contracts";
import {
  expose,
  INGRESS_DEFAULTS,
  INGRESS_NAMES,
  ingressLayerArgsProblems,
  type EnvoyGatewayController,
  type IngressLayerArgs,
} from "../components/ingress";
import { PROFILES } from "../stacks/profiles";
import { CHARTS } from "../components/versions";
import { crdValidator } from "./crd-schema";
import {
  editedConfig,
  managementTree,
  synthProgram,
  synthStack,
  type StackConfigObject,
  type Synth,
} from "./harness";
import { modelErrors } from "./kubernetes-models";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const GATEWAY_API = "gateway.networking.k8s.io/v1";

function ingress(config: StackConfigObject): Record<string, unknown> {
  return config.values["idp:ingress"] as Record<string, unknown>;
}

interface KubernetesObject {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

function objectOf(synth: Synth, type: string, name: string): KubernetesObject {
  return synth.inputs<KubernetesObject>(synth.one(type, name));
}

describe("ingress layer", () => {
  let dev: Synth;
  let prod: Synth;
  let nginx: Synth;

  before(async () => {
    dev = await synthStack("dev");
    prod = await synthStack("prod");
    nginx = await synthStack("dev", {
      config: editedConfig("dev", (c) => {
        ingress(c)["controller"] = "nginx";
      }),
    });
  });

  describe("Envoy Gateway", () => {
    it("installs the pinned controller chart with its CRDs (Gateway API and Envoy Gateway), from one Helm release", () => {
      const release = prod.inputs(prod.one(RELEASE, "idp-envoy-gateway-release"));
      assert.equal(release["chart"], `${CHARTS.envoyGateway.repository}/${CHARTS.envoyGateway.chart}`);
      assert.equal(release["version"], CHARTS.envoyGateway.version);
      assert.equal(release["namespace"], "envoy-gateway-system");
      // The chart's `crds` subchart: Helm installs its crds/ folder and keeps it out of the release record.
      assert.deepEqual(release["values"], {
        crds: { enabled: true },
        deployment: { replicas: 3, envoyGateway: { resources: INGRESS_DEFAULTS.resources.envoyGateway } },
        podDisruptionBudget: { minAvailable: 1 },
        config: {
          envoyGateway: {
            gateway: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
            provider: { type: "Kubernetes" },
          },
        },
      });
      assert.equal(release["skipCrds"], undefined, "Helm installs the chart's CRDs");
      const devValues = dev.inputs(dev.one(RELEASE, "idp-envoy-gateway-release"))["values"] as Record<
        string,
        unknown
      >;
      assert.deepEqual(devValues["podDisruptionBudget"], { minAvailable: 0 });
      // Nothing the Kubernetes provider builds as a component (it would need the cluster for a preview).
      assert.equal(prod.find((r) => r.remote === true).length, 0);
    });

    it("configures the proxies per stack: node ports on kind, an NLB in the cloud", () => {
      const devProxy = objectOf(
        dev,
        "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
        "idp-ingress-proxy-config",
      );
      assert.deepEqual(devProxy.spec, {
        provider: {
          type: "Kubernetes",
          kubernetes: {
            envoyDeployment: { replicas: 1, container: { resources: INGRESS_DEFAULTS.resources.envoyProxy } },
            envoyService: {
              type: "NodePort",
              annotations: {},
              patch: {
                type: "StrategicMerge",
                value: {
                  spec: {
                    ports: [
                      { port: 80, nodePort: 30080 },
                      { port: 443, nodePort: 30443 },
                    ],
                  },
                },
              },
            },
          },
        },
      });
      const prodProxy = objectOf(
        prod,
        "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
        "idp-ingress-proxy-config",
      );
      assert.deepEqual(prodProxy.spec, {
        provider: {
          type: "Kubernetes",
          kubernetes: {
            envoyDeployment: { replicas: 3, container: { resources: INGRESS_DEFAULTS.resources.envoyProxy } },
            envoyPDB: { minAvailable: 1 },
            envoyService: {
              type: "LoadBalancer",
              annotations: {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
              },
            },
          },
        },
      });
    });

    it("registers one GatewayClass bound to the proxy configuration", () => {
      const gatewayClass = objectOf(dev, `kubernetes:${GATEWAY_API}:GatewayClass`, "idp-ingress-class");
      assert.deepEqual(gatewayClass.spec, {
        controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
        parametersRef: {
          group: "gateway.envoyproxy.io",
          kind: "EnvoyProxy",
          name: "platform-proxy",
          namespace: "envoy-gateway-system",
        },
      });
      assert.equal(gatewayClass.metadata.annotations?.["pulumi.com/waitFor"], "condition=Accepted");
    });

    it("shares one Gateway: HTTP (redirect, ACME) and HTTPS with the cert-manager certificate", () => {
      const gateway = objectOf(dev, `kubernetes:${GATEWAY_API}:Gateway`, "idp-ingress-gateway");
      // Only namespaces the platform labels: the Gateway's own, Argo CD's and the teams'.
      const allRoutes = {
        namespaces: { from: "Selector", selector: { matchLabels: { "idp.platform/routes": "allowed" } } },
      };
      assert.deepEqual(gateway.spec, {
        gatewayClassName: "envoy-gateway",
        listeners: [
          {
            name: "http",
            protocol: "HTTP",
            port: 80,
            hostname: "*.dev.fixture.example.test",
            allowedRoutes: allRoutes,
          },
          {
            name: "https",
            protocol: "HTTPS",
            port: 443,
            hostname: "*.dev.fixture.example.test",
            tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "platform-gateway-tls" }] },
            allowedRoutes: allRoutes,
          },
        ],
      });
      const redirect = objectOf(dev, `kubernetes:${GATEWAY_API}:HTTPRoute`, "idp-ingress-https-redirect");
      assert.deepEqual(redirect.spec, {
        parentRefs: [
          { group: "gateway.networking.k8s.io", kind: "Gateway", name: "platform", sectionName: "http" },
        ],
        rules: [
          { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
        ],
      });
    });

    it("labels exactly the namespaces whose routes it accepts, and every route the platform makes lives in one", () => {
      const labelled = dev
        .ofType("kubernetes:core/v1:Namespace")
        .map((r) => dev.inputs<{ metadata: { name: string; labels?: Record<string, string> } }>(r).metadata)
        .filter((m) => m.labels?.["idp.platform/routes"] === "allowed")
        .map((m) => m.name)
        .sort();
      assert.deepEqual(labelled, ["argocd", "envoy-gateway-system"]);
      // Team namespaces come from the management repository (Argo CD creates them), labelled too.
      const seed = managementTree(dev);
      const teams = YAML.parseAllDocuments(
        seed["environments/dev/infrastructure/namespaces.yaml"]!.content,
      ).map((d) => d.toJS() as { metadata: { name: string; labels: Record<string, string> } });
      assert.ok(teams.length > 0);
      for (const team of teams)
        assert.equal(team.metadata.labels["idp.platform/routes"], "allowed", team.metadata.name);
      for (const route of dev.kind("HTTPRoute")) {
        const namespace = dev.inputs<{ metadata: { namespace: string } }>(route).metadata.namespace;
        assert.ok(labelled.includes(namespace), `${route.name} in ${namespace}`);
      }
    });

    it("asks for a wildcard when the issuer can sign one, else for the hosts known at deploy time", () => {
      const certificate = (synth: Synth) =>
        objectOf(synth, "kubernetes:cert-manager.io/v1:Certificate", "idp-ingress-certificate").spec;
      assert.deepEqual(certificate(dev), {
        secretName: "platform-gateway-tls",
        dnsNames: ["*.dev.fixture.example.test"],
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "idp-ca" },
      });
      assert.deepEqual(certificate(prod)["dnsNames"], ["*.fixture.example.test"]);
      assert.deepEqual(certificate(prod)["issuerRef"], {
        group: "cert-manager.io",
        kind: "ClusterIssuer",
        name: "letsencrypt-production",
      });
    });

    it("waits for the operator: every Gateway API object depends on the controller and the CRDs", () => {
      for (const synth of [dev, prod]) {
        const release = synth.one(RELEASE, "idp-envoy-gateway-release");
        const objects = synth.find(
          (r) =>
            r.type.startsWith(`kubernetes:${GATEWAY_API}:`) ||
            r.type.startsWith("kubernetes:gateway.envoyproxy.io/"),
        );
        // The layer's GatewayClass, EnvoyProxy, Gateway and redirect route, and Argo CD's HTTPRoute.
        assert.equal(objects.length, 5);
        for (const record of objects) {
          assert.ok(synth.dependsOn(record, release), `${record.name} waits for Envoy Gateway and its CRDs`);
        }
        // The certificate waits for cert-manager and its issuer; the Gateway for the certificate.
        const certificate = synth.one("kubernetes:cert-manager.io/v1:Certificate", "idp-ingress-certificate");
        assert.ok(synth.dependsOn(certificate, synth.one(RELEASE, "idp-cert-manager-release")));
        const issuer = synth.ofType("kubernetes:cert-manager.io/v1:ClusterIssuer").find((r) => {
          const name = (synth.inputs(r)["metadata"] as { name: string }).name;
          return name === synth.result.stackOutputs["clusterIssuer"];
        })!;
        assert.ok(synth.dependsOn(certificate, issuer));
        assert.ok(synth.dependsOn(synth.one(`kubernetes:${GATEWAY_API}:Gateway`), certificate));
      }
    });

    it("protects the namespace and the release per profile; the namespace is restricted", () => {
      for (const [synth, expected] of [
        [dev, false],
        [prod, true],
      ] as const) {
        for (const name of ["idp-envoy-gateway-namespace", "idp-envoy-gateway-release"]) {
          const record = synth.byName(name);
          assert.deepEqual(
            [record.options.protect, record.options.retainOnDelete],
            [expected, expected],
            name,
          );
        }
      }
      const labels = (
        dev.inputs(dev.byName("idp-envoy-gateway-namespace"))["metadata"] as {
          labels: Record<string, string>;
        }
      ).labels;
      assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
    });

    it("creates only objects the upstream schemas accept", async function () {
      const validator = crdValidator();
      for (const synth of [dev, prod]) {
        for (const record of synth.find((r) => r.type.startsWith(`kubernetes:${GATEWAY_API}:`))) {
          const object = synth.inputs(record);
          assert.deepEqual(await modelErrors(object), [], `${record.name} (@kubernetes-models/gateway-api)`);
          if (validator) assert.deepEqual(validator.validate(object), [], `${record.name} (../shared/crds)`);
        }
        // EnvoyProxy has no CRD in ../shared: the Envoy Gateway models (from its Go API types) check it.
        const proxy = synth.inputs(synth.one("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"));
        assert.deepEqual(await modelErrors(proxy), []);
      }
      if (!validator) this.skip(); // ../shared is absent: validated against @kubernetes-models only
    });
  });

  describe("ingress-nginx", () => {
    it("installs the final release 4.15.1 with one default IngressClass and no snippets", () => {
      const release = nginx.inputs(nginx.one(RELEASE, "idp-ingress-ingress-nginx"));
      assert.equal(release["chart"], "ingress-nginx");
      assert.equal(release["version"], "4.15.1");
      assert.deepEqual(release["repositoryOpts"], { repo: "https://kubernetes.github.io/ingress-nginx" });
      assert.deepEqual(release["values"], {
        controller: {
          replicaCount: 1,
          minAvailable: 1,
          resources: INGRESS_DEFAULTS.resources.nginx,
          ingressClass: "nginx",
          ingressClassResource: {
            name: "nginx",
            enabled: true,
            default: true,
            controllerValue: "k8s.io/ingress-nginx",
          },
          allowSnippetAnnotations: false,
          admissionWebhooks: { enabled: true },
          service: { type: "NodePort", annotations: {}, nodePorts: { http: 30080, https: 30443 } },
        },
      });
      const labels = (
        nginx.inputs(nginx.byName("idp-ingress-namespace"))["metadata"] as { labels: Record<string, string> }
      ).labels;
      assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline");
    });

    it("installs no Gateway API pieces", () => {
      assert.equal(nginx.find((r) => r.type.includes("gateway")).length, 0);
      assert.equal(nginx.result.stackOutputs["ingress"], "nginx");
    });
  });

  it("refuses inconsistent arguments when used directly", () => {
    const base: IngressLayerArgs = {
      profile: PROFILES.dev,
      domain: "x.example.com",
      controller: "gateway",
      service: { type: "LoadBalancer", annotations: {} },
      tls: { kind: "ClusterIssuer", name: "letsencrypt-staging", wildcard: false, ready: [] },
      hosts: ["a.x.example.com"],
      envoyGateway: {} as EnvoyGatewayController,
    };
    assert.deepEqual(ingressLayerArgsProblems(base), []);
    assert.deepEqual(
      ingressLayerArgsProblems({
        ...base,
        service: { type: "LoadBalancer", annotations: {}, nodePorts: { http: 30080, https: 30443 } },
        hosts: [],
        envoyGateway: undefined,
      }),
      [
        "nodePorts need the NodePort service type",
        "the gateway controller needs Envoy Gateway's controller and the Gateway API CRDs",
        "no hosts for the Gateway certificate (its issuer cannot sign a wildcard)",
      ],
    );
    assert.deepEqual(
      ingressLayerArgsProblems({ ...base, controller: "nginx", hosts: [], envoyGateway: undefined }),
      [],
    );
  });

  describe("expose()", () => {
    const gatewayLayer: IngressLayerRef = {
      kind: "gateway",
      gatewayName: INGRESS_NAMES.gateway.gateway,
      gatewayNamespace: INGRESS_NAMES.gateway.namespace,
      httpsListener: INGRESS_NAMES.gateway.httpsListener,
      ready: [],
    };

    it("publishes an HTTPRoute on the Gateway's HTTPS listener that waits for the layer", async () => {
      const synth = await synthProgram(() => {
        const controller = new kubernetes.core.v1.Namespace("layer", { metadata: { name: "layer" } });
        expose(
          "argocd-route",
          {
            layer: { ...gatewayLayer, ready: [controller] },
            name: "argocd",
            namespace: "argocd",
            host: "argocd.dev.fixture.example.test",
            service: { name: "argocd-server", port: 80 },
          },
          {},
        );
      });
      const route = synth.one(`kubernetes:${GATEWAY_API}:HTTPRoute`, "argocd-route");
      const object = synth.inputs(route);
      assert.deepEqual(object, {
        apiVersion: GATEWAY_API,
        kind: "HTTPRoute",
        metadata: {
          name: "argocd",
          namespace: "argocd",
          labels: { "app.kubernetes.io/part-of": "idp", "app.kubernetes.io/managed-by": "pulumi" },
        },
        spec: {
          parentRefs: [
            {
              group: "gateway.networking.k8s.io",
              kind: "Gateway",
              name: "platform",
              namespace: "envoy-gateway-system",
              sectionName: "https",
            },
          ],
          hostnames: ["argocd.dev.fixture.example.test"],
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: "/" } }],
              backendRefs: [{ name: "argocd-server", port: 80 }],
            },
          ],
        },
      });
      assert.ok(synth.dependsOn(route, synth.one("kubernetes:core/v1:Namespace", "layer")));
      assert.deepEqual(await modelErrors(object), []);
      const validator = crdValidator();
      if (validator) assert.deepEqual(validator.validate(object), []);
    });

    it("publishes an Ingress with TLS from ingress-shim on nginx stacks", async () => {
      const synth = await synthProgram(() => {
        const controller = new kubernetes.core.v1.Namespace("layer", { metadata: { name: "layer" } });
        const other = new kubernetes.core.v1.Namespace("other", { metadata: { name: "other" } });
        expose(
          "argocd-ingress",
          {
            layer: {
              kind: "nginx",
              ingressClassName: "nginx",
              clusterIssuer: "letsencrypt-staging",
              ready: [controller],
            },
            name: "argocd",
            namespace: "argocd",
            host: "argocd.staging.fixture.example.test",
            service: { name: "argocd-server", port: 80 },
          },
          { dependsOn: other },
        );
      });
      const record = synth.one("kubernetes:networking.k8s.io/v1:Ingress", "argocd-ingress");
      assert.deepEqual(synth.inputs(record), {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: {
          name: "argocd",
          namespace: "argocd",
          labels: { "app.kubernetes.io/part-of": "idp", "app.kubernetes.io/managed-by": "pulumi" },
          annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-staging" },
        },
        spec: {
          ingressClassName: "nginx",
          tls: [{ hosts: ["argocd.staging.fixture.example.test"], secretName: "argocd-tls" }],
          rules: [
            {
              host: "argocd.staging.fixture.example.test",
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: "argocd-server", port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      });
      assert.ok(synth.dependsOn(record, synth.one("kubernetes:core/v1:Namespace", "layer")));
      assert.ok(
        synth.dependsOn(record, synth.one("kubernetes:core/v1:Namespace", "other")),
        "keeps the caller's dependsOn",
      );
    });
  });
});

/**
 * Port's Kubernetes exporter as the dev fixture installs it: pinned chart and image, credentials only
 * through an ExternalSecret, the mapping from Git, a ClusterRole that reads exactly the mapped kinds.
 * The mapping itself runs through gojq in the conformance suite (conformance/port.test.ts).
 */
import * as assert from "node:assert/strict";
import YAML from "yaml";
import { PORT_EXPORTER_DEFAULTS, PORT_MAPPED_KINDS, portExporterMapping } from "../components/port";
import { CHARTS, IMAGES } from "../components/versions";
import { synthStack, type Synth } from "./harness";

const T = {
  release: "kubernetes:helm.sh/v3:Release",
  externalSecret: "kubernetes:external-secrets.io/v1:ExternalSecret",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  binding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  namespace: "kubernetes:core/v1:Namespace",
} as const;

describe("Port's Kubernetes exporter", () => {
  let dev: Synth;
  let prod: Synth;
  before(async () => {
    dev = await synthStack("dev");
    prod = await synthStack("prod");
  });

  it("installs the pinned chart with its credentials from an existing Secret, never Helm values", () => {
    const release = dev.inputs(dev.one(T.release, "idp-port-exporter-release"));
    assert.equal(release["chart"], CHARTS.portK8sExporter.chart);
    assert.equal(release["version"], "0.3.28");
    assert.deepEqual(release["repositoryOpts"], { repo: "https://port-labs.github.io/helm-charts" });
    assert.equal(release["namespace"], PORT_EXPORTER_DEFAULTS.namespace);
    const values = release["values"] as Record<string, unknown>;
    assert.deepEqual(values["image"], { repository: IMAGES.portExporter.image, tag: "0.7.4" });
    assert.deepEqual(values["secret"], { useExistingSecret: true, name: "port-credentials" });
    assert.equal(values["portBaseUrl"], "https://api.getport.io");
    assert.equal(values["stateKey"], "idp-fixture-dev");
    // Git is the source of truth: pushed on every start; Port's defaults never replace it.
    assert.equal(values["overwriteConfigurationOnRestart"], true);
    assert.equal(values["createDefaultResources"], false);
    assert.deepEqual(values["serviceAccount"], { create: false, name: "port-k8s-exporter" });
    assert.deepEqual(
      YAML.parse((values["configMap"] as { config: string }).config),
      portExporterMapping("dev"),
    );
    assert.ok(!JSON.stringify(values).includes("placeholder"), "no credential in the values");
  });

  it("reads Port's credentials from the secrets backend into the Secret the chart reads", () => {
    const external = dev.inputs(dev.one(T.externalSecret, "idp-port-exporter-credentials-secret"));
    const spec = external["spec"] as { target: { name: string }; data: Array<{ secretKey: string }> };
    assert.equal(spec.target.name, "port-credentials");
    assert.deepEqual(
      spec.data.map((d) => d.secretKey),
      ["PORT_CLIENT_ID", "PORT_CLIENT_SECRET"],
    );
    const release = dev.one(T.release, "idp-port-exporter-release");
    assert.ok(dev.dependsOn(release, dev.one(T.externalSecret, "idp-port-exporter-credentials-secret")));
    // It starts after the kinds it maps are served: Crossplane's XRDs and Argo CD.
    assert.ok(dev.dependsOn(release, dev.one(T.release, "idp-argocd-release")));
  });

  it("reads exactly the mapped kinds: no wildcard, no write, nothing else", () => {
    const role = dev.inputs(dev.one(T.clusterRole, "idp-port-exporter-reader"));
    assert.deepEqual(role["rules"], [
      { apiGroups: ["argoproj.io"], resources: ["applications"], verbs: ["get", "list", "watch"] },
      {
        apiGroups: ["platform.idp.internal"],
        resources: ["apps", "sqldatabases"],
        verbs: ["get", "list", "watch"],
      },
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
    ]);
    assert.ok(!JSON.stringify(role["rules"]).includes("*"));
    const mapped = (portExporterMapping("dev")["resources"] as Array<{ kind: string }>).map((r) => r.kind);
    assert.deepEqual(
      mapped.sort(),
      Object.values(PORT_MAPPED_KINDS)
        .map((k) => `${k.group}/${k.version}/${k.resource}`)
        .sort(),
    );
    const binding = dev.inputs(dev.one(T.binding, "idp-port-exporter-reader-binding"));
    assert.deepEqual(binding["subjects"], [
      { kind: "ServiceAccount", name: "port-k8s-exporter", namespace: "port-k8s-exporter" },
    ]);
  });

  it("runs in a namespace that enforces Pod Security restricted", () => {
    const metadata = dev.inputs(dev.one(T.namespace, "idp-port-exporter-ns"))["metadata"];
    const labels = (metadata as { labels: Record<string, string> }).labels;
    assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  it("is absent from a stack without idp:port", () => {
    assert.deepEqual(
      prod.resources.filter((r) => r.name.includes("port-exporter")),
      [],
    );
  });
});

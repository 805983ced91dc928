/**
 * Workload clusters: each registered with Argo CD and with Crossplane's Kubernetes and Helm providers from
 * credentials in the secrets backend, and open to each team's project, on prod with two clusters.
 */
import * as assert from "node:assert/strict";
import { ARGOCD_CLUSTER_CONFIG_TEMPLATE } from "../components/workload-clusters";
import { crdValidator } from "./crd-schema";
import { configProblems, editedConfig, synthStack, type Synth } from "./harness";

type Json = Record<string, unknown>;
const ES = "kubernetes:external-secrets.io/v1:ExternalSecret";
const PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject";

const CLUSTERS = [
  {
    name: "prod-eu-1",
    server: "https://eu1.fixture.example.test",
    credentialsKey: "idp/prod/clusters/prod-eu-1",
    labels: { region: "eu-west-1" },
  },
  {
    name: "prod-us-1",
    server: "https://us1.fixture.example.test:6443",
    credentialsKey: "idp/prod/clusters/prod-us-1",
  },
];

describe("workload clusters", () => {
  let prod: Synth;
  let plain: Synth;
  before(async () => {
    prod = await synthStack("prod", {
      config: editedConfig("prod", (c) => {
        c.values["idp:workloadClusters"] = CLUSTERS;
      }),
    });
    plain = await synthStack("prod");
  });

  it("registers each cluster with Argo CD through an ExternalSecret, credentials never in an input", () => {
    for (const cluster of CLUSTERS) {
      type Registration = {
        metadata: Json;
        spec: {
          target: { name: string; template: Json };
          data: Array<{ secretKey: string; remoteRef: Json }>;
        };
      };
      const external = prod.inputs<Registration>(
        prod.one(ES, `idp-workload-clusters-${cluster.name}-argocd`),
      );
      assert.equal(external.metadata["namespace"], "argocd");
      assert.equal(external.spec.target.name, `cluster-${cluster.name}`);
      const template = external.spec.target.template as { metadata: { labels: Json }; data: Json };
      assert.deepEqual(template.metadata.labels, {
        "argocd.argoproj.io/secret-type": "cluster",
        ...cluster.labels,
      });
      assert.deepEqual(template.data, {
        name: cluster.name,
        server: cluster.server,
        config: ARGOCD_CLUSTER_CONFIG_TEMPLATE,
      });
      assert.deepEqual(
        external.spec.data.map((d) => [d.secretKey, d.remoteRef]),
        [
          ["token", { key: cluster.credentialsKey, property: "token" }],
          ["caData", { key: cluster.credentialsKey, property: "caData" }],
        ],
      );
    }
    // The only place credentials are named is the backend key: no secret input anywhere in these parts.
    for (const record of prod.resources.filter((r) => r.name.startsWith("idp-workload-clusters-"))) {
      assert.deepEqual(prod.secretInputs(record), [], record.name);
    }
  });

  it("gives Crossplane's Kubernetes and Helm providers a ClusterProviderConfig per cluster, after the providers", () => {
    const validator = crdValidator();
    for (const cluster of CLUSTERS) {
      const kubeconfig = prod.inputs<{
        metadata: Json;
        spec: { target: { name: string; template: { data: { kubeconfig: string } } } };
      }>(prod.one(ES, `idp-workload-clusters-${cluster.name}-kubeconfig`));
      assert.equal(kubeconfig.metadata["namespace"], "crossplane-system");
      assert.match(
        kubeconfig.spec.target.template.data.kubeconfig,
        new RegExp(`server: ${cluster.server}\\n`),
      );
      assert.match(kubeconfig.spec.target.template.data.kubeconfig, /token: "\{\{ \.token \}\}"/);
      for (const [provider, type, dependency] of [
        [
          "kubernetes",
          "kubernetes:kubernetes.m.crossplane.io/v1alpha1:ClusterProviderConfig",
          "idp-crossplane-provider-kubernetes",
        ],
        [
          "helm",
          "kubernetes:helm.m.crossplane.io/v1beta1:ClusterProviderConfig",
          "idp-crossplane-provider-helm",
        ],
      ] as const) {
        const record = prod.one(type, `idp-workload-clusters-${cluster.name}-${provider}`);
        const config = prod.inputs(record);
        assert.deepEqual((config["metadata"] as Json)["name"], cluster.name);
        assert.deepEqual(config["spec"], {
          credentials: {
            source: "Secret",
            secretRef: {
              namespace: "crossplane-system",
              name: `workload-cluster-${cluster.name}-kubeconfig`,
              key: "kubeconfig",
            },
          },
        });
        assert.ok(prod.dependsOn(record, prod.byName(dependency)), `${record.name} waits for ${dependency}`);
        if (validator) assert.deepEqual(validator.validate(config), [], record.name);
      }
    }
  });

  it("lets each team deploy to its namespace on each cluster, and nothing more", () => {
    const projects = prod
      .ofType(PROJECT)
      .map((r) => prod.inputs<{ metadata: { name: string }; spec: Json }>(r));
    const team = projects.find((p) => p.metadata.name === "team-orders")!;
    assert.deepEqual(team.spec["destinations"], [
      { server: "https://kubernetes.default.svc", namespace: "team-orders" },
      { server: "https://eu1.fixture.example.test", namespace: "team-orders" },
      { server: "https://us1.fixture.example.test:6443", namespace: "team-orders" },
    ]);
    const platform = projects.find((p) => p.metadata.name === "platform")!;
    assert.deepEqual(
      (platform.spec["destinations"] as Json[])
        .filter((d) => d["namespace"] === undefined)
        .map((d) => d["server"]),
      [
        "https://kubernetes.default.svc",
        "https://eu1.fixture.example.test",
        "https://us1.fixture.example.test:6443",
      ],
    );
  });

  it("lets an App name exactly these clusters (spec.cluster), and no other", () => {
    const xrd = prod
      .ofType("kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition")
      .map((r) => JSON.stringify(prod.inputs(r)))
      .find((text) => text.includes('"kind":"App"'))!;
    assert.ok(
      xrd.includes('!has(self.cluster) || self.cluster in [\\"prod-eu-1\\",\\"prod-us-1\\"]'),
      xrd.slice(0, 200),
    );
    const plainXrd = plain
      .ofType("kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition")
      .map((r) => JSON.stringify(plain.inputs(r)))
      .find((text) => text.includes('"kind":"App"'))!;
    assert.ok(plainXrd.includes("this environment has no workload clusters"));
  });

  it("renders every stack as before without the key", () => {
    assert.deepEqual(
      plain.find((r) => r.name.startsWith("idp-workload-clusters")),
      [],
    );
    const team = plain
      .ofType(PROJECT)
      .map((r) => plain.inputs<{ metadata: { name: string }; spec: Json }>(r))
      .find((p) => p.metadata.name === "team-orders")!;
    assert.deepEqual(team.spec["destinations"], [
      { server: "https://kubernetes.default.svc", namespace: "team-orders" },
    ]);
  });

  it("refuses a plain-http server and a repeated name, naming the key", () => {
    const problems = configProblems("prod", (c) => {
      c.values["idp:workloadClusters"] = [
        { ...CLUSTERS[0], server: "http://eu1.fixture.example.test" },
        { ...CLUSTERS[1], name: "prod-eu-1" },
      ];
    });
    assert.ok(
      problems.some((p) =>
        p.startsWith(
          "Invalid config idp:workloadClusters[0].server: must be the https URL of the cluster's API server",
        ),
      ),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) => p.startsWith("Invalid config idp:workloadClusters[1].name:")),
      problems.join("\n"),
    );
  });
});

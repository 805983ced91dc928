/**
 * The Compositions, step by step: their pipelines, every composed resource rendered for the shipped
 * examples (as function-patch-and-transform and function-cel-filter would), validated against the
 * upstream schemas, and the differences between profiles, ingress layers and database modes.
 */
import * as assert from "node:assert/strict";
import { managedResourceDefinitions } from "../components/crossplane";
import { appResource, DATABASE_CONNECTION_KEYS, sqlDatabaseResource } from "../components/crossplane/api";
import { appComposition, DATABASE_USAGE } from "../components/crossplane/app";
import {
  format,
  fromXr,
  templateProblems,
  toInt64,
  type CompositionObject,
  type PatchAndTransformInput,
} from "../components/crossplane/pt";
import { composedKinds, composeRules } from "../components/crossplane/rbac";
import {
  DATABASE_PROFILES,
  managementPolicies,
  passwordKeyFormat,
  POSTGRES_IMAGES,
  sqlDatabaseComposition,
  type DatabaseSecretsBackend,
  type SqlDatabaseCompositionOptions,
} from "../components/crossplane/sql-database";
import { appXrd, sqlDatabaseXrd } from "../components/crossplane/xrds";
import { PROFILES, type ProfileName } from "../stacks/profiles";
import { crdValidator } from "./crd-schema";
import { awsBackend, ingressRef, kubernetesBackend } from "./crossplane-fixtures";
import { admit, getPath, render, validateKubernetes } from "./crossplane-render";
import { loadSharedYaml, synthStack } from "./harness";
import { SERVER_PATH, walkDeletion } from "./teardown-model";

type Json = Record<string, unknown>;

const DOMAIN = "idp.acme.example";
const IMAGE = "ghcr.io/acme-idp/checkout-api:1.0.0";

function input(composition: CompositionObject): PatchAndTransformInput {
  return composition.spec.pipeline[0]!.input as PatchAndTransformInput;
}

function template(composition: CompositionObject, name: string) {
  const found = input(composition).resources.find((r) => r.name === name);
  assert.ok(found, `composition ${composition.metadata.name} has no resource ${name}`);
  return found;
}

/** Admits an XR (defaults) and renders it. */
async function renderXr(
  composition: CompositionObject,
  xrd: Parameters<typeof admit>[0],
  xr: Json,
  observed: Record<string, Json> = {},
) {
  const { object, errors } = await admit(xrd, xr);
  assert.deepEqual(errors, []);
  return render(composition, object, observed);
}

/** Kinds the upstream project has but ../shared/crds does not carry (index.json partialGroups). */
function upstreamOnlyKind(apiVersion: string, kind: string): boolean {
  const index = loadSharedYaml("crds/index.json") as
    | { partialGroups: Record<string, { kinds: Record<string, string[]>; missingKinds: string[] }> }
    | undefined;
  const [group, version] = apiVersion.split("/");
  const partial = index?.partialGroups[group!];
  return (
    partial !== undefined && partial.missingKinds.includes(kind) && partial.kinds[kind]!.includes(version!)
  );
}

/** Every rendered object validates: built-in kinds with kubernetes-models, the rest against ../shared/crds. */
async function assertValid(resources: Record<string, Json>): Promise<void> {
  const validator = crdValidator();
  for (const [name, object] of Object.entries(resources)) {
    const apiVersion = String(object["apiVersion"]);
    const kind = String(object["kind"]);
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
    const builtIn = ["", "apps", "autoscaling", "policy", "networking.k8s.io"].includes(group);
    if (builtIn) {
      assert.deepEqual(await validateKubernetes(object), [], `${name} (${kind})`);
    } else if (validator) {
      if (!validator.has(apiVersion, kind)) {
        assert.ok(
          upstreamOnlyKind(apiVersion, kind),
          `${name}: ${apiVersion} ${kind} is not an upstream kind`,
        );
        continue;
      }
      assert.deepEqual(validator.validate(object), [], `${name} (${kind})`);
    }
  }
}

function assertCompositionValid(composition: CompositionObject): void {
  const validator = crdValidator();
  if (!validator) return;
  assert.deepEqual(validator.validate(composition as unknown as Json), []);
  assert.deepEqual(validator.validate(input(composition) as unknown as Json), []);
}

// -------------------------------------------------------------------------------------------------

/** The composed resources of an App on a workload cluster, filtered out of an App here. */
const REMOTE = ["remote-deployment", "remote-service", "remote-autoscaler", "remote-disruption-budget"];

describe("App composition", () => {
  const xrd = appXrd({ domain: DOMAIN, replicas: PROFILES.prod.appReplicas, defaultComposition: "x" });
  const example = (database?: string) =>
    appResource({
      name: "checkout-api",
      namespace: "team-payments",
      image: IMAGE,
      host: `checkout.${DOMAIN}`,
      ...(database !== undefined ? { database } : {}),
    });

  for (const kind of ["gateway", "nginx"] as const) {
    describe(`with the ${kind} ingress layer`, () => {
      const composition = appComposition({
        name: `apps-${kind}.apps`,
        domain: DOMAIN,
        ingress: ingressRef(kind),
      });

      it("runs patch-and-transform, then filters the optional database Usage", () => {
        assert.equal(composition.apiVersion, "apiextensions.crossplane.io/v1");
        assert.deepEqual(composition.spec.compositeTypeRef, {
          apiVersion: "platform.idp.internal/v1alpha1",
          kind: "App",
        });
        assert.equal(composition.spec.mode, "Pipeline");
        assert.deepEqual(
          composition.spec.pipeline.map((s) => [s.step, s.functionRef.name, s.input.kind]),
          [
            ["compose", "function-patch-and-transform", "Resources"],
            ["filter-optional-resources", "function-cel-filter", "Filters"],
          ],
        );
        assert.deepEqual(composition.spec.pipeline[1]!.input, {
          apiVersion: "cel.fn.crossplane.io/v1beta1",
          kind: "Filters",
          filters: [
            { name: DATABASE_USAGE, expression: "has(observed.composite.resource.spec.database)" },
            // Here, or on a workload cluster (spec.cluster): one set or the other.
            ...["deployment", "service", "route", "autoscaler", "disruption-budget"].map((name) => ({
              name,
              expression: "!has(observed.composite.resource.spec.cluster)",
            })),
            ...REMOTE.map((name) => ({ name, expression: "has(observed.composite.resource.spec.cluster)" })),
          ],
        });
        assert.deepEqual(
          input(composition).resources.map((r) => [r.name, r.base.kind, r.readinessChecks]),
          [
            [
              "deployment",
              "Deployment",
              [{ type: "MatchCondition", matchCondition: { type: "Available", status: "True" } }],
            ],
            ["service", "Service", [{ type: "None" }]],
            ["route", kind === "gateway" ? "HTTPRoute" : "Ingress", [{ type: "None" }]],
            [
              "autoscaler",
              "HorizontalPodAutoscaler",
              [{ type: "MatchCondition", matchCondition: { type: "AbleToScale", status: "True" } }],
            ],
            ["disruption-budget", "PodDisruptionBudget", [{ type: "None" }]],
            [DATABASE_USAGE, "Usage", [{ type: "None" }]],
            ...REMOTE.map((name) => [
              name,
              "Object",
              [{ type: "MatchCondition", matchCondition: { type: "Ready", status: "True" } }],
            ]),
          ],
        );
        assertCompositionValid(composition);
      });

      it("renders the example without a database: no Usage, no connection Secret", async () => {
        const { resources, filtered } = await renderXr(composition, xrd, example());
        assert.deepEqual(filtered, [DATABASE_USAGE, ...REMOTE]);
        assert.deepEqual(Object.keys(resources), [
          "deployment",
          "service",
          "route",
          "autoscaler",
          "disruption-budget",
        ]);
        const container = (
          resources["deployment"] as { spec: { template: { spec: { containers: Json[] } } } }
        ).spec.template.spec.containers[0]!;
        assert.equal(container["image"], IMAGE);
        assert.deepEqual(container["ports"], [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        assert.deepEqual(container["resources"], {
          requests: { cpu: "250m", memory: "256Mi" },
          limits: { memory: "256Mi" },
        });
        // PORT from spec.port (a float64 in the function, printed as an integer), then the App's own env.
        assert.deepEqual(container["env"], [
          { name: "PORT", value: "8080" },
          { name: "APP_NAME", value: "checkout-api" },
          { name: "LOG_LEVEL", value: "info" },
        ]);
        assert.equal(container["envFrom"], undefined);
        assert.deepEqual(container["readinessProbe"], {
          httpGet: { path: "/healthz", port: "http" },
          periodSeconds: 5,
          failureThreshold: 3,
        });
        assert.deepEqual(container["livenessProbe"], {
          httpGet: { path: "/healthz", port: "http" },
          initialDelaySeconds: 10,
          periodSeconds: 10,
        });
        await assertValid(resources);
      });

      it("gives the container the port and health path the App asks for", async () => {
        const app = example();
        const spec = { ...(app["spec"] as Json), port: 9090, healthPath: "/ready" };
        const { resources } = await renderXr(composition, xrd, { ...app, spec });
        const container = (
          resources["deployment"] as { spec: { template: { spec: { containers: Json[] } } } }
        ).spec.template.spec.containers[0]!;
        assert.deepEqual(container["ports"], [{ name: "http", containerPort: 9090, protocol: "TCP" }]);
        assert.deepEqual((container["env"] as Json[])[0], { name: "PORT", value: "9090" });
        assert.equal((container["readinessProbe"] as { httpGet: Json }).httpGet["path"], "/ready");
        assert.equal((container["livenessProbe"] as { httpGet: Json }).httpGet["path"], "/ready");
      });

      it("runs an App on a workload cluster through that cluster's ProviderConfig, and says where it runs", async () => {
        const onClusters = appXrd({
          domain: DOMAIN,
          replicas: PROFILES.prod.appReplicas,
          defaultComposition: "x",
          workloadClusters: ["prod-eu-1"],
        });
        const xr = { ...example(), spec: { ...(example()["spec"] as Json), cluster: "prod-eu-1" } };
        const { resources, filtered } = await renderXr(composition, onClusters, xr);
        // Nothing here but the Objects: no route (the workload cluster's ingress is its own), no Usage.
        assert.deepEqual(filtered, [
          DATABASE_USAGE,
          "deployment",
          "service",
          "route",
          "autoscaler",
          "disruption-budget",
        ]);
        assert.deepEqual(Object.keys(resources), REMOTE);
        const kinds: Record<string, string> = {
          "remote-deployment": "Deployment",
          "remote-service": "Service",
          "remote-autoscaler": "HorizontalPodAutoscaler",
          "remote-disruption-budget": "PodDisruptionBudget",
        };
        for (const name of REMOTE) {
          const object = resources[name] as {
            apiVersion: string;
            kind: string;
            metadata: { name: string; labels: Json };
            spec: { providerConfigRef: Json; forProvider: { manifest: Json & { metadata: Json } } };
          };
          assert.equal(object.apiVersion, "kubernetes.m.crossplane.io/v1alpha1");
          assert.equal(object.kind, "Object");
          assert.equal(object.metadata.name, `checkout-api-${kinds[name]!.toLowerCase()}`);
          assert.equal(object.metadata.labels["idp.platform/cluster"], "prod-eu-1");
          assert.deepEqual(object.spec.providerConfigRef, {
            kind: "ClusterProviderConfig",
            name: "prod-eu-1",
          });
          const manifest = object.spec.forProvider.manifest;
          assert.equal(manifest["kind"], kinds[name]);
          assert.deepEqual(
            [manifest.metadata["name"], manifest.metadata["namespace"]],
            ["checkout-api", "team-payments"],
          );
        }
        // The same Deployment as here, on the other cluster, labelled with it.
        const local = (await renderXr(composition, xrd, example())).resources["deployment"] as Json & {
          metadata: { labels: Json };
        };
        const remote = (resources["remote-deployment"] as { spec: { forProvider: { manifest: Json } } }).spec
          .forProvider.manifest as Json & { metadata: { labels: Json } };
        assert.deepEqual(remote["spec"], local["spec"]);
        assert.equal(remote.metadata.labels["idp.platform/cluster"], "prod-eu-1");
        // Observed there, reported here: the replicas and the cluster.
        const observed = {
          "remote-deployment": {
            ...(resources["remote-deployment"] as Json),
            status: {
              conditions: [{ type: "Ready", status: "True" }],
              atProvider: {
                manifest: {
                  metadata: { labels: { "idp.platform/cluster": "prod-eu-1" } },
                  status: { availableReplicas: 2 },
                },
              },
            },
          },
        };
        const { object: admitted } = await admit(onClusters, xr);
        const second = await render(composition, admitted, observed);
        assert.deepEqual(second.status, { availableReplicas: 2, cluster: "prod-eu-1" });
      });

      it("refuses a cluster the environment does not have, and a database on a workload cluster", async () => {
        const onClusters = appXrd({
          domain: DOMAIN,
          replicas: PROFILES.prod.appReplicas,
          defaultComposition: "x",
          workloadClusters: ["prod-eu-1"],
        });
        const withCluster = (cluster: string, database?: string) => ({
          ...example(database),
          spec: { ...(example(database)["spec"] as Json), cluster },
        });
        assert.deepEqual((await admit(onClusters, withCluster("prod-us-9"))).errors, [
          ".spec: cluster must be one of this environment's workload clusters: prod-eu-1",
        ]);
        assert.deepEqual((await admit(onClusters, withCluster("prod-eu-1", "checkout-db"))).errors, [
          ".spec: an App on a workload cluster cannot use a database yet: its connection Secret is on this cluster",
        ]);
        const noClusters = appXrd({
          domain: DOMAIN,
          replicas: PROFILES.prod.appReplicas,
          defaultComposition: "x",
          workloadClusters: [],
        });
        assert.deepEqual((await admit(noClusters, withCluster("prod-eu-1"))).errors, [
          ".spec: this environment has no workload clusters (idp:workloadClusters)",
        ]);
      });

      it("renders Deployment, Service, autoscaler and disruption budget for the App", async () => {
        const { resources } = await renderXr(composition, xrd, example());
        const labels = {
          "app.kubernetes.io/part-of": "idp",
          "app.kubernetes.io/managed-by": "crossplane",
          "app.kubernetes.io/name": "checkout-api",
          // The label the Component's backstage.io/kubernetes-id annotation finds them by (catalog.ts).
          "backstage.io/kubernetes-id": "checkout-api",
        };
        for (const object of Object.values(resources)) {
          assert.deepEqual(object["metadata"], {
            name: "checkout-api",
            // The Deployment says where the App runs (status.cluster reads it back).
            labels:
              object["kind"] === "Deployment"
                ? { ...labels, "idp.platform/cluster": "control-plane" }
                : labels,
            ...(kind === "nginx" && object["kind"] === "Ingress"
              ? { annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-staging" } }
              : {}),
          });
        }
        const deployment = resources["deployment"] as {
          spec: Json & { template: { metadata: Json; spec: Json } };
        };
        assert.deepEqual(deployment.spec["selector"], {
          matchLabels: { "app.kubernetes.io/name": "checkout-api" },
        });
        assert.deepEqual(deployment.spec.template.metadata, { labels });
        assert.equal(deployment.spec["replicas"], undefined, "the autoscaler owns the replica count");
        assert.deepEqual(deployment.spec.template.spec["securityContext"], {
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual((resources["service"] as { spec: Json }).spec, {
          type: "ClusterIP",
          selector: { "app.kubernetes.io/name": "checkout-api" },
          ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
        });
        assert.deepEqual((resources["autoscaler"] as { spec: Json }).spec, {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "checkout-api" },
          minReplicas: 2,
          maxReplicas: 4,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
            },
          ],
        });
        assert.deepEqual((resources["disruption-budget"] as { spec: Json }).spec, {
          maxUnavailable: 1,
          selector: { matchLabels: { "app.kubernetes.io/name": "checkout-api" } },
        });
      });

      it(`routes the host through the ${kind === "gateway" ? "shared Gateway's HTTPS listener" : "Ingress class with a cert-manager certificate"}`, async () => {
        const { resources } = await renderXr(composition, xrd, example());
        const route = resources["route"] as { spec: Json };
        if (kind === "gateway") {
          assert.deepEqual(route.spec, {
            parentRefs: [
              {
                group: "gateway.networking.k8s.io",
                kind: "Gateway",
                name: "platform",
                namespace: "gateway-system",
                sectionName: "https",
              },
            ],
            hostnames: [`checkout.${DOMAIN}`],
            rules: [
              {
                matches: [{ path: { type: "PathPrefix", value: "/" } }],
                backendRefs: [{ group: "", kind: "Service", port: 80, name: "checkout-api" }],
              },
            ],
          });
        } else {
          assert.deepEqual(route.spec, {
            ingressClassName: "nginx",
            tls: [{ hosts: [`checkout.${DOMAIN}`], secretName: "checkout-api-tls" }],
            rules: [
              {
                host: `checkout.${DOMAIN}`,
                http: {
                  paths: [
                    {
                      path: "/",
                      pathType: "Prefix",
                      backend: { service: { name: "checkout-api", port: { number: 80 } } },
                    },
                  ],
                },
              },
            ],
          });
        }
        await assertValid(resources);
      });

      it("defaults the host to <name>.<domain>", async () => {
        const { resources } = await renderXr(composition, xrd, {
          metadata: { name: "web-store", namespace: "team-storefront" },
          spec: { image: IMAGE },
        });
        const host =
          kind === "gateway"
            ? (resources["route"] as { spec: { hostnames: string[] } }).spec.hostnames[0]
            : (resources["route"] as { spec: { rules: Array<{ host: string }> } }).spec.rules[0]!.host;
        assert.equal(host, `web-store.${DOMAIN}`);
      });

      it("with a database: reads its connection Secret and keeps it from deletion", async () => {
        const { resources, filtered } = await renderXr(composition, xrd, example("checkout-db"));
        assert.deepEqual(filtered, REMOTE);
        const container = (
          resources["deployment"] as { spec: { template: { spec: { containers: Json[] } } } }
        ).spec.template.spec.containers[0]!;
        assert.deepEqual(container["envFrom"], [{ secretRef: { name: "checkout-db-connection" } }]);
        assert.deepEqual(resources[DATABASE_USAGE], {
          apiVersion: "protection.crossplane.io/v1beta1",
          kind: "Usage",
          metadata: {
            name: "checkout-api-database",
            labels: {
              "app.kubernetes.io/part-of": "idp",
              "app.kubernetes.io/managed-by": "crossplane",
              "app.kubernetes.io/name": "checkout-api",
              "backstage.io/kubernetes-id": "checkout-api",
            },
          },
          spec: {
            of: {
              apiVersion: "platform.idp.internal/v1alpha1",
              kind: "SQLDatabase",
              resourceRef: { name: "checkout-db" },
            },
            by: { apiVersion: "apps/v1", kind: "Deployment", resourceSelector: { matchControllerRef: true } },
            replayDeletion: true,
          },
        });
        await assertValid(resources);
      });

      it("reports URL and available replicas in the App's status", async () => {
        const observedRoute =
          kind === "gateway"
            ? { spec: { hostnames: [`checkout.${DOMAIN}`] } }
            : { spec: { rules: [{ host: `checkout.${DOMAIN}` }] } };
        const { status } = await renderXr(composition, xrd, example(), {
          route: observedRoute,
          deployment: { status: { availableReplicas: 3 } },
        });
        assert.deepEqual(status, { url: `https://checkout.${DOMAIN}`, availableReplicas: 3 });
      });
    });
  }

  it("names the namespace's registry login in the pods when the stack has one, and nothing otherwise", async () => {
    const pods = async (imagePullSecret?: string) => {
      const composition = appComposition({
        name: "apps-gateway.apps",
        domain: DOMAIN,
        ingress: ingressRef("gateway"),
        ...(imagePullSecret !== undefined ? { imagePullSecret } : {}),
      });
      const { resources } = await renderXr(composition, xrd, example());
      return (resources["deployment"] as { spec: { template: { spec: Json } } }).spec.template.spec;
    };
    assert.deepEqual((await pods("registry-pull"))["imagePullSecrets"], [{ name: "registry-pull" }]);
    assert.equal((await pods())["imagePullSecrets"], undefined);
  });

  it("is given the registry login by stacks with idp:github.packagesReader only", async () => {
    for (const [stack, expected] of [
      ["dev", [{ name: "registry-pull" }]],
      ["staging", undefined],
    ] as const) {
      const synth = await synthStack(stack);
      const composition = synth
        .kind("Composition")
        .map((r) =>
          synth.inputs<{
            spec: { pipeline: Array<{ input: { resources?: Array<{ name: string; base: Json }> } }> };
          }>(r),
        )
        .find((c) => c.spec.pipeline[0]!.input.resources?.some((r) => r.base["kind"] === "Deployment"))!;
      const deployment = composition.spec.pipeline[0]!.input.resources!.find((r) => r.name === "deployment")!;
      const pod = (deployment.base as { spec: { template: { spec: Json } } }).spec.template.spec;
      assert.deepEqual(pod["imagePullSecrets"], expected, stack);
    }
  });

  it("needs RBAC for exactly its composed kinds, per ingress layer", () => {
    const verbs = ["get", "list", "watch", "create", "update", "patch", "delete"];
    const rules = (kind: "gateway" | "nginx") =>
      composeRules(appComposition({ name: "a", domain: DOMAIN, ingress: ingressRef(kind) }));
    // Services, deployments and usages are in Crossplane's own ClusterRole already.
    assert.deepEqual(rules("gateway"), [
      { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs },
      { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs },
      // An App on a workload cluster: provider-kubernetes Objects.
      { apiGroups: ["kubernetes.m.crossplane.io"], resources: ["objects"], verbs },
      { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs },
    ]);
    assert.deepEqual(
      rules("nginx").find((r) => r.apiGroups[0] === "networking.k8s.io"),
      { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs },
    );
    assert.equal(
      rules("nginx").some((r) => r.apiGroups[0] === "gateway.networking.k8s.io"),
      false,
    );
  });
});

// -------------------------------------------------------------------------------------------------

const RDS_SERVER = {
  mode: "rds" as const,
  region: "eu-west-1",
  vpcId: "vpc-0f1e2d3c4b5a69788",
  subnetIds: ["subnet-0f1e2d3c4b5a60711", "subnet-0f1e2d3c4b5a60722"],
  clientSecurityGroupIds: ["sg-0f1e2d3c4b5a69788"],
  allowedCidrs: ["10.20.0.0/16"],
  providerConfigName: "default",
};

function sqlComposition(
  profile: ProfileName,
  mode: "rds" | "in-cluster",
  secrets: DatabaseSecretsBackend = mode === "rds" ? awsBackend() : kubernetesBackend(),
  server: Partial<typeof RDS_SERVER> = {},
): CompositionObject {
  const options: SqlDatabaseCompositionOptions = {
    name: `sqldatabases-${mode}`,
    clusterName: `idp-${profile}`,
    profile: PROFILES[profile],
    secrets,
    server: mode === "rds" ? { ...RDS_SERVER, ...server } : { mode: "in-cluster" },
  };
  return sqlDatabaseComposition(options);
}

const sqlXrd = sqlDatabaseXrd({ defaultComposition: "x" });
/** The example as the API server stores it: with the uid every object gets. */
const UID = "5f0c2b9e-8d1a-4c3e-9b7f-2a6d4e8c1f30";
const example = sqlDatabaseResource({ name: "checkout-db", namespace: "team-payments" });
const database = { ...example, metadata: { ...(example["metadata"] as Json), uid: UID } };
const RDS_ADDRESS = "checkout-db-x1y2z.abcdefghij.eu-west-1.rds.amazonaws.com";
/** An RDS SQLDatabase once its instance has reported its address (the composition waits for it). */
const addressed = { ...database, status: { address: RDS_ADDRESS } };

describe("SQLDatabase compositions", () => {
  const common = ["passwords", "push-passwords", "master-credentials", "connection-secret"];
  const sqlObjects = ["sql-provider-config", "role", "master-membership", "database", "schemahero-database"];
  const rdsServer = [
    "subnet-group",
    "security-group",
    "ingress-security-group-0",
    "ingress-cidr-0",
    "instance",
  ];
  const usages = (network: readonly string[]) => [
    "usage-role-outlives-database",
    "usage-role-outlives-membership",
    "usage-server-outlives-role",
    ...network.map((name) => `usage-${name}-outlives-role`),
    "usage-credentials-outlive-role",
  ];
  const rdsUsages = usages(["security-group", "ingress-security-group-0", "ingress-cidr-0"]);
  const inClusterUsages = usages(["service"]);

  it("compose credentials, the server, teardown Usages where data is deleted, and the role, database and SchemaHero database", () => {
    assert.deepEqual(
      input(sqlComposition("prod", "rds")).resources.map((r) => r.name),
      [...common, ...rdsServer, ...sqlObjects],
    );
    assert.deepEqual(
      input(sqlComposition("dev", "rds")).resources.map((r) => r.name),
      [...common, ...rdsServer, ...rdsUsages, ...sqlObjects],
    );
    assert.deepEqual(
      input(sqlComposition("dev", "in-cluster")).resources.map((r) => r.name),
      [...common, "volume", "server", "server-service", ...inClusterUsages, ...sqlObjects],
    );
    assert.deepEqual(
      sqlComposition("prod", "rds").spec.pipeline.map((s) => [s.step, s.functionRef.name]),
      [
        ["compose", "function-patch-and-transform"],
        ["filter-optional-resources", "function-cel-filter"],
      ],
    );
    for (const composition of [sqlComposition("prod", "rds"), sqlComposition("dev", "in-cluster")]) {
      assert.deepEqual(composition.spec.compositeTypeRef, {
        apiVersion: "platform.idp.internal/v1alpha1",
        kind: "SQLDatabase",
      });
      assertCompositionValid(composition);
    }
    assert.deepEqual(
      sqlComposition("dev", "in-cluster").spec.pipeline.map((s) => s.step),
      ["compose"],
    );
  });

  for (const [profile, mode] of [
    ["dev", "in-cluster"],
    ["staging", "in-cluster"],
    ["dev", "rds"],
    ["staging", "rds"],
    ["prod", "rds"],
  ] as const) {
    it(`renders valid objects for the example (${profile}, ${mode})`, async () => {
      const { resources, results } = await renderXr(
        sqlComposition(profile, mode),
        sqlXrd,
        mode === "rds" ? addressed : database,
      );
      assert.deepEqual(results, []);
      assert.equal(Object.keys(resources).length, input(sqlComposition(profile, mode)).resources.length);
      await assertValid(resources);
    });
  }

  it("generates both passwords once and keeps them in the backend below databases/<namespace>/<name>", async () => {
    for (const [secrets, master, app] of [
      [
        awsBackend(),
        "idp/prod/databases/team-payments/checkout-db/master",
        "idp/prod/databases/team-payments/checkout-db/app",
      ],
      [
        kubernetesBackend(),
        "databases-team-payments-checkout-db-master",
        "databases-team-payments-checkout-db-app",
      ],
    ] as const) {
      const { resources } = await renderXr(sqlComposition("dev", "rds", secrets), sqlXrd, addressed);
      assert.deepEqual((resources["passwords"] as { spec: Json }).spec, {
        length: 32,
        digits: 8,
        symbols: 0,
        noUpper: false,
        allowRepeat: true,
        secretKeys: ["master", "app"],
      });
      assert.deepEqual((resources["push-passwords"] as { spec: Json }).spec, {
        refreshInterval: "1h",
        updatePolicy: "IfNotExists",
        deletionPolicy: "Delete",
        // The store of the XR's own namespace: only it may use it, and it reaches only its keys.
        secretStoreRefs: [{ kind: "ClusterSecretStore", name: "secrets-team-payments" }],
        selector: {
          generatorRef: {
            apiVersion: "generators.external-secrets.io/v1alpha1",
            kind: "Password",
            name: "checkout-db-passwords",
          },
        },
        data: [
          { match: { secretKey: "master", remoteRef: { remoteKey: master, property: "password" } } },
          { match: { secretKey: "app", remoteRef: { remoteKey: app, property: "password" } } },
        ],
      });
      const remoteKeyOf = (name: string) =>
        (resources[name] as { spec: { data: Array<{ remoteRef: { key: string } }> } }).spec.data[0]!.remoteRef
          .key;
      assert.equal(remoteKeyOf("master-credentials"), master);
      assert.equal(remoteKeyOf("connection-secret"), app);
      for (const name of ["master-credentials", "connection-secret"]) {
        assert.deepEqual((resources[name] as { spec: { secretStoreRef: Json } }).spec.secretStoreRef, {
          kind: "ClusterSecretStore",
          name: "secrets-team-payments",
        });
      }
    }
    assert.throws(
      () => passwordKeyFormat({ kind: "aws-secrets-manager", ready: [], prefix: "idp/prod/" }, "app"),
      /secrets prefix "idp\/prod\/" is not a valid Secrets Manager name prefix/,
    );
  });

  it("keeps pushed passwords when the profile keeps data", async () => {
    for (const profile of ["dev", "staging", "prod"] as const) {
      const { resources } = await renderXr(sqlComposition(profile, "rds"), sqlXrd, database);
      assert.equal(
        (resources["push-passwords"] as { spec: Json }).spec["deletionPolicy"],
        PROFILES[profile].dataDeletionPolicy === "Orphan" ? "None" : "Delete",
      );
    }
  });

  for (const mode of ["rds", "in-cluster"] as const) {
    it(`writes the connection Secret and the master credentials (${mode})`, async () => {
      const host = mode === "rds" ? RDS_ADDRESS : "checkout-db-postgres.team-payments.svc.cluster.local";
      const sslMode = mode === "rds" ? "require" : "disable";
      const xr = mode === "rds" ? addressed : database;
      const { resources } = await renderXr(sqlComposition("dev", mode), sqlXrd, xr);
      const target = (name: string) => (resources[name] as { spec: { target: Json } }).spec.target;
      assert.deepEqual(target("connection-secret"), {
        name: "checkout-db-connection",
        creationPolicy: "Owner",
        deletionPolicy: "Retain",
        template: {
          engineVersion: "v2",
          type: "Opaque",
          data: {
            PGHOST: host,
            PGPORT: "5432",
            PGDATABASE: "checkout-db",
            PGUSER: "checkout-db",
            PGPASSWORD: "{{ .password }}",
            PGSSLMODE: sslMode,
            DATABASE_URL: `postgresql://checkout-db:{{ .password | urlquery }}@${host}:5432/checkout-db?sslmode=${sslMode}`,
          },
        },
      });
      assert.deepEqual(
        Object.keys((target("connection-secret")["template"] as { data: Json }).data).sort(),
        Object.values(DATABASE_CONNECTION_KEYS).sort(),
      );
      assert.deepEqual(target("master-credentials"), {
        name: "checkout-db-master",
        creationPolicy: "Owner",
        deletionPolicy: "Retain",
        template: {
          engineVersion: "v2",
          type: "Opaque",
          data: { username: "postgres", password: "{{ .password }}", port: "5432", endpoint: host },
        },
      });
      assert.deepEqual((resources["sql-provider-config"] as { spec: Json }).spec, {
        credentials: {
          source: "PostgreSQLConnectionSecret",
          connectionSecretRef: { name: "checkout-db-master" },
        },
        sslMode,
        defaultDatabase: "postgres",
      });
    });
  }

  it("composes the connection Secret and the master credentials only once RDS has reported its address", async () => {
    // Before: a Secret without PGHOST and DATABASE_URL would start apps against nothing; they wait instead.
    const before = await renderXr(sqlComposition("dev", "rds"), sqlXrd, database);
    assert.deepEqual(before.filtered, ["master-credentials", "connection-secret"]);
    assert.equal(before.resources["connection-secret"], undefined);
    assert.equal(before.resources["master-credentials"], undefined);
    assert.deepEqual(before.results, []);
    const after = await renderXr(sqlComposition("dev", "rds"), sqlXrd, addressed);
    assert.deepEqual(after.filtered, []);
    const data = (after.resources["connection-secret"] as { spec: { target: { template: { data: Json } } } })
      .spec.target.template.data;
    assert.deepEqual(Object.keys(data).sort(), Object.values(DATABASE_CONNECTION_KEYS).sort());
    // In-cluster the host is known from the start: nothing waits.
    assert.deepEqual((await renderXr(sqlComposition("dev", "in-cluster"), sqlXrd, database)).filtered, []);
  });

  it("creates the app's role, owner of its database, with the master user as member", async () => {
    for (const profile of ["dev", "prod"] as const) {
      const { resources } = await renderXr(sqlComposition(profile, "rds"), sqlXrd, database);
      const policies = managementPolicies(PROFILES[profile].dataDeletionPolicy);
      const providerConfigRef = { kind: "ProviderConfig", name: "checkout-db" };
      assert.deepEqual((resources["role"] as { spec: Json }).spec, {
        managementPolicies: policies,
        providerConfigRef,
        forProvider: {
          privileges: {
            login: true,
            inherit: true,
            createDb: false,
            createRole: false,
            replication: false,
            superUser: false,
            bypassRls: false,
          },
          passwordSecretRef: { name: "checkout-db-connection", key: "PGPASSWORD" },
        },
        // provider-sql compares the referenced password with this Secret's and applies a change.
        writeConnectionSecretToRef: { name: "checkout-db-role-applied" },
      });
      assert.deepEqual((resources["master-membership"] as { spec: Json }).spec, {
        managementPolicies: policies,
        providerConfigRef,
        forProvider: { role: "postgres", memberOfRef: { name: "checkout-db" } },
      });
      assert.deepEqual((resources["database"] as { spec: Json }).spec, {
        managementPolicies: policies,
        providerConfigRef,
        forProvider: { ownerRef: { name: "checkout-db" }, encoding: "UTF8" },
      });
    }
    assert.deepEqual(managementPolicies("Delete"), ["*"]);
    assert.deepEqual(managementPolicies("Orphan"), ["Observe", "Create", "Update", "LateInitialize"]);
  });

  it("points a SchemaHero Database at the connection Secret, deploying immediately as the profile says", async () => {
    for (const profile of ["dev", "prod"] as const) {
      const { resources } = await renderXr(sqlComposition(profile, "rds"), sqlXrd, database);
      const ref = (key: string) => ({ valueFrom: { secretKeyRef: { name: "checkout-db-connection", key } } });
      assert.deepEqual(resources["schemahero-database"], {
        apiVersion: "databases.schemahero.io/v1alpha4",
        kind: "Database",
        metadata: {
          name: "checkout-db",
          labels: {
            "app.kubernetes.io/part-of": "idp",
            "app.kubernetes.io/managed-by": "crossplane",
            "app.kubernetes.io/name": "checkout-db",
          },
        },
        spec: {
          immediateDeploy: PROFILES[profile].schemaImmediateDeploy,
          connection: {
            postgres: {
              host: ref("PGHOST"),
              port: ref("PGPORT"),
              user: ref("PGUSER"),
              password: ref("PGPASSWORD"),
              dbname: ref("PGDATABASE"),
              sslmode: ref("PGSSLMODE"),
            },
          },
        },
      });
    }
  });

  it("orders teardown with Usages where data is deleted: database and membership, then the role, then what the role's deletion needs", async () => {
    const sql = "postgresql.sql.m.crossplane.io/v1alpha1";
    const role = { apiVersion: sql, kind: "Role" };
    const controlled = (kind: string, apiVersion = sql) => ({
      apiVersion,
      kind,
      resourceSelector: { matchControllerRef: true },
    });
    const named = (apiVersion: string, kind: string, name: string) => ({
      apiVersion,
      kind,
      resourceRef: { name },
    });
    const ec2 = "ec2.aws.m.upbound.io/v1beta1";
    for (const [mode, server, network] of [
      [
        "rds",
        controlled("Instance", "rds.aws.m.upbound.io/v1beta1"),
        [
          ["security-group", controlled("SecurityGroup", ec2)],
          [
            "ingress-security-group-0",
            named(ec2, "SecurityGroupIngressRule", "checkout-db-ingress-security-group-0"),
          ],
          ["ingress-cidr-0", named(ec2, "SecurityGroupIngressRule", "checkout-db-ingress-cidr-0")],
        ],
      ],
      [
        "in-cluster",
        controlled("StatefulSet", "apps/v1"),
        [["service", named("v1", "Service", "checkout-db-postgres")]],
      ],
    ] as const) {
      const { resources } = await renderXr(
        sqlComposition("dev", mode),
        sqlXrd,
        mode === "rds" ? addressed : database,
      );
      const specOf = (name: string) => resources[name] as { spec: Json; metadata: { name: string } };
      const names = mode === "rds" ? rdsUsages : inClusterUsages;
      assert.deepEqual(
        names.map((name) => [specOf(name).metadata.name, specOf(name).spec]),
        [
          [
            "checkout-db-role-outlives-database",
            {
              of: { ...role, resourceRef: { name: "checkout-db" } },
              by: controlled("Database"),
              replayDeletion: true,
            },
          ],
          [
            "checkout-db-role-outlives-membership",
            {
              of: { ...role, resourceRef: { name: "checkout-db" } },
              by: controlled("Grant"),
              replayDeletion: true,
            },
          ],
          ["checkout-db-server-outlives-role", { of: server, by: controlled("Role"), replayDeletion: true }],
          ...network.map(([hop, of]) => [
            `checkout-db-${hop}-outlives-role`,
            { of, by: controlled("Role"), replayDeletion: true },
          ]),
          [
            "checkout-db-credentials-outlive-role",
            {
              of: named("external-secrets.io/v1", "ExternalSecret", "checkout-db-master"),
              by: controlled("Role"),
              replayDeletion: true,
            },
          ],
        ],
      );
    }
  });

  for (const [profile, mode] of [
    ["dev", "in-cluster"],
    ["staging", "in-cluster"],
    ["dev", "rds"],
    ["staging", "rds"],
    ["prod", "rds"],
  ] as const) {
    it(`deletes nothing a later deletion still needs (${profile}, ${mode})`, async () => {
      const { resources } = await renderXr(
        sqlComposition(profile, mode),
        sqlXrd,
        mode === "rds" ? addressed : database,
      );
      const { steps, violations } = walkDeletion(resources, mode);
      assert.deepEqual(violations, []);
      if (PROFILES[profile].dataDeletionPolicy === "Orphan") {
        // Nothing connects to the server on deletion: everything goes at once, which is fine.
        assert.equal(steps.length, 1);
      } else {
        const stepOf = (name: string) => steps.findIndex((step) => step.includes(name));
        assert.ok(stepOf("database") < stepOf("role"));
        assert.ok(stepOf("master-membership") < stepOf("role"));
        for (const needed of ["master-credentials", ...SERVER_PATH[mode]]) {
          assert.ok(stepOf("role") < stepOf(needed), `${needed} outlives the role`);
        }
      }
    });
  }

  it("the deletion walk finds the gap a missing Usage leaves", async () => {
    // Without the Service's Usage, the garbage collector may take the Service first, and provider-sql
    // can no longer reach the server to drop the role: its finalizer would stay forever.
    const { resources } = await renderXr(sqlComposition("dev", "in-cluster"), sqlXrd, database);
    const withoutServiceUsage = { ...resources };
    delete withoutServiceUsage["usage-service-outlives-role"];
    assert.deepEqual(walkDeletion(withoutServiceUsage, "in-cluster").violations, [
      "master-membership is deleted while it still needs server-service",
      "database is deleted while it still needs server-service",
      "role is deleted while it still needs server-service",
    ]);
  });

  describe("on RDS", () => {
    it("creates an encrypted, private instance sized and protected per profile", async () => {
      for (const profile of ["dev", "staging", "prod"] as const) {
        const { resources } = await renderXr(sqlComposition(profile, "rds"), sqlXrd, {
          ...database,
          spec: { version: "16", size: "medium", storageGB: 100 },
        });
        const instance = resources["instance"] as { spec: Json };
        const settings = DATABASE_PROFILES[profile];
        assert.deepEqual(instance.spec, {
          managementPolicies: managementPolicies(PROFILES[profile].dataDeletionPolicy),
          providerConfigRef: { kind: "ClusterProviderConfig", name: "default" },
          forProvider: {
            region: "eu-west-1",
            engine: "postgres",
            engineVersion: "16",
            instanceClass: "db.m7g.large",
            allocatedStorage: 100,
            storageType: "gp3",
            storageEncrypted: true,
            publiclyAccessible: false,
            port: 5432,
            username: "postgres",
            passwordSecretRef: { name: "checkout-db-master", key: "password" },
            dbSubnetGroupNameSelector: { matchControllerRef: true },
            vpcSecurityGroupIdSelector: { matchControllerRef: true },
            multiAz: settings.multiAz,
            backupRetentionPeriod: settings.backupRetentionDays,
            deletionProtection: settings.deletionProtection,
            applyImmediately: settings.applyImmediately,
            skipFinalSnapshot: !settings.finalSnapshot,
            ...(settings.finalSnapshot
              ? { finalSnapshotIdentifier: `idp-${profile}-team-payments-checkout-db-final` }
              : {}),
            identifier: `idp-${profile}-team-payments-checkout-db`,
            copyTagsToSnapshot: true,
            autoMinorVersionUpgrade: true,
            allowMajorVersionUpgrade: false,
            tags: {
              "idp:cluster": `idp-${profile}`,
              "managed-by": "crossplane",
              "idp:namespace": "team-payments",
              "idp:name": "checkout-db",
            },
          },
        });
      }
      // Prod changes wait for the maintenance window and keep a final snapshot; dev and staging apply at once.
      assert.deepEqual(DATABASE_PROFILES, {
        dev: {
          backupRetentionDays: 1,
          multiAz: false,
          deletionProtection: false,
          applyImmediately: true,
          finalSnapshot: false,
        },
        staging: {
          backupRetentionDays: 7,
          multiAz: false,
          deletionProtection: false,
          applyImmediately: true,
          finalSnapshot: false,
        },
        prod: {
          backupRetentionDays: 14,
          multiAz: true,
          deletionProtection: true,
          applyImmediately: false,
          finalSnapshot: true,
        },
      });
    });

    it("orphans every AWS resource in prod, deletes them in dev and staging", async () => {
      for (const profile of ["dev", "staging", "prod"] as const) {
        const { resources } = await renderXr(sqlComposition(profile, "rds"), sqlXrd, database);
        for (const name of [
          "subnet-group",
          "security-group",
          "ingress-security-group-0",
          "ingress-cidr-0",
          "instance",
        ]) {
          assert.deepEqual(
            (resources[name] as { spec: Json }).spec["managementPolicies"],
            profile === "prod" ? ["Observe", "Create", "Update", "LateInitialize"] : ["*"],
            `${profile} ${name}`,
          );
        }
      }
    });

    it("maps sizes to instance classes", async () => {
      for (const [size, instanceClass] of [
        ["small", "db.t4g.small"],
        ["medium", "db.m7g.large"],
        ["large", "db.m7g.xlarge"],
      ] as const) {
        const { resources } = await renderXr(sqlComposition("dev", "rds"), sqlXrd, {
          ...database,
          spec: { size },
        });
        assert.equal(
          (resources["instance"] as { spec: { forProvider: Json } }).spec.forProvider["instanceClass"],
          instanceClass,
        );
      }
    });

    it("places it in the configured subnets and VPC, reachable on 5432 from the configured clients only", async () => {
      const { resources } = await renderXr(sqlComposition("prod", "rds"), sqlXrd, database);
      const forProvider = (name: string) =>
        (resources[name] as { spec: { forProvider: Json } }).spec.forProvider;
      const tags = {
        "idp:cluster": "idp-prod",
        "managed-by": "crossplane",
        "idp:namespace": "team-payments",
        "idp:name": "checkout-db",
      };
      assert.deepEqual(forProvider("subnet-group"), {
        region: "eu-west-1",
        subnetIds: RDS_SERVER.subnetIds,
        description: "SQLDatabase team-payments/checkout-db (idp-prod)",
        tags,
      });
      assert.deepEqual(forProvider("security-group"), {
        region: "eu-west-1",
        vpcId: RDS_SERVER.vpcId,
        description: "Postgres of a SQLDatabase",
        revokeRulesOnDelete: true,
        // The XR's uid makes it unique per SQLDatabase: prod keeps a deleted database's group.
        name: `idp-prod-team-payments-checkout-db-postgres-${UID}`,
        tags,
      });
      const rule = {
        region: "eu-west-1",
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        securityGroupIdSelector: { matchControllerRef: true },
        tags,
      };
      assert.deepEqual(forProvider("ingress-security-group-0"), {
        ...rule,
        referencedSecurityGroupId: "sg-0f1e2d3c4b5a69788",
        description: "Postgres from sg-0f1e2d3c4b5a69788",
      });
      assert.deepEqual(forProvider("ingress-cidr-0"), {
        ...rule,
        cidrIpv4: "10.20.0.0/16",
        description: "Postgres from 10.20.0.0/16",
      });
      assert.throws(
        () => sqlComposition("prod", "rds", awsBackend(), { clientSecurityGroupIds: [], allowedCidrs: [] }),
        /an RDS database needs at least one client security group or allowed CIDR/,
      );
      assert.throws(
        () => sqlComposition("prod", "rds", awsBackend(), { subnetIds: ["subnet-0f1e2d3c4b5a60711"] }),
        /an RDS subnet group needs at least two subnets/,
      );
    });

    it("reports the instance's address and port in the SQLDatabase's status", async () => {
      const { status } = await renderXr(sqlComposition("dev", "rds"), sqlXrd, database, {
        instance: { status: { atProvider: { address: RDS_ADDRESS, port: 5432 } } },
        "connection-secret": { spec: { target: { name: "checkout-db-connection" } } },
      });
      assert.deepEqual(status, {
        address: RDS_ADDRESS,
        port: 5432,
        connectionSecret: "checkout-db-connection",
      });
    });
  });

  describe("in-cluster", () => {
    it("runs the pinned official image of the requested major on a claim that grows with storageGB", async () => {
      for (const version of ["16", "17", "18"] as const) {
        const { resources } = await renderXr(sqlComposition("dev", "in-cluster"), sqlXrd, {
          ...database,
          spec: { version, size: "medium", storageGB: 50 },
        });
        const server = resources["server"] as {
          spec: { template: { spec: { containers: Json[]; volumes: Json[] } } } & Json;
        };
        const container = server.spec.template.spec.containers[0]!;
        assert.equal(container["image"], POSTGRES_IMAGES[version]);
        assert.match(
          String(container["image"]),
          new RegExp(`^docker\\.io/library/postgres:${version}\\.\\d+$`),
        );
        assert.deepEqual(container["resources"], {
          requests: { cpu: "1", memory: "2Gi" },
          limits: { memory: "2Gi" },
        });
        assert.deepEqual(container["env"], [
          { name: "POSTGRES_USER", value: "postgres" },
          {
            name: "POSTGRES_PASSWORD",
            valueFrom: { secretKeyRef: { name: "checkout-db-master", key: "password" } },
          },
          { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
        ]);
        assert.equal(server.spec["serviceName"], "checkout-db-postgres");
        assert.deepEqual(server.spec.template.spec.volumes[0], {
          name: "data",
          persistentVolumeClaim: { claimName: "checkout-db-postgres-data" },
        });
        assert.deepEqual((resources["volume"] as { spec: Json; metadata: Json }).spec, {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "50Gi" } },
        });
        assert.equal(
          (resources["volume"] as { metadata: Json }).metadata["name"],
          "checkout-db-postgres-data",
        );
        assert.deepEqual((resources["server-service"] as { spec: Json }).spec, {
          type: "ClusterIP",
          selector: { "app.kubernetes.io/instance": "checkout-db-postgres" },
          ports: [{ name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" }],
        });
        assert.deepEqual(server.spec["selector"], {
          matchLabels: { "app.kubernetes.io/instance": "checkout-db-postgres" },
        });
      }
    });

    it("runs as the image's postgres user without privileges", async () => {
      const { resources } = await renderXr(sqlComposition("dev", "in-cluster"), sqlXrd, database);
      const pod = (resources["server"] as { spec: { template: { spec: Json & { containers: Json[] } } } })
        .spec.template.spec;
      assert.deepEqual(pod["securityContext"], {
        runAsNonRoot: true,
        runAsUser: 999,
        runAsGroup: 999,
        fsGroup: 999,
        seccompProfile: { type: "RuntimeDefault" },
      });
      assert.deepEqual(pod.containers[0]!["securityContext"], {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      assert.deepEqual(template(sqlComposition("dev", "in-cluster"), "server").readinessChecks, [
        { type: "NonEmpty", fieldPath: "status.readyReplicas" },
      ]);
    });

    it("reports the Service's address in the SQLDatabase's status", async () => {
      const { status } = await renderXr(sqlComposition("dev", "in-cluster"), sqlXrd, database, {
        "server-service": {
          metadata: { name: "checkout-db-postgres", namespace: "team-payments" },
          spec: { ports: [{ port: 5432 }] },
        },
      });
      assert.deepEqual(status, {
        address: "checkout-db-postgres.team-payments.svc.cluster.local",
        port: 5432,
      });
    });
  });

  it("needs RBAC for exactly its composed kinds that neither Crossplane nor a provider grants, per mode", () => {
    const verbs = ["get", "list", "watch", "create", "update", "patch", "delete"];
    // SQL, RDS and EC2 kinds come from providers (the RBAC manager aggregates their edit roles);
    // services and usages from Crossplane's own ClusterRole.
    const shared = [
      { apiGroups: ["databases.schemahero.io"], resources: ["databases"], verbs },
      { apiGroups: ["external-secrets.io"], resources: ["externalsecrets", "pushsecrets"], verbs },
      { apiGroups: ["generators.external-secrets.io"], resources: ["passwords"], verbs },
    ];
    assert.deepEqual(composeRules(sqlComposition("prod", "rds")), shared);
    assert.deepEqual(composeRules(sqlComposition("dev", "rds")), shared);
    assert.deepEqual(composeRules(sqlComposition("dev", "in-cluster")), [
      { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs },
      { apiGroups: ["apps"], resources: ["statefulsets"], verbs },
      ...shared,
    ]);
  });

  it("activates exactly the managed resources the compositions compose", () => {
    const app = appComposition({ name: "a", domain: DOMAIN, ingress: ingressRef("gateway") });
    const sqlMrds = [
      "databases.postgresql.sql.m.crossplane.io",
      "grants.postgresql.sql.m.crossplane.io",
      "roles.postgresql.sql.m.crossplane.io",
    ];
    // The App's Objects (an App on a workload cluster) are provider-kubernetes managed resources.
    const objects = "objects.kubernetes.m.crossplane.io";
    assert.deepEqual(managedResourceDefinitions([app, sqlComposition("prod", "rds")]), [
      ...sqlMrds.slice(0, 2),
      "instances.rds.aws.m.upbound.io",
      objects,
      sqlMrds[2],
      "securitygroupingressrules.ec2.aws.m.upbound.io",
      "securitygroups.ec2.aws.m.upbound.io",
      "subnetgroups.rds.aws.m.upbound.io",
    ]);
    assert.deepEqual(managedResourceDefinitions([app, sqlComposition("dev", "in-cluster")]), [
      ...sqlMrds.slice(0, 2),
      objects,
      sqlMrds[2],
    ]);
    assert.deepEqual(composedKinds(app), [
      "/Service",
      "apps/Deployment",
      "autoscaling/HorizontalPodAutoscaler",
      "gateway.networking.k8s.io/HTTPRoute",
      "kubernetes.m.crossplane.io/Object",
      "policy/PodDisruptionBudget",
      "protection.crossplane.io/Usage",
    ]);
  });
});

// -------------------------------------------------------------------------------------------------
// The model follows function-patch-and-transform v0.10.9, numbers as float64 included.

describe("patch-and-transform model (as the real function behaves)", () => {
  /** A one-resource composition, built without the builder's checks (what a hand edit could ship). */
  const raw = (patches: unknown[], readinessChecks: unknown[] = [{ type: "None" }]): CompositionObject =>
    ({
      apiVersion: "apiextensions.crossplane.io/v1",
      kind: "Composition",
      metadata: { name: "raw", labels: {} },
      spec: {
        compositeTypeRef: { apiVersion: "platform.idp.internal/v1alpha1", kind: "SQLDatabase" },
        mode: "Pipeline",
        pipeline: [
          {
            step: "compose",
            functionRef: { name: "function-patch-and-transform" },
            input: {
              apiVersion: "pt.fn.crossplane.io/v1beta1",
              kind: "Resources",
              resources: [
                {
                  name: "volume",
                  base: { apiVersion: "v1", kind: "PersistentVolumeClaim", spec: {} },
                  patches,
                  readinessChecks,
                },
              ],
            },
          },
        ],
      },
    }) as unknown as CompositionObject;
  const storage = (transforms: unknown[]) => [
    { type: "FromCompositeFieldPath", fromFieldPath: "spec.storageGB", toFieldPath: "spec.size", transforms },
  ];
  const sizeOf = (rendered: { resources: Record<string, Json> }) =>
    (rendered.resources["volume"] as { spec: { size?: unknown } }).spec.size;

  it("receives every number as a float64: %d renders Go's error form unless converted to int64 first", async () => {
    const format = { type: "string", string: { type: "Format", fmt: "%dGi" } };
    assert.equal(sizeOf(await render(raw(storage([format])), database)), "%!d(float64=20)Gi");
    const toInt = { type: "convert", convert: { toType: "int64" } };
    assert.equal(sizeOf(await render(raw(storage([toInt, format])), database)), "20Gi");
    // %v prints a float64 without a fraction as Go does, %s does not take numbers at all.
    const v = { type: "string", string: { type: "Format", fmt: "%vGi" } };
    assert.equal(sizeOf(await render(raw(storage([v])), database)), "20Gi");
    const str = { type: "string", string: { type: "Format", fmt: "%sGi" } };
    assert.equal(sizeOf(await render(raw(storage([str])), database)), "%!s(float64=20)Gi");
  });

  it("rejects an unknown transform type as invalid input (Fatal), before rendering anything", async () => {
    const rendered = await render(raw(storage([{ type: "bogus" }])), database);
    assert.deepEqual(rendered.results, [
      {
        severity: "Fatal",
        message:
          'invalid Function input: resources[0].patches[0].transforms[0].type: Invalid value: "bogus": unknown transform type',
      },
    ]);
    assert.deepEqual(rendered.resources, {});
  });

  it("fails the pipeline on a transform of the wrong type (Fatal, with the patch and transform index)", async () => {
    const rendered = await render(raw(storage([{ type: "map", map: { "20": "small" } }])), database);
    assert.deepEqual(rendered.results, [
      {
        severity: "Fatal",
        message:
          'cannot render composed resource "volume" "FromCompositeFieldPath" patch at index 0: transform at index 0 returned error: map transform could not resolve: type float64 is not supported for map transform',
      },
    ]);
    const missingKey = await render(
      raw([
        {
          type: "FromCompositeFieldPath",
          fromFieldPath: "spec.size",
          toFieldPath: "spec.size",
          transforms: [{ type: "map", map: { large: "x" } }],
        },
      ]),
      database,
    );
    assert.match(
      missingKey.results[0]!.message,
      /map transform could not resolve: key small is not found in map$/,
    );
  });

  it("does not compose a new resource whose Required patch finds nothing (Warning), and skips Optional ones silently", async () => {
    const required = {
      type: "FromCompositeFieldPath",
      fromFieldPath: "spec.missing",
      toFieldPath: "spec.size",
      policy: { fromFieldPath: "Required" },
    };
    const rendered = await render(raw([required]), database);
    assert.deepEqual(rendered.resources, {});
    assert.deepEqual(rendered.results, [
      {
        severity: "Warning",
        message:
          'not adding new composed resource "volume" to desired state because "FromCompositeFieldPath" patch at index 0 has \'policy.fromFieldPath: Required\': spec.missing: no such field',
      },
    ]);
    const optional = await render(raw([{ ...required, policy: undefined }]), database);
    assert.deepEqual(optional.results, []);
    assert.deepEqual(Object.keys(optional.resources), ["volume"]);
  });

  it("reads observed counts as float64: MatchInteger never passes (Warning), NonEmpty does", async () => {
    const observed = { volume: { status: { readyReplicas: 1 } } };
    const matchInteger = await render(
      raw([], [{ type: "MatchInteger", fieldPath: "status.readyReplicas", matchInteger: 1 }]),
      database,
      observed,
    );
    assert.deepEqual(matchInteger.ready, []);
    assert.deepEqual(matchInteger.results, [
      {
        severity: "Warning",
        message:
          'cannot check readiness of composed resource "volume": cannot run readiness check at index 0: status.readyReplicas: not a (int64) number',
      },
    ]);
    const nonEmpty = [{ type: "NonEmpty", fieldPath: "status.readyReplicas" }];
    assert.deepEqual((await render(raw([], nonEmpty), database, observed)).ready, ["volume"]);
    assert.deepEqual((await render(raw([], nonEmpty), database, { volume: { status: {} } })).ready, []);
  });

  it("the builder refuses what the function would get wrong: %d without toInt64, a Usage without replayDeletion", () => {
    const base = { apiVersion: "v1", kind: "PersistentVolumeClaim" };
    assert.deepEqual(
      templateProblems({
        name: "volume",
        base,
        patches: [fromXr("spec.storageGB", "spec.size", format("%dGi"))],
        readinessChecks: [],
      }),
      ['volume: format "%dGi" on spec.storageGB needs toInt64() first (numbers reach functions as float64)'],
    );
    assert.deepEqual(
      templateProblems({
        name: "volume",
        base,
        patches: [fromXr("spec.storageGB", "spec.size", toInt64(), format("%dGi"))],
        readinessChecks: [],
      }),
      [],
    );
    assert.deepEqual(
      templateProblems({
        name: "usage",
        base: { apiVersion: "protection.crossplane.io/v1beta1", kind: "Usage", spec: { of: {}, by: {} } },
        readinessChecks: [],
      }),
      ["usage: a Usage must set replayDeletion, or a deletion it blocked is never retried"],
    );
    assert.throws(() => format("%s"), /format "%s" changes nothing/);
  });

  /** Every composition of the fixtures, with an example XR and observed resources that carry status. */
  const everyComposition = () => [
    ...(["gateway", "nginx"] as const).map((kind) => ({
      label: `App (${kind})`,
      composition: appComposition({ name: `apps-${kind}`, domain: DOMAIN, ingress: ingressRef(kind) }),
      xrd: appXrd({ domain: DOMAIN, replicas: PROFILES.prod.appReplicas, defaultComposition: "x" }),
      xr: appResource({
        name: "checkout-api",
        namespace: "team-payments",
        image: IMAGE,
        host: `checkout.${DOMAIN}`,
        database: "checkout-db",
      }),
    })),
    ...(
      [
        ["dev", "in-cluster"],
        ["dev", "rds"],
        ["prod", "rds"],
      ] as const
    ).map(([profile, mode]) => ({
      label: `SQLDatabase (${profile}, ${mode})`,
      composition: sqlComposition(profile, mode),
      xrd: sqlXrd,
      xr: mode === "rds" ? addressed : database,
    })),
  ];

  it("renders every number-bearing patch of every composition without a Go format error, and no result", async () => {
    let numberPatches = 0;
    for (const { label, composition, xrd, xr } of everyComposition()) {
      const { object } = await admit(xrd, xr);
      for (const patch of input(composition).resources.flatMap((r) => r.patches ?? [])) {
        const sources =
          "fromFieldPath" in patch
            ? [patch.fromFieldPath]
            : patch.combine.variables.map((v) => v.fromFieldPath);
        if (patch.type.startsWith("From") || patch.type.startsWith("Combine")) {
          if (sources.some((source) => typeof getPath(object, source) === "number")) numberPatches++;
        }
      }
      const rendered = await render(composition, object);
      assert.deepEqual(rendered.results, [], label);
      const text = JSON.stringify(rendered.resources);
      assert.ok(!text.includes("%!"), `${label}: ${text.match(/"[^"]*%![^"]*"/)?.[0] ?? ""}`);
    }
    // storageGB, port and the replica bounds at least: the check covers real numbers.
    assert.ok(numberPatches >= 5, `${numberPatches} number-bearing patches`);
  });
});

/**
 * The Compositions, step by step: their pipelines, every composed resource rendered for the shipped
 * examples (as function-patch-and-transform and function-cel-filter would), validated against the
 * upstream schemas, and the differences between profiles, ingress layers and database modes.
 */
import * as assert from "node:assert/strict";
import { managedResourceDefinitions } from "../components/crossplane";
import { appResource, DATABASE_CONNECTION_KEYS, sqlDatabaseResource } from "../components/crossplane/api";
import { appComposition, DATABASE_USAGE } from "../components/crossplane/app";
import type { CompositionObject, PatchAndTransformInput } from "../components/crossplane/pt";
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
import { admit, render, validateKubernetes } from "./crossplane-render";
import { loadSharedYaml } from "./harness";

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
          filters: [{ name: DATABASE_USAGE, expression: "has(observed.composite.resource.spec.database)" }],
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
          ],
        );
        assertCompositionValid(composition);
      });

      it("renders the example without a database: no Usage, no connection Secret", async () => {
        const { resources, filtered } = await renderXr(composition, xrd, example());
        assert.deepEqual(filtered, [DATABASE_USAGE]);
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
        assert.deepEqual(container["env"], [{ name: "LOG_LEVEL", value: "info" }]);
        assert.equal(container["envFrom"], undefined);
        await assertValid(resources);
      });

      it("renders Deployment, Service, autoscaler and disruption budget for the App", async () => {
        const { resources } = await renderXr(composition, xrd, example());
        const labels = {
          "app.kubernetes.io/part-of": "idp",
          "app.kubernetes.io/managed-by": "crossplane",
          "app.kubernetes.io/name": "checkout-api",
        };
        for (const object of Object.values(resources)) {
          assert.deepEqual(object["metadata"], {
            name: "checkout-api",
            labels,
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
        assert.deepEqual(filtered, []);
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

  it("needs RBAC for exactly its composed kinds, per ingress layer", () => {
    const verbs = ["get", "list", "watch", "create", "update", "patch", "delete"];
    const rules = (kind: "gateway" | "nginx") =>
      composeRules(appComposition({ name: "a", domain: DOMAIN, ingress: ingressRef(kind) }));
    assert.deepEqual(rules("gateway"), [
      { apiGroups: [""], resources: ["services"], verbs },
      { apiGroups: ["apps"], resources: ["deployments"], verbs },
      { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs },
      { apiGroups: ["gateway.networking.k8s.io"], resources: ["httproutes"], verbs },
      { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs },
      { apiGroups: ["protection.crossplane.io"], resources: ["usages"], verbs },
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
const database = sqlDatabaseResource({ name: "checkout-db", namespace: "team-payments" });
const RDS_ADDRESS = "checkout-db-x1y2z.abcdefghij.eu-west-1.rds.amazonaws.com";

describe("SQLDatabase compositions", () => {
  const common = ["passwords", "push-passwords", "master-credentials", "connection-secret"];
  const sqlObjects = ["sql-provider-config", "role", "master-membership", "database", "schemahero-database"];
  const usages = [
    "usage-role-outlives-database",
    "usage-role-outlives-membership",
    "usage-server-outlives-role",
    "usage-credentials-outlive-role",
  ];

  it("compose credentials, the server, teardown Usages, and the role, database and SchemaHero database", () => {
    assert.deepEqual(
      input(sqlComposition("prod", "rds")).resources.map((r) => r.name),
      [
        ...common,
        "subnet-group",
        "security-group",
        "ingress-security-group-0",
        "ingress-cidr-0",
        "instance",
        ...usages,
        ...sqlObjects,
      ],
    );
    assert.deepEqual(
      input(sqlComposition("dev", "in-cluster")).resources.map((r) => r.name),
      [...common, "volume", "server", "server-service", ...usages, ...sqlObjects],
    );
    for (const composition of [sqlComposition("prod", "rds"), sqlComposition("dev", "in-cluster")]) {
      assert.deepEqual(
        composition.spec.pipeline.map((s) => [s.step, s.functionRef.name]),
        [["compose", "function-patch-and-transform"]],
      );
      assert.deepEqual(composition.spec.compositeTypeRef, {
        apiVersion: "platform.idp.internal/v1alpha1",
        kind: "SQLDatabase",
      });
      assertCompositionValid(composition);
    }
  });

  for (const [profile, mode] of [
    ["dev", "in-cluster"],
    ["staging", "in-cluster"],
    ["dev", "rds"],
    ["staging", "rds"],
    ["prod", "rds"],
  ] as const) {
    it(`renders valid objects for the example (${profile}, ${mode})`, async () => {
      const { resources } = await renderXr(sqlComposition(profile, mode), sqlXrd, database);
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
      const { resources } = await renderXr(sqlComposition("dev", "rds", secrets), sqlXrd, database);
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
        secretStoreRefs: [{ kind: "ClusterSecretStore", name: "platform-secrets" }],
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
    }
    assert.throws(
      () =>
        passwordKeyFormat(
          { kind: "aws-secrets-manager", store: kubernetesBackend().store, prefix: "idp/prod/" },
          "app",
        ),
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
      const xr = mode === "rds" ? { ...database, status: { address: RDS_ADDRESS } } : database;
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

  it("waits for the RDS address before writing hosts", async () => {
    const { resources } = await renderXr(sqlComposition("dev", "rds"), sqlXrd, database);
    const data = (resources["connection-secret"] as { spec: { target: { template: { data: Json } } } }).spec
      .target.template.data;
    assert.equal(data["PGHOST"], undefined);
    assert.equal(data["DATABASE_URL"], undefined);
    assert.equal(data["PGPASSWORD"], "{{ .password }}");
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

  it("orders teardown: database and membership, then the role, then the server and its credentials", async () => {
    for (const [mode, server] of [
      [
        "rds",
        {
          apiVersion: "rds.aws.m.upbound.io/v1beta1",
          kind: "Instance",
          resourceSelector: { matchControllerRef: true },
        },
      ],
      [
        "in-cluster",
        { apiVersion: "apps/v1", kind: "StatefulSet", resourceSelector: { matchControllerRef: true } },
      ],
    ] as const) {
      const { resources } = await renderXr(sqlComposition("dev", mode), sqlXrd, database);
      const role = { apiVersion: "postgresql.sql.m.crossplane.io/v1alpha1", kind: "Role" };
      const byControlled = (kind: string, apiVersion = "postgresql.sql.m.crossplane.io/v1alpha1") => ({
        apiVersion,
        kind,
        resourceSelector: { matchControllerRef: true },
      });
      const specOf = (name: string) => resources[name] as { spec: Json; metadata: { name: string } };
      assert.deepEqual(
        usages.map((name) => [specOf(name).metadata.name, specOf(name).spec]),
        [
          [
            "checkout-db-role-outlives-database",
            { of: { ...role, resourceRef: { name: "checkout-db" } }, by: byControlled("Database") },
          ],
          [
            "checkout-db-role-outlives-membership",
            { of: { ...role, resourceRef: { name: "checkout-db" } }, by: byControlled("Grant") },
          ],
          ["checkout-db-server-outlives-role", { of: server, by: byControlled("Role") }],
          [
            "checkout-db-credentials-outlive-role",
            {
              of: {
                apiVersion: "external-secrets.io/v1",
                kind: "ExternalSecret",
                resourceRef: { name: "checkout-db-master" },
              },
              by: byControlled("Role"),
            },
          ],
        ],
      );
    }
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
            skipFinalSnapshot: true,
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
      assert.deepEqual(DATABASE_PROFILES, {
        dev: { backupRetentionDays: 1, multiAz: false, deletionProtection: false },
        staging: { backupRetentionDays: 7, multiAz: false, deletionProtection: false },
        prod: { backupRetentionDays: 14, multiAz: true, deletionProtection: true },
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
        name: "idp-prod-team-payments-checkout-db-postgres",
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
        { type: "MatchInteger", fieldPath: "status.readyReplicas", matchInteger: 1 },
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

  it("needs RBAC for exactly its composed kinds, per mode", () => {
    const verbs = ["get", "list", "watch", "create", "update", "patch", "delete"];
    const shared = [
      { apiGroups: ["databases.schemahero.io"], resources: ["databases"], verbs },
      { apiGroups: ["external-secrets.io"], resources: ["externalsecrets", "pushsecrets"], verbs },
      { apiGroups: ["generators.external-secrets.io"], resources: ["passwords"], verbs },
      {
        apiGroups: ["postgresql.sql.m.crossplane.io"],
        resources: ["databases", "grants", "providerconfigs", "roles"],
        verbs,
      },
      { apiGroups: ["protection.crossplane.io"], resources: ["usages"], verbs },
    ];
    assert.deepEqual(composeRules(sqlComposition("prod", "rds")), [
      ...shared.slice(0, 1),
      {
        apiGroups: ["ec2.aws.m.upbound.io"],
        resources: ["securitygroupingressrules", "securitygroups"],
        verbs,
      },
      ...shared.slice(1, 5),
      { apiGroups: ["rds.aws.m.upbound.io"], resources: ["instances", "subnetgroups"], verbs },
    ]);
    assert.deepEqual(composeRules(sqlComposition("dev", "in-cluster")), [
      { apiGroups: [""], resources: ["persistentvolumeclaims", "services"], verbs },
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
    assert.deepEqual(managedResourceDefinitions([app, sqlComposition("prod", "rds")]), [
      ...sqlMrds.slice(0, 2),
      "instances.rds.aws.m.upbound.io",
      sqlMrds[2],
      "securitygroupingressrules.ec2.aws.m.upbound.io",
      "securitygroups.ec2.aws.m.upbound.io",
      "subnetgroups.rds.aws.m.upbound.io",
    ]);
    assert.deepEqual(managedResourceDefinitions([app, sqlComposition("dev", "in-cluster")]), sqlMrds);
    assert.deepEqual(composedKinds(app), [
      "/Service",
      "apps/Deployment",
      "autoscaling/HorizontalPodAutoscaler",
      "gateway.networking.k8s.io/HTTPRoute",
      "policy/PodDisruptionBudget",
      "protection.crossplane.io/Usage",
    ]);
  });
});

/**
 * SchemaHero in every stack: the CRDs of the pinned release (kept, protected per profile), the manager
 * pinned and hardened, RBAC that covers what it grants per database and nothing it never uses, plugin
 * mirrors from config, and the SchemaHero objects of the platform valid against ../shared/crds.
 */
import * as assert from "node:assert/strict";
import YAML from "yaml";
import { managerCommand, managerRules, schemaHeroArgsProblems } from "../components/schemahero";
import { tableProblems } from "../components/github/resources";
import { CHARTS, IMAGES, TOOLS } from "../components/versions";
import { PROFILES } from "../stacks/profiles";
import { crdValidator } from "./crd-schema";
import { editedConfig, managementTree, promotedAppFiles, synthStack, type Synth } from "./harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
const STACKS = ["dev", "staging", "prod"] as const;

type Json = Record<string, unknown>;
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/**
 * The Role SchemaHero v0.25.0 creates for each database's controller (pkg/controller/database/rbac.go).
 * Kubernetes lets the manager grant it only if the manager holds every one of these permissions itself.
 */
const PER_DATABASE_ROLE: Rule[] = [
  { apiGroups: [""], resources: ["secrets", "serviceaccounts"], verbs: ["get"] },
  { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "list", "watch"] },
  ...[
    ["databases.schemahero.io", "databases"],
    ["schemas.schemahero.io", "migrations"],
    ["schemas.schemahero.io", "tables"],
    ["schemas.schemahero.io", "views"],
    ["schemas.schemahero.io", "functions"],
    ["schemas.schemahero.io", "databaseextensions"],
    ["schemas.schemahero.io", "datatypes"],
  ].flatMap(([group, resource]) => [
    {
      apiGroups: [group!],
      resources: [resource!],
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    { apiGroups: [group!], resources: [`${resource!}/status`], verbs: ["get", "update", "patch"] },
  ]),
];

function allows(rules: readonly Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some(
    (rule) =>
      rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb),
  );
}

function manager(synth: Synth): { metadata: Json; spec: { template: { spec: Json } } } {
  return synth.inputs(synth.one(STATEFUL_SET, "idp-schemahero-manager"));
}

describe("SchemaHero", () => {
  const synths = {} as Record<(typeof STACKS)[number], Synth>;
  before(async () => {
    for (const stack of STACKS) synths[stack] = await synthStack(stack);
  });

  it("pins 0.25.0 for the manager and takes the CRDs from SchemaHero's chart, nothing else of it", () => {
    assert.deepEqual(IMAGES.schemaHeroManager, {
      image: "docker.io/schemahero/schemahero-manager",
      tag: "0.25.0",
      upstream: "https://github.com/schemahero/schemahero/releases",
    });
    // The management repository's validate workflow checks Tables against the manager's own release.
    assert.equal(TOOLS.schemaHeroCrds.version, `v${IMAGES.schemaHeroManager.tag}`);
    for (const stack of STACKS) {
      const crds = synths[stack].inputs<Json>(synths[stack].one(RELEASE, "idp-schemahero-crds"));
      assert.equal(crds["chart"], `${CHARTS.schemaHero.repository}/${CHARTS.schemaHero.chart}`);
      assert.equal(crds["version"], CHARTS.schemaHero.version);
      assert.equal(crds["name"], "schemahero-crds");
      assert.equal(crds["namespace"], "schemahero");
      // Helm installs the chart's crds/ itself; the post-renderer (prints nothing) drops every
      // templated object, the chart's own manager included.
      assert.equal(crds["postrender"], "true");
      assert.equal(crds["skipCrds"], undefined);
      assert.deepEqual(crds["values"], {});
    }
    // No manifests read over HTTP(S) at preview: nothing the provider would fetch from a URL.
    for (const stack of STACKS) {
      assert.deepEqual(
        synths[stack].find(
          (r) =>
            r.type.startsWith("kubernetes:") &&
            JSON.stringify(r.wireInputs).includes("raw.githubusercontent.com"),
        ),
        [],
      );
    }
  });

  it("keeps the CRDs when Pulumi deletes them, and protects them as the profile says", () => {
    for (const stack of STACKS) {
      const crds = synths[stack].one(RELEASE, "idp-schemahero-crds");
      assert.equal(crds.options.retainOnDelete, true, stack);
      assert.equal(crds.options.protect, PROFILES[stack].protectStateful, stack);
    }
  });

  it("runs the pinned manager as a restricted pod, after its CRDs and RBAC", () => {
    for (const stack of STACKS) {
      const synth = synths[stack];
      const record = synth.one(STATEFUL_SET, "idp-schemahero-manager");
      const pod = manager(synth).spec.template.spec as {
        serviceAccountName: string;
        securityContext: Json;
        containers: Array<{ image: string; command: string[]; securityContext: Json; resources: Json }>;
      };
      assert.equal(pod.serviceAccountName, "schemahero");
      assert.deepEqual(pod.securityContext, {
        runAsNonRoot: true,
        runAsUser: 1001,
        runAsGroup: 1001,
        seccompProfile: { type: "RuntimeDefault" },
      });
      const [container] = pod.containers;
      assert.equal(container!.image, "docker.io/schemahero/schemahero-manager:0.25.0");
      assert.deepEqual(container!.securityContext, {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
      assert.deepEqual(container!.resources, {
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { memory: "256Mi" },
      });
      // The per-database controllers SchemaHero starts run the same pinned image.
      assert.deepEqual(container!.command, [
        "/manager",
        "run",
        "--enable-database-controller",
        "--manager-image",
        "docker.io/schemahero/schemahero-manager",
        "--manager-tag",
        "0.25.0",
      ]);
      assert.ok(synth.dependsOn(record, synth.one(RELEASE, "idp-schemahero-crds")));
      assert.ok(
        synth.dependsOn(
          record,
          synth.one(
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "idp-schemahero-cluster-role-binding",
          ),
        ),
      );
      const namespace = synth.inputs<{ metadata: { name: string; labels: Json } }>(
        synth.one("kubernetes:core/v1:Namespace", "idp-schemahero-namespace"),
      );
      assert.equal(namespace.metadata.name, "schemahero");
      assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
      const policy = synth.inputs<{ spec: Json }>(
        synth.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "idp-schemahero-deny-ingress"),
      );
      assert.deepEqual(policy.spec, { podSelector: {}, policyTypes: ["Ingress"] });
    }
  });

  it("binds its own service account to rules that cover every per-database grant and nothing unused", () => {
    const synth = synths.dev;
    const role = synth.inputs<{ rules: Rule[] }>(
      synth.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "idp-schemahero-cluster-role"),
    );
    assert.deepEqual(role.rules, managerRules());
    for (const rule of PER_DATABASE_ROLE) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          for (const verb of rule.verbs) {
            assert.ok(allows(role.rules, group, resource, verb), `may grant ${verb} ${group}/${resource}`);
          }
        }
      }
    }
    // What it reconciles per database: a StatefulSet, service account, Role and RoleBinding.
    for (const [group, resource] of [
      ["apps", "statefulsets"],
      ["", "serviceaccounts"],
      ["rbac.authorization.k8s.io", "roles"],
      ["rbac.authorization.k8s.io", "rolebindings"],
    ] as const) {
      for (const verb of ["get", "list", "watch", "create", "update"]) {
        assert.ok(allows(role.rules, group, resource, verb), `${verb} ${group}/${resource}`);
      }
    }
    // v0.25.0 registers no webhook, starts no pods and writes no Secrets.
    assert.ok(
      !allows(role.rules, "admissionregistration.k8s.io", "validatingwebhookconfigurations", "create"),
    );
    assert.ok(!allows(role.rules, "", "pods", "create"));
    assert.ok(!allows(role.rules, "", "secrets", "list"));
    assert.ok(!allows(role.rules, "", "secrets", "update"));
    assert.ok(!allows(role.rules, "apps", "deployments", "create"));
    const binding = synth.inputs<{ subjects: Json[]; roleRef: Json }>(
      synth.one(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "idp-schemahero-cluster-role-binding",
      ),
    );
    assert.deepEqual(binding.subjects, [
      { kind: "ServiceAccount", name: "schemahero", namespace: "schemahero" },
    ]);
    assert.deepEqual(binding.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "schemahero",
    });
  });

  it("holds the manager's writes to what it does for a Database in a team namespace (admission policy)", async () => {
    const { evaluate } = await import("@marcbachmann/cel-js");
    const dev = synths.dev;
    const policy = dev.inputs<{
      metadata: Json;
      spec: {
        failurePolicy: string;
        matchConstraints: { resourceRules: Array<{ resources: string[]; operations: string[] }> };
        matchConditions: Array<{ expression: string }>;
        validations: Array<{ expression: string; message: string }>;
      };
    }>(
      dev.one(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
        "idp-schemahero-write-policy",
      ),
    );
    assert.equal(policy.spec.failurePolicy, "Fail");
    assert.deepEqual(
      policy.spec.matchConstraints.resourceRules.map((r) => [r.resources, r.operations]),
      [
        [["statefulsets"], ["CREATE", "UPDATE", "DELETE"]],
        [["serviceaccounts"], ["CREATE", "UPDATE", "DELETE"]],
        [
          ["roles", "rolebindings"],
          ["CREATE", "UPDATE", "DELETE"],
        ],
      ],
    );
    assert.deepEqual(policy.spec.matchConditions, [
      {
        name: "schemahero-manager",
        expression: 'request.userInfo.username == "system:serviceaccount:schemahero:schemahero"',
      },
    ]);
    const binding = dev.inputs<{ spec: Json }>(
      dev.one(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
        "idp-schemahero-write-policy-binding",
      ),
    );
    assert.deepEqual(binding.spec, {
      policyName: "schemahero-writes-team-databases-only",
      validationActions: ["Deny"],
    });
    assert.ok(
      dev.dependsOn(
        dev.one(STATEFUL_SET, "idp-schemahero-manager"),
        dev.one(
          "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
          "idp-schemahero-write-policy-binding",
        ),
      ),
      "the manager starts after its writes are held",
    );

    const image = `${IMAGES.schemaHeroManager.image}:${IMAGES.schemaHeroManager.tag}`;
    const team = { metadata: { name: "team-orders", labels: { "idp.platform/team": "orders" } } };
    // What v0.25.0 writes for Database orders-api in team-orders (pkg/controller/database).
    const statefulSet = {
      metadata: { name: "orders-api-controller", namespace: "team-orders" },
      spec: {
        template: {
          spec: { serviceAccountName: "schemahero-orders-api", containers: [{ name: "manager", image }] },
        },
      },
    };
    const serviceAccount = { metadata: { name: "schemahero-orders-api", namespace: "team-orders" } };
    const role = {
      metadata: { name: "schemahero-orders-api", namespace: "team-orders" },
      rules: PER_DATABASE_ROLE,
    };
    const roleBinding = {
      metadata: { name: "schemahero-orders-api", namespace: "team-orders" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "schemahero-orders-api" },
      subjects: [{ kind: "ServiceAccount", name: "schemahero-orders-api", namespace: "team-orders" }],
    };
    const denied = (resource: string, object: Json, namespace: Json = team, operation = "CREATE"): string[] =>
      policy.spec.validations
        .filter(
          (v) =>
            evaluate(v.expression, {
              request: { operation, resource: { resource } },
              object: operation === "DELETE" ? null : object,
              oldObject: operation === "DELETE" ? object : null,
              namespaceObject: namespace,
            }) !== true,
        )
        .map((v) => v.message);
    assert.deepEqual(denied("statefulsets", statefulSet), []);
    assert.deepEqual(denied("statefulsets", statefulSet, team, "DELETE"), []);
    assert.deepEqual(denied("serviceaccounts", serviceAccount), []);
    assert.deepEqual(denied("roles", role), []);
    assert.deepEqual(denied("rolebindings", roleBinding), []);

    const platform = { metadata: { name: "argocd", labels: { "kubernetes.io/metadata.name": "argocd" } } };
    assert.deepEqual(denied("statefulsets", statefulSet, platform), [
      "SchemaHero writes only in team namespaces (label idp.platform/team)",
    ]);
    assert.deepEqual(denied("rolebindings", roleBinding, platform, "DELETE"), [
      "SchemaHero writes only in team namespaces (label idp.platform/team)",
    ]);
    const statefulSetMessage = `a StatefulSet of SchemaHero is <database>-controller, runs ${image} only, as service account schemahero-<database>`;
    const podSpec = statefulSet.spec.template.spec;
    const withPod = (pod: Json, name = statefulSet.metadata.name) => ({
      metadata: { ...statefulSet.metadata, name },
      spec: { template: { spec: pod } },
    });
    // A Database that names its own image (spec.schemahero.image), another service account, an init
    // container, or a StatefulSet that is not a database controller.
    assert.deepEqual(
      denied("statefulsets", withPod({ ...podSpec, containers: [{ name: "manager", image: "evil:1" }] })),
      [statefulSetMessage],
    );
    assert.deepEqual(denied("statefulsets", withPod({ ...podSpec, serviceAccountName: "argocd-server" })), [
      statefulSetMessage,
    ]);
    assert.deepEqual(
      denied("statefulsets", withPod({ ...podSpec, initContainers: [{ name: "x", image }] })),
      [statefulSetMessage],
    );
    assert.deepEqual(denied("statefulsets", withPod(podSpec, "postgres")), [statefulSetMessage]);
    assert.deepEqual(denied("serviceaccounts", { metadata: { name: "default", namespace: "team-orders" } }), [
      "service accounts, Roles and RoleBindings of SchemaHero are named schemahero-<database>",
    ]);
    const bindingMessage = "a RoleBinding of SchemaHero binds its own Role to its own service account only";
    assert.deepEqual(
      denied("rolebindings", {
        ...roleBinding,
        subjects: [{ kind: "ServiceAccount", name: "schemahero-orders-api", namespace: "team-search" }],
      }),
      [bindingMessage],
    );
    assert.deepEqual(
      denied("rolebindings", { ...roleBinding, subjects: [{ kind: "Group", name: "system:authenticated" }] }),
      [bindingMessage],
    );
    assert.deepEqual(
      denied("rolebindings", {
        ...roleBinding,
        roleRef: { ...roleBinding.roleRef, kind: "ClusterRole", name: "schemahero" },
      }),
      [bindingMessage],
    );
    const roleMessage =
      "a Role of SchemaHero reads Secrets, service accounts and StatefulSets, and grants no RBAC or workloads";
    for (const rule of [
      { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] },
      { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["create"] },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] },
    ]) {
      assert.deepEqual(
        denied("roles", { ...role, rules: [...PER_DATABASE_ROLE, rule] }),
        [roleMessage],
        JSON.stringify(rule),
      );
    }
  });

  it("pulls driver plugins from a mirror when idp:schemahero says so", async () => {
    const synth = await synthStack("staging", {
      config: editedConfig("staging", (c) => {
        c.values["idp:schemahero"] = { pluginRegistry: "registry.acme.example/mirror/schemahero/plugin" };
      }),
    });
    const command = (manager(synth).spec.template.spec as { containers: Array<{ command: string[] }> })
      .containers[0]!.command;
    assert.deepEqual(command.slice(-4), [
      "--plugin-registry",
      "registry.acme.example/mirror/schemahero/plugin",
      "--plugin-tag",
      "0",
    ]);
    assert.deepEqual(
      managerCommand({ profile: PROFILES.prod, pluginRegistry: "r.example/p", pluginTag: "0.0.1" }).slice(-4),
      ["--plugin-registry", "r.example/p", "--plugin-tag", "0.0.1"],
    );
    assert.deepEqual(schemaHeroArgsProblems({ profile: PROFILES.prod, pluginTag: "0" }), [
      "pluginTag needs pluginRegistry",
    ]);
  });

  it("composes Databases that defer migrations for review in prod and apply them elsewhere", () => {
    for (const stack of STACKS) {
      const synth = synths[stack];
      const bases = synth
        .ofType("kubernetes:apiextensions.crossplane.io/v1:Composition")
        .flatMap((record) => {
          const spec = synth.inputs<{
            spec: { pipeline: Array<{ input?: { resources?: Array<{ base: Json }> } }> };
          }>(record).spec;
          return spec.pipeline
            .flatMap((step) => step.input?.resources ?? [])
            .map((resource) => resource.base);
        })
        .filter((base) => base["apiVersion"] === "databases.schemahero.io/v1alpha4");
      assert.ok(bases.length > 0, `${stack} composes SchemaHero Databases`);
      for (const base of bases) {
        assert.equal(
          (base["spec"] as { immediateDeploy: boolean }).immediateDeploy,
          PROFILES[stack].schemaImmediateDeploy,
          stack,
        );
      }
    }
    assert.equal(PROFILES.prod.schemaImmediateDeploy, false);
  });

  it("seeds Tables that validate against ../shared/crds and point at their app's Database", () => {
    const validator = crdValidator();
    const dev = synths.dev;
    const tree: Record<string, { content: string }> = managementTree(synths.dev, synths.staging, synths.prod);
    const promoted = ["dev", "staging", "prod"].flatMap((env) =>
      Object.entries(
        promotedAppFiles(tree, env, {
          app: "promoted-api",
          team: "orders",
          database: true,
          image: "ghcr.io/x/y:1.0.0",
        }),
      ),
    );
    const tables = [...Object.entries(tree).map(([path, file]) => [path, file.content] as const), ...promoted]
      .filter(([path]) => path.startsWith("environments/") && path.endsWith("/tables.yaml"))
      .flatMap(([path, content]) =>
        YAML.parseAllDocuments(content).map((doc) => [path, doc.toJS() as Json] as const),
      );
    const template = dev.inputs<{ files: Record<string, { content: string }> }>(
      dev.one("pulumi-nodejs:dynamic/github:RepositorySeed", "idp-github-template-seed"),
    ).files["schema/tables.yaml"];
    assert.ok(template, "the application template seeds its tables");
    assert.ok(tables.length >= 4, "the seeded app with a database, and one promoted into each environment");
    for (const [path, table] of tables) {
      const app = path.split("/").at(-2)!;
      assert.equal((table["spec"] as { database: string }).database, app, path);
      if (validator) assert.deepEqual(validator.validate(table), [], path);
    }
    // Nothing the target engine would silently ignore: ids get their sequence from serial.
    for (const table of [
      ...tables.map(([, t]) => t),
      ...YAML.parseAllDocuments(template.content).map((d) => d.toJS() as Json),
    ]) {
      assert.deepEqual(tableProblems(table), []);
      const columns = (table["spec"] as { schema: { postgres: { columns: Json[] } } }).schema.postgres
        .columns;
      assert.deepEqual(columns[0], { name: "id", type: "serial", constraints: { notNull: true } });
    }
    assert.deepEqual(
      tableProblems({
        metadata: { name: "t" },
        spec: {
          schema: {
            postgres: { columns: [{ name: "id", type: "integer", attributes: { autoIncrement: true } }] },
          },
        },
      }),
      [
        "Table t: column id sets autoIncrement, which SchemaHero's postgres plugin ignores (use type serial or bigserial)",
      ],
    );
    if (!validator) console.log("      (skipped SchemaHero CRD validation: ../shared/crds is absent)");
  });
});

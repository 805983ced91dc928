/**
 * Argo CD in every stack: the pinned chart and its values, sign-in and RBAC generated from the team list,
 * argocd-secret and the repository Secret only through ExternalSecrets, the per-stack deploy key and
 * webhook, the AppProjects' restrictions (checked against every Application the GitHub part seeds), the
 * root Application per stack, ordering, protection, and validity against the upstream schemas.
 */
import * as assert from "node:assert/strict";
import YAML from "yaml";
import {
  ARGOCD_NAMES,
  argoCdArgsProblems,
  argoCdRbacPolicy,
  dexConfig,
  IN_CLUSTER,
  RESOURCES_FINALIZER,
  TABLE_HEALTH_LUA,
  XR_HEALTH_LUA,
  type ArgoCdTeam,
} from "../components/argocd";
import { CHARTS } from "../components/versions";
import { PROFILES } from "../stacks/profiles";
import type { ResourceRecord } from "../synth/records";
import { crdValidator } from "./crd-schema";
import {
  editedConfig,
  managementTree,
  promotedAppFiles,
  setSecret,
  synthStack,
  type StackConfigObject,
  type Synth,
} from "./harness";

const FOLDER_SEED = "pulumi-nodejs:dynamic/github:EnvironmentFolderSeed";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const APP_PROJECT = "kubernetes:argoproj.io/v1alpha1:AppProject";
const APPLICATION = "kubernetes:argoproj.io/v1alpha1:Application";
const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const SEED = "pulumi-nodejs:dynamic/github:RepositorySeed";
const DEPLOY_KEY = "github:index/repositoryDeployKey:RepositoryDeployKey";
const WEBHOOK = "github:index/repositoryWebhook:RepositoryWebhook";
const STACKS = ["dev", "staging", "prod"] as const;
const MANAGEMENT_SSH = "git@github.com:fixture-org/platform-management.git";
const DOMAINS: Record<(typeof STACKS)[number], string> = {
  dev: "dev.fixture.example.test",
  staging: "staging.fixture.example.test",
  prod: "fixture.example.test",
};
const TEAMS: readonly ArgoCdTeam[] = [
  { slug: "core", platformAdmin: true },
  { slug: "orders", platformAdmin: false },
  { slug: "search", platformAdmin: false },
];

type Json = Record<string, unknown>;

interface ProjectSpec {
  sourceRepos: string[];
  destinations: Array<{ server: string; namespace?: string }>;
  clusterResourceWhitelist: Array<{ group: string; kind: string; name?: string }>;
  namespaceResourceWhitelist: Array<{ group: string; kind: string; name?: string }>;
}

function values(synth: Synth): Json {
  return synth.inputs<{ values: Json }>(synth.one(RELEASE, "idp-argocd-release")).values;
}

function at<T>(object: Json, ...path: string[]): T {
  let node: unknown = object;
  for (const key of path) node = (node as Json)[key];
  return node as T;
}

function externalSecretData(synth: Synth, name: string): Array<{ secretKey: string; remoteRef: Json }> {
  return synth.inputs<{ spec: { data: Array<{ secretKey: string; remoteRef: Json }> } }>(
    synth.one(EXTERNAL_SECRET, name),
  ).spec.data;
}

function projects(synth: Synth): Map<string, { record: ResourceRecord; object: Json; spec: ProjectSpec }> {
  return new Map(
    synth.ofType(APP_PROJECT).map((record) => {
      const object = synth.inputs(record);
      return [
        (object["metadata"] as { name: string }).name,
        { record, object, spec: object["spec"] as ProjectSpec },
      ];
    }),
  );
}

function parseAll(content: string): Json[] {
  return YAML.parseAllDocuments(content).map((doc) => doc.toJS() as Json);
}

async function models() {
  const { AppProject } = await import("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject");
  const { Application } = await import("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application");
  // The packages' base class is ESM-only: its typings do not resolve under this tsconfig.
  const validate = (Model: unknown, object: Json) =>
    new (Model as new (data: Json) => { validate(): void })(object).validate();
  return {
    appProject: (object: Json) => validate(AppProject, object),
    application: (object: Json) => validate(Application, object),
  };
}

describe("Argo CD", () => {
  const synths = {} as Record<(typeof STACKS)[number], Synth>;
  before(async () => {
    for (const stack of STACKS) synths[stack] = await synthStack(stack);
  });

  describe("generated from the team list", () => {
    it("gives platform admins role:admin and each product team a role limited to its own project", () => {
      assert.equal(
        argoCdRbacPolicy("fixture-org", TEAMS),
        [
          "# Generated from idp:teams by the platform (components/argocd.ts); change the teams there.",
          "g, fixture-org:core, role:admin",
          "p, role:team-orders, projects, get, team-orders, allow",
          "p, role:team-orders, applications, get, team-orders/*, allow",
          "p, role:team-orders, applications, sync, team-orders/*, allow",
          "p, role:team-orders, applications, action/*, team-orders/*, allow",
          "p, role:team-orders, logs, get, team-orders/*, allow",
          "g, fixture-org:orders, role:team-orders",
          "p, role:team-search, projects, get, team-search, allow",
          "p, role:team-search, applications, get, team-search/*, allow",
          "p, role:team-search, applications, sync, team-search/*, allow",
          "p, role:team-search, applications, action/*, team-search/*, allow",
          "p, role:team-search, logs, get, team-search/*, allow",
          "g, fixture-org:search, role:team-search",
          "",
        ].join("\n"),
      );
    });

    it("lets only the configured teams sign in through Dex, as <org>:<team slug>", () => {
      const config = YAML.parse(dexConfig("fixture-org", TEAMS, "Ov23liFIXTURESTAGING")) as {
        connectors: Array<{ type: string; id: string; config: Json }>;
      };
      assert.equal(config.connectors.length, 1);
      const [connector] = config.connectors;
      assert.equal(connector!.type, "github");
      assert.deepEqual(connector!.config, {
        clientID: "Ov23liFIXTURESTAGING",
        // A reference to argocd-secret's key, never the secret itself.
        clientSecret: "$dex.github.clientSecret",
        orgs: [{ name: "fixture-org", teams: ["core", "orders", "search"] }],
        teamNameField: "slug",
        loadAllGroups: false,
        useLoginAsID: false,
      });
    });

    it("uses the stack's teams (idp:teams, the GitHub part's list) in every stack", () => {
      for (const stack of STACKS) {
        const rbac = at<Json>(values(synths[stack]), "configs", "rbac");
        assert.equal(rbac["policy.csv"], argoCdRbacPolicy("fixture-org", TEAMS), stack);
        assert.equal(rbac["policy.default"], "", `${stack}: no access unless a rule grants it`);
        assert.equal(rbac["scopes"], "[groups]");
      }
      // A team added to config gets its role, project and Dex membership.
      return synthStack("staging", {
        config: editedConfig("staging", (c) => {
          (c.values["idp:teams"] as Json[]).push({ slug: "billing", name: "Billing" });
        }),
      }).then((synth) => {
        const cm = at<Json>(values(synth), "configs", "cm");
        assert.match(
          String(at<Json>(values(synth), "configs", "rbac")["policy.csv"]),
          /g, fixture-org:billing, role:team-billing\n/,
        );
        assert.match(String(cm["dex.config"]), /- billing\n/);
        assert.ok(projects(synth).has("team-billing"));
      });
    });

    it("rejects a team list without an admin team, repeated slugs and apps of unknown teams", () => {
      assert.deepEqual(
        argoCdArgsProblems({
          teams: [
            { slug: "a", platformAdmin: false },
            { slug: "a", platformAdmin: false },
          ],
          apps: [{ name: "x", team: "b" }],
        } as unknown as Parameters<typeof argoCdArgsProblems>[0]),
        ["no team is a platform admin team", "team slugs repeat", "app x names the unknown team b"],
      );
    });
  });

  describe("chart and values", () => {
    it("installs the pinned argo-cd chart from argo-helm", () => {
      assert.deepEqual(
        { chart: CHARTS.argoCd.chart, repo: CHARTS.argoCd.repository },
        { chart: "argo-cd", repo: "https://argoproj.github.io/argo-helm" },
      );
      for (const stack of STACKS) {
        const release = synths[stack].inputs(synths[stack].one(RELEASE, "idp-argocd-release"));
        assert.equal(release["chart"], "argo-cd");
        assert.equal(release["version"], CHARTS.argoCd.version);
        assert.deepEqual(release["repositoryOpts"], { repo: "https://argoproj.github.io/argo-helm" });
        assert.equal(release["name"], "argocd");
        assert.equal(release["namespace"], "argocd");
      }
    });

    it("sets annotation tracking, the URL, the insecure server behind the ingress layer, CRDs kept", () => {
      for (const stack of STACKS) {
        const v = values(synths[stack]);
        const cm = at<Json>(v, "configs", "cm");
        assert.equal(cm["application.resourceTrackingMethod"], "annotation");
        assert.equal(cm["url"], `https://argocd.${DOMAINS[stack]}`);
        assert.equal(at<Json>(v, "global")["domain"], `argocd.${DOMAINS[stack]}`);
        assert.equal(cm["users.anonymous.enabled"], "false");
        assert.equal(cm["exec.enabled"], "false");
        assert.deepEqual(at<Json>(v, "configs", "params"), { "server.insecure": true });
        assert.deepEqual(at<Json>(v, "configs", "secret"), { createSecret: false });
        assert.deepEqual(at<Json>(v, "crds"), { install: true, keep: true });
        assert.deepEqual(at<Json>(v, "global", "networkPolicy"), { create: true, defaultDenyIngress: true });
      }
    });

    it("turns the local admin off with SSO (staging, prod) and Dex off without it (dev)", () => {
      const dev = at<Json>(values(synths.dev), "configs", "cm");
      assert.equal(dev["admin.enabled"], "true");
      assert.equal(dev["dex.config"], undefined);
      assert.equal(at<Json>(values(synths.dev), "dex")["enabled"], false);
      for (const stack of ["staging", "prod"] as const) {
        const v = values(synths[stack]);
        const cm = at<Json>(v, "configs", "cm");
        assert.equal(cm["admin.enabled"], "false", stack);
        assert.equal(at<Json>(v, "dex")["enabled"], true);
        const clientId = stack === "staging" ? "Ov23liFIXTURESTAGING" : "Ov23liFIXTUREPROD001";
        assert.equal(cm["dex.config"], dexConfig("fixture-org", TEAMS, clientId));
      }
    });

    it("scales the stateless servers with the profile, with disruption budgets, and sets resources everywhere", () => {
      for (const stack of STACKS) {
        const v = values(synths[stack]);
        const replicas = PROFILES[stack].controllerReplicas;
        for (const component of ["server", "repoServer"]) {
          assert.equal(at<number>(v, component, "replicas"), replicas, `${stack} ${component}`);
          assert.deepEqual(
            at<Json>(v, component, "pdb"),
            replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false },
          );
        }
        assert.equal(at<number>(v, "controller", "replicas"), 1);
        assert.equal(at<number>(v, "applicationSet", "replicas"), 0, "no ApplicationSet controller");
        assert.equal(at<boolean>(v, "notifications", "enabled"), false);
        for (const component of [
          "controller",
          "server",
          "repoServer",
          "applicationSet",
          "dex",
          "redis",
          "redisSecretInit",
        ]) {
          const resources = at<{ requests: Json; limits: Json }>(v, component, "resources");
          assert.ok(resources.requests["cpu"] && resources.requests["memory"], `${component} requests`);
          assert.ok(resources.limits["memory"], `${component} memory limit`);
        }
      }
    });

    it("never puts a secret into the values", () => {
      for (const stack of STACKS) {
        const release = synths[stack].one(RELEASE, "idp-argocd-release");
        assert.deepEqual(synths[stack].secretInputs(release), [], stack);
      }
    });
  });

  describe("health of the platform's kinds", () => {
    type Health = { status: string; message: string };
    // Lua 5.4 in WebAssembly (wasmoon); the scripts use only what Lua 5.1, Argo CD's gopher-lua, has.
    async function health(script: string, obj: Json): Promise<Health> {
      const { LuaFactory } = await import("wasmoon");
      const lua = await new LuaFactory().createEngine();
      try {
        lua.global.set("obj", obj);
        return (await lua.doString(script)) as Health;
      } finally {
        lua.global.close();
      }
    }
    const xr = (conditions?: Json[]) => ({
      apiVersion: "platform.idp.internal/v1alpha1",
      kind: "App",
      metadata: { name: "orders-api" },
      spec: {},
      ...(conditions !== undefined ? { status: { conditions } } : {}),
    });

    it("gives Argo CD a health check for App, SQLDatabase and SchemaHero's Table in every stack", () => {
      for (const stack of STACKS) {
        const cm = (values(synths[stack])["configs"] as { cm: Record<string, string> }).cm;
        assert.deepEqual(
          Object.keys(cm)
            .filter((key) => key.startsWith("resource.customizations.health."))
            .sort(),
          [
            "resource.customizations.health.platform.idp.internal_App",
            "resource.customizations.health.platform.idp.internal_SQLDatabase",
            "resource.customizations.health.schemas.schemahero.io_Table",
          ],
          stack,
        );
        assert.equal(cm["resource.customizations.health.platform.idp.internal_App"], XR_HEALTH_LUA);
      }
    });

    it("judges an XR by its Synced and Ready conditions, as Argo CD's check for Crossplane's kinds does", async () => {
      assert.deepEqual(await health(XR_HEALTH_LUA, xr()), {
        status: "Progressing",
        message: "Provisioning ...",
      });
      assert.deepEqual(await health(XR_HEALTH_LUA, { ...xr(), status: {} }), {
        status: "Progressing",
        message: "Provisioning ...",
      });
      assert.deepEqual(
        await health(
          XR_HEALTH_LUA,
          xr([
            { type: "Synced", status: "True" },
            { type: "Ready", status: "True" },
          ]),
        ),
        { status: "Healthy", message: "Resource is up-to-date." },
      );
      assert.deepEqual(
        await health(
          XR_HEALTH_LUA,
          xr([
            { type: "Synced", status: "True" },
            { type: "Ready", status: "False", reason: "Creating", message: "Unready resources: deployment" },
          ]),
        ),
        { status: "Progressing", message: "Creating: Unready resources: deployment" },
      );
      // A broken composition (e.g. a bad image reference the XRD let through) is Degraded, whatever Ready says.
      assert.deepEqual(
        await health(
          XR_HEALTH_LUA,
          xr([
            { type: "Ready", status: "True" },
            {
              type: "Synced",
              status: "False",
              reason: "ReconcileError",
              message: "cannot compose resources",
            },
          ]),
        ),
        { status: "Degraded", message: "cannot compose resources" },
      );
    });

    it("calls a Table Healthy once SchemaHero has planned it", async () => {
      const table = (status?: Json) => ({
        apiVersion: "schemas.schemahero.io/v1alpha4",
        kind: "Table",
        ...(status ? { status } : {}),
      });
      assert.equal((await health(TABLE_HEALTH_LUA, table())).status, "Progressing");
      assert.equal(
        (await health(TABLE_HEALTH_LUA, table({ lastPlannedTableSpecSHA: "" }))).status,
        "Progressing",
      );
      assert.deepEqual(await health(TABLE_HEALTH_LUA, table({ lastPlannedTableSpecSHA: "abc123" })), {
        status: "Healthy",
        message: "Planned; its Migration applies it",
      });
    });
  });

  describe("secrets", () => {
    it("builds argocd-secret from the backend, labelled for Argo CD, with the keys each stack needs", () => {
      const expected: Record<(typeof STACKS)[number], Array<[string, string, string]>> = {
        dev: [
          ["server.secretkey", "argocd-server", "serverSecretKey"],
          ["admin.password", "argocd-server", "adminPasswordBcrypt"],
          ["admin.passwordMtime", "argocd-server", "adminPasswordMtime"],
        ],
        staging: [
          ["server.secretkey", "idp/staging/argocd/server", "serverSecretKey"],
          ["webhook.github.secret", "idp/staging/argocd/server", "webhookGithubSecret"],
          ["dex.github.clientSecret", "idp/staging/argocd/dex", "clientSecret"],
        ],
        prod: [
          ["server.secretkey", "idp/prod/argocd/server", "serverSecretKey"],
          ["webhook.github.secret", "idp/prod/argocd/server", "webhookGithubSecret"],
          ["dex.github.clientSecret", "idp/prod/argocd/dex", "clientSecret"],
        ],
      };
      for (const stack of STACKS) {
        const synth = synths[stack];
        assert.deepEqual(
          externalSecretData(synth, "idp-argocd-argocd-secret").map((d) => [
            d.secretKey,
            d.remoteRef["key"],
            d.remoteRef["property"],
          ]),
          expected[stack],
          stack,
        );
        const es = synth.inputs<{ metadata: Json; spec: { target: Json } }>(
          synth.one(EXTERNAL_SECRET, "idp-argocd-argocd-secret"),
        );
        assert.equal(es.metadata["name"], "argocd-secret");
        assert.equal(es.metadata["namespace"], "argocd");
        assert.equal(es.spec.target["name"], "argocd-secret");
        assert.deepEqual(at<Json>(es.spec.target, "template", "metadata", "labels"), {
          "app.kubernetes.io/part-of": "argocd",
        });
      }
    });

    it("keeps generated values and the admin password only as Pulumi secrets in the backend", () => {
      const dev = synths.dev;
      const stored = dev.one("kubernetes:core/v1:Secret", "idp-argocd-server-secret");
      const data = dev.inputs<{ stringData: Json; metadata: Json }>(stored);
      assert.deepEqual(Object.keys(data.stringData).sort(), [
        "adminPassword",
        "adminPasswordBcrypt",
        "adminPasswordMtime",
        "serverSecretKey",
      ]);
      assert.ok(dev.secretInputs(stored).includes("stringData"));
      assert.equal(data.metadata["namespace"], "idp-secrets");
      assert.match(String(data.stringData["adminPasswordBcrypt"]), /^\$2a\$10\$/);
      assert.equal(data.stringData["adminPasswordMtime"], "2026-01-01T00:00:00Z");
      // The password's change time follows the password.
      const mtime = dev.one("time:index/static:Static", "idp-argocd-admin-password-time");
      assert.ok(
        dev.dependsOn(
          mtime,
          dev.one("random:index/randomPassword:RandomPassword", "idp-argocd-admin-password"),
        ),
      );
      for (const stack of ["staging", "prod"] as const) {
        assert.equal(synths[stack].ofType("time:index/static:Static").length, 0, `${stack} has no admin`);
      }
    });

    it("says how to sign in: the admin password's place on dev, GitHub elsewhere", () => {
      assert.equal(synths.dev.result.stackOutputs["argocd"], "https://argocd.dev.fixture.example.test");
      assert.equal(
        synths.dev.result.stackOutputs["argocdLogin"],
        "sign in at https://argocd.dev.fixture.example.test as admin with the password from: kubectl -n idp-secrets get secret argocd-server -o jsonpath='{.data.adminPassword}' | base64 -d; CLI: argocd login argocd.dev.fixture.example.test --grpc-web --username admin.",
      );
      assert.equal(
        synths.prod.result.stackOutputs["argocdLogin"],
        "sign in at https://argocd.fixture.example.test with GitHub (members of fixture-org's teams core, orders, search); CLI: argocd login argocd.fixture.example.test --grpc-web --sso.",
      );
      const steps = synths.prod.result.stackOutputs["nextSteps"] as string[];
      assert.ok(steps.includes(`Argo CD: ${String(synths.prod.result.stackOutputs["argocdLogin"])}`));
    });
  });

  describe("the management repository", () => {
    it("adds a read-only ED25519 deploy key per stack, by repository name, delivered as a repository Secret", () => {
      for (const stack of STACKS) {
        const synth = synths[stack];
        const key = synth.one("tls:index/privateKey:PrivateKey", "idp-argocd-deploy-key");
        assert.equal(synth.inputs(key)["algorithm"], "ED25519");
        const deployKey = synth.one(DEPLOY_KEY);
        const inputs = synth.inputs(deployKey);
        assert.equal(inputs["repository"], "platform-management");
        assert.equal(inputs["readOnly"], true);
        assert.equal(inputs["title"], `Argo CD ${stack} (argocd.${DOMAINS[stack]})`);
        assert.match(String(inputs["key"]), /^ssh-ed25519 /);
        assert.ok(synth.dependsOn(deployKey, key));
        const es = synth.inputs<{ metadata: Json; spec: { target: Json; data: Json[] } }>(
          synth.one(EXTERNAL_SECRET, "idp-argocd-repository"),
        );
        assert.equal(es.metadata["namespace"], "argocd");
        assert.deepEqual(at<Json>(es.spec.target, "template", "metadata", "labels"), {
          "argocd.argoproj.io/secret-type": "repository",
          "app.kubernetes.io/part-of": "argocd",
        });
        assert.deepEqual(at<Json>(es.spec.target, "template", "data"), {
          type: "git",
          name: "management",
          url: MANAGEMENT_SSH,
        });
        assert.equal(at<string>(es.spec.target, "template", "mergePolicy"), "Merge");
        assert.deepEqual(es.spec.data, [
          {
            secretKey: "sshPrivateKey",
            remoteRef: {
              key:
                stack === "dev"
                  ? "argocd-management-repository"
                  : `idp/${stack}/argocd/management-repository`,
              property: "sshPrivateKey",
            },
          },
        ]);
      }
      // On the stack that creates the repository, the key waits for it.
      const dev = synths.dev;
      assert.ok(
        dev.dependsOn(
          dev.one(DEPLOY_KEY),
          dev.one("github:index/repository:Repository", "idp-github-management"),
        ),
      );
    });

    it("sends pushes to Argo CD with a shared secret where GitHub can reach it, and nothing on dev", () => {
      assert.equal(synths.dev.ofType(WEBHOOK).length, 0);
      for (const stack of ["staging", "prod"] as const) {
        const synth = synths[stack];
        const hook = synth.one(WEBHOOK);
        const inputs = synth.inputs<{
          configuration: Json;
          events: string[];
          active: boolean;
          repository: string;
        }>(hook);
        assert.equal(inputs.repository, "platform-management");
        assert.deepEqual(inputs.events, ["push"]);
        assert.equal(inputs.active, true);
        assert.equal(inputs.configuration["url"], `https://argocd.${DOMAINS[stack]}/api/webhook`);
        assert.equal(inputs.configuration["contentType"], "json");
        assert.equal(inputs.configuration["insecureSsl"], false);
        assert.ok(synth.secretInputs(hook).some((path) => path.startsWith("configuration")));
        assert.ok(
          synth.dependsOn(hook, synth.one(RELEASE, "idp-argocd-release")),
          "Argo CD answers the ping",
        );
      }
    });

    it("skips certificate verification only for a stack on the local CA", async () => {
      const synth = await synthStack("dev", {
        config: editedConfig("dev", (c) => {
          c.values["idp:argocd"] = { webhook: true };
        }),
      });
      assert.equal(
        synth.inputs<{ configuration: Json }>(synth.one(WEBHOOK)).configuration["insecureSsl"],
        true,
      );
      assert.deepEqual(
        externalSecretData(synth, "idp-argocd-argocd-secret").map((d) => d.secretKey),
        ["server.secretkey", "admin.password", "admin.passwordMtime", "webhook.github.secret"],
      );
    });
  });

  describe("AppProjects", () => {
    it("creates platform and one project per team, after Argo CD", () => {
      for (const stack of STACKS) {
        const synth = synths[stack];
        const release = synth.one(RELEASE, "idp-argocd-release");
        assert.deepEqual(
          [...projects(synth).keys()],
          ["platform", "team-core", "team-orders", "team-search"],
        );
        for (const { record } of projects(synth).values()) {
          assert.ok(synth.dependsOn(record, release), `${record.name} waits for Argo CD`);
          assert.equal(record.options.protect, false);
        }
      }
    });

    it("restricts the platform project to the management repository, Applications and the teams' Namespaces", () => {
      const { spec } = projects(synths.staging).get("platform")!;
      assert.deepEqual(spec, {
        description:
          "The platform's folders of the management repository: the environment's Applications and its shared infrastructure (the teams' namespaces).",
        sourceRepos: [MANAGEMENT_SSH],
        destinations: [{ server: IN_CLUSTER, namespace: "argocd" }, { server: IN_CLUSTER }],
        // `name` is a glob (Argo CD 3.3+, Go's filepath.Match): only team namespaces.
        clusterResourceWhitelist: [{ group: "", kind: "Namespace", name: "team-*" }],
        namespaceResourceWhitelist: [{ group: "argoproj.io", kind: "Application" }],
      });
    });

    it("restricts each team to its repositories, its namespace and the platform's kinds, nothing cluster-wide", () => {
      const all = projects(synths.dev);
      assert.deepEqual(all.get("team-orders")!.spec, {
        description: "Team orders: its apps, databases and schemas in namespace team-orders.",
        sourceRepos: [MANAGEMENT_SSH, "git@github.com:fixture-org/orders-api.git"],
        destinations: [{ server: IN_CLUSTER, namespace: "team-orders" }],
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: [
          { group: "platform.idp.internal", kind: "App" },
          { group: "platform.idp.internal", kind: "SQLDatabase" },
          { group: "schemas.schemahero.io", kind: "Table" },
        ],
      });
      assert.deepEqual(all.get("team-search")!.spec.sourceRepos, [
        MANAGEMENT_SSH,
        "git@github.com:fixture-org/search-ui.git",
      ]);
      assert.deepEqual(all.get("team-core")!.spec.sourceRepos, [MANAGEMENT_SSH]);
      assert.deepEqual(all.get("team-core")!.spec.destinations, [
        { server: IN_CLUSTER, namespace: "team-core" },
      ]);
    });

    it("permits every Application the management repository holds, and every kind their folders hold", () => {
      const dev = synths.dev;
      const seeded: Record<string, { content: string }> = managementTree(
        synths.dev,
        synths.staging,
        synths.prod,
      );
      // With what first promotions add where nothing is seeded.
      const tree: Record<string, { content: string }> = { ...seeded };
      for (const env of STACKS) {
        for (const database of [true, false]) {
          const app = database ? "promoted-api" : "promoted-ui";
          const files = promotedAppFiles(seeded, env, {
            app,
            team: "orders",
            database,
            image: `ghcr.io/x/${app}:1.0.0`,
          });
          for (const [file, content] of Object.entries(files)) tree[file] = { content };
        }
      }
      const all = projects(dev);
      const permitted = (spec: ProjectSpec, destination: { server: string; namespace?: string }) =>
        spec.destinations.some(
          (d) => d.server === destination.server && (d.namespace ?? "") === (destination.namespace ?? ""),
        );
      const allows = (list: ProjectSpec["namespaceResourceWhitelist"], object: Json) => {
        const [group, version] = String(object["apiVersion"]).includes("/")
          ? String(object["apiVersion"]).split("/")
          : ["", object["apiVersion"]];
        assert.ok(version);
        const name = String((object["metadata"] as { name?: string }).name);
        // Go's filepath.Match for the names Argo CD compares: `*` is any run of characters but "/".
        const glob = (pattern: string) =>
          new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
        return list.some(
          (entry) =>
            entry.group === group &&
            entry.kind === object["kind"] &&
            ((entry as { name?: string }).name === undefined ||
              glob((entry as { name: string }).name).test(name)),
        );
      };
      let checked = 0;
      for (const env of STACKS) {
        for (const [path, file] of Object.entries(tree)) {
          if (!path.startsWith(`environments/${env}/argocd/`)) continue;
          for (const application of parseAll(file.content)) {
            const spec = application["spec"] as {
              project: string;
              source: { repoURL: string; path: string };
              destination: { server: string; namespace?: string };
            };
            const project = all.get(spec.project);
            assert.ok(project, `${path}: project ${spec.project} exists`);
            assert.ok(project.spec.sourceRepos.includes(spec.source.repoURL), `${path}: source permitted`);
            assert.ok(permitted(project.spec, spec.destination), `${path}: destination permitted`);
            // Everything that folder holds is a permitted kind, in the permitted namespace.
            for (const [inner, innerFile] of Object.entries(tree)) {
              if (!inner.startsWith(`${spec.source.path}/`) || !inner.endsWith(".yaml")) continue;
              for (const object of parseAll(innerFile.content)) {
                const namespace = (object["metadata"] as { namespace?: string }).namespace;
                if (object["kind"] === "Namespace") {
                  assert.ok(allows(project.spec.clusterResourceWhitelist, object), inner);
                } else {
                  assert.ok(
                    allows(project.spec.namespaceResourceWhitelist, object),
                    `${inner}: ${String(object["kind"])}`,
                  );
                  assert.ok(
                    permitted(project.spec, {
                      server: spec.destination.server,
                      namespace: namespace ?? spec.destination.namespace ?? "",
                    }),
                    `${inner}: namespace ${namespace ?? "(destination's)"}`,
                  );
                }
                checked++;
              }
            }
          }
          // The root Application applies the environment's Applications into Argo CD's namespace.
          for (const application of parseAll(file.content)) {
            assert.ok(allows(all.get("platform")!.spec.namespaceResourceWhitelist, application), path);
          }
        }
      }
      const root = dev.inputs<{
        spec: { project: string; destination: { server: string; namespace: string } };
      }>(dev.one(APPLICATION, "idp-argocd-root"));
      assert.ok(permitted(all.get(root.spec.project)!.spec, root.spec.destination));
      assert.ok(checked > 20, `checked ${checked} objects`);
    });
  });

  describe("root Application", () => {
    it("points at its environment's folder over SSH, project platform, with the profile's sync policy", () => {
      for (const stack of STACKS) {
        const synth = synths[stack];
        const app = synth.inputs<{ metadata: Json; spec: Json }>(synth.one(APPLICATION, "idp-argocd-root"));
        assert.deepEqual(app.metadata, {
          name: "platform-root",
          namespace: "argocd",
          labels: {
            "app.kubernetes.io/part-of": "idp",
            "app.kubernetes.io/managed-by": "pulumi",
          },
          finalizers: [RESOURCES_FINALIZER],
        });
        assert.deepEqual(app.spec["source"], {
          repoURL: MANAGEMENT_SSH,
          targetRevision: "main",
          path: `environments/${stack}/argocd`,
        });
        assert.equal(app.spec["project"], "platform");
        assert.deepEqual(app.spec["destination"], { server: IN_CLUSTER, namespace: "argocd" });
        const sync = app.spec["syncPolicy"] as { automated: Json; syncOptions: string[] };
        assert.deepEqual(sync.automated, PROFILES[stack].gitOpsSync);
        assert.ok(sync.syncOptions.includes("PrunePropagationPolicy=foreground"));
      }
      assert.deepEqual(
        synths.prod.inputs<{ spec: { syncPolicy: { automated: Json } } }>(synths.prod.one(APPLICATION)).spec
          .syncPolicy.automated,
        { prune: false, selfHeal: true },
      );
    });

    it("waits for Argo CD, its projects and credentials, the management repository's seed, Crossplane's API and SchemaHero", () => {
      for (const stack of STACKS) {
        const synth = synths[stack];
        const root = synth.one(APPLICATION, "idp-argocd-root");
        const waitsFor = (record: ResourceRecord) =>
          assert.ok(synth.dependsOn(root, record), `${stack}: root waits for ${record.type} ${record.name}`);
        waitsFor(synth.one(RELEASE, "idp-argocd-release"));
        for (const { record } of projects(synth).values()) waitsFor(record);
        waitsFor(synth.one(EXTERNAL_SECRET, "idp-argocd-repository"));
        waitsFor(synth.one(DEPLOY_KEY));
        waitsFor(synth.one("kubernetes:helm.sh/v3:Release", "idp-schemahero-crds"));
        waitsFor(synth.one("kubernetes:apps/v1:StatefulSet", "idp-schemahero-manager"));
        for (const xrd of synth.ofType(
          "kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition",
        )) {
          waitsFor(xrd);
        }
        for (const composition of synth.ofType("kubernetes:apiextensions.crossplane.io/v1:Composition")) {
          waitsFor(composition);
        }
        assert.ok(synth.ofType("kubernetes:apiextensions.crossplane.io/v1:Composition").length >= 2);
        // The release starts with argocd-secret in place.
        assert.ok(
          synth.dependsOn(
            synth.one(RELEASE, "idp-argocd-release"),
            synth.one(EXTERNAL_SECRET, "idp-argocd-argocd-secret"),
          ),
        );
      }
      // On every stack, the environment's folder (which the stack writes itself) exists first; on the one
      // that seeds the management repository, the repository's shared files too.
      for (const stack of STACKS) {
        const synth = synths[stack];
        assert.ok(
          synth.dependsOn(synth.one(APPLICATION), synth.one(FOLDER_SEED, "idp-environment-folder-seed")),
          stack,
        );
      }
      const dev = synths.dev;
      assert.ok(dev.dependsOn(dev.one(APPLICATION), dev.one(SEED, "idp-github-management-seed")));
    });

    it("cascades a delete to the teams' resources, never to the namespaces", () => {
      // Pulumi deletes the root app before everything it waits for (Argo CD, Crossplane, SchemaHero); its
      // finalizer deletes the environment's Applications, whose finalizers delete the teams' resources.
      const tree = managementTree(synths.dev, synths.staging, synths.prod);
      for (const env of STACKS) {
        for (const [path, file] of Object.entries(tree)) {
          if (!path.startsWith(`environments/${env}/argocd/`)) continue;
          const [application] = parseAll(file.content);
          const finalizers = (application!["metadata"] as { finalizers?: string[] }).finalizers ?? [];
          if (path.endsWith("/platform-infrastructure.yaml")) assert.deepEqual(finalizers, [], path);
          else assert.deepEqual(finalizers, [RESOURCES_FINALIZER], path);
        }
      }
    });
  });

  describe("protection and exposure", () => {
    it("protects and retains the release, its namespace and the root Application as the profile says", () => {
      for (const stack of STACKS) {
        const synth = synths[stack];
        const profile = PROFILES[stack];
        for (const record of [
          synth.one(RELEASE, "idp-argocd-release"),
          synth.one(NAMESPACE, "idp-argocd-namespace"),
          synth.one(APPLICATION, "idp-argocd-root"),
        ]) {
          assert.equal(record.options.protect, profile.protectStateful, `${stack} ${record.name} protect`);
          assert.equal(
            record.options.retainOnDelete,
            profile.retainStateful,
            `${stack} ${record.name} retain`,
          );
        }
        const namespace = synth.inputs<{ metadata: { labels: Json } }>(
          synth.one(NAMESPACE, "idp-argocd-namespace"),
        );
        assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
      }
    });

    it("publishes the server at argocd.<domain> through the ingress layer", async () => {
      const route = synths.prod.inputs<{ metadata: Json; spec: Json }>(
        synths.prod.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "idp-argocd-route"),
      );
      assert.equal(route.metadata["namespace"], "argocd");
      assert.deepEqual(route.spec["hostnames"], ["argocd.fixture.example.test"]);
      assert.deepEqual(at<Json[]>(route.spec, "rules")[0]!["backendRefs"], [
        { name: "argocd-server", port: 80 },
      ]);
      const nginx = await synthStack("dev", {
        config: editedConfig("dev", (c: StackConfigObject) => {
          c.values["idp:ingress"] = {
            controller: "nginx",
            serviceType: "NodePort",
            nodePorts: { http: 30080, https: 30443 },
          };
        }),
      });
      const ingress = nginx.inputs<{ metadata: Json; spec: { tls: Json[] } }>(
        nginx.one("kubernetes:networking.k8s.io/v1:Ingress", "idp-argocd-route"),
      );
      assert.deepEqual(ingress.spec.tls, [
        { hosts: ["argocd.dev.fixture.example.test"], secretName: "argocd-server-tls" },
      ]);
      assert.equal(at<Json>(ingress.metadata, "annotations")["cert-manager.io/cluster-issuer"], "idp-ca");
    });
  });

  describe("ownership", () => {
    it("creates nothing the management repository also holds (Argo CD owns Git, Pulumi owns Argo CD)", () => {
      const dev = synths.dev;
      const tree = managementTree(dev);
      const key = (object: Json) => {
        const metadata = object["metadata"] as { name: string; namespace?: string };
        return `${String(object["apiVersion"])}/${String(object["kind"])}/${metadata.namespace ?? ARGOCD_NAMES.namespace}/${metadata.name}`;
      };
      const seeded = new Set(
        Object.entries(tree)
          .filter(([path]) => path.startsWith("environments/") && path.endsWith(".yaml"))
          .flatMap(([, file]) => parseAll(file.content))
          .map(key),
      );
      assert.ok(seeded.size > 10);
      for (const record of dev.find(
        (r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.includes("helm.sh"),
      )) {
        const object = dev.inputs(record);
        if (object["metadata"] === undefined) continue;
        assert.ok(!seeded.has(key(object)), `${record.name} is also in the management repository`);
      }
    });
  });

  describe("upstream schemas", () => {
    it("validates AppProjects and root Applications with @kubernetes-models/argo-cd and ../shared/crds", async () => {
      const model = await models();
      const validator = crdValidator();
      for (const stack of STACKS) {
        const synth = synths[stack];
        for (const { object } of projects(synth).values()) {
          model.appProject(object);
          if (validator) assert.deepEqual(validator.validate(object), [], `${stack} AppProject`);
        }
        const root = synth.inputs(synth.one(APPLICATION));
        model.application(root);
        if (validator) assert.deepEqual(validator.validate(root), [], `${stack} root Application`);
      }
      if (!validator) console.log("      (skipped Argo CD CRD validation: ../shared/crds is absent)");
    });

    it("validates its ExternalSecrets with @kubernetes-models/external-secrets and ../shared/crds", async () => {
      const { modelErrors } = await import("./kubernetes-models");
      const validator = crdValidator();
      for (const stack of STACKS) {
        const synth = synths[stack];
        for (const name of ["idp-argocd-argocd-secret", "idp-argocd-repository"]) {
          const object = synth.inputs(synth.one(EXTERNAL_SECRET, name));
          assert.deepEqual(await modelErrors(object), [], `${stack} ${name}`);
          if (validator) assert.deepEqual(validator.validate(object), [], `${stack} ${name}`);
        }
      }
    });
  });

  it("requires the Dex client secret whenever SSO is on, and uses it only as a secret", async () => {
    const synth = await synthStack("staging", {
      config: editedConfig("staging", (c) => setSecret(c, "argocdDexClientSecret", "dex-marker-91c2")),
    });
    assert.deepEqual(synth.plaintextLeaks("dex-marker-91c2"), []);
    const stored = synth.one("aws:secretsmanager/secretVersion:SecretVersion", "idp-argocd-dex-secret-value");
    assert.match(JSON.stringify(synth.inputs(stored)), /dex-marker-91c2/);
  });
});

/**
 * The developer API: the App and SQLDatabase XRDs accept the examples the management repository
 * ships, apply the stated defaults (per profile), and reject what they promise to reject, as the API
 * server would (schema, list-map keys and CEL rules, transition rules on updates).
 */
import * as assert from "node:assert/strict";
import {
  appResource,
  sqlDatabaseResource,
  XR_API_VERSION,
  XR_GROUP,
  XR_VERSION,
} from "../components/crossplane/api";
import { appXrd, sqlDatabaseXrd, xrdName, type XrdObject } from "../components/crossplane/xrds";
import { PROFILES } from "../stacks/profiles";
import { crdValidator } from "./crd-schema";
import { admit } from "./crossplane-render";

type Json = Record<string, unknown>;

const DOMAIN = "dev.idp.example.com";
const app = (profile: keyof typeof PROFILES = "dev") =>
  appXrd({
    domain: DOMAIN,
    replicas: PROFILES[profile].appReplicas,
    defaultComposition: "apps-gateway.apps",
    immutableImages: PROFILES[profile].immutableImages,
  });
const sql = () => sqlDatabaseXrd({ defaultComposition: "sqldatabases-rds" });

const DIGEST = "a".repeat(64);
const exampleApp = (database?: string) =>
  appResource({
    name: "checkout-api",
    namespace: "team-payments",
    image: "ghcr.io/acme-idp/checkout-api:1.0.0",
    host: `checkout-api.${DOMAIN}`,
    ...(database !== undefined ? { database } : {}),
  });
const exampleDatabase = () => sqlDatabaseResource({ name: "checkout-db", namespace: "team-payments" });

function withSpec(base: Json, spec: Json): Json {
  return { ...base, spec };
}

async function errorsOf(xrd: XrdObject, object: Json, old?: Json): Promise<string[]> {
  return (await admit(xrd, object, old)).errors;
}

async function assertRejected(xrd: XrdObject, spec: Json, expected: RegExp, old?: Json): Promise<void> {
  const errors = await errorsOf(xrd, { spec }, old);
  assert.ok(
    errors.some((e) => expected.test(e)),
    `expected an error matching ${String(expected)}, got ${JSON.stringify(errors)}`,
  );
}

describe("XRDs", () => {
  it("define namespaced v2 APIs in platform.idp.internal/v1alpha1, each with its default composition", () => {
    for (const [xrd, kind, plural, composition] of [
      [app(), "App", "apps", "apps-gateway.apps"],
      [sql(), "SQLDatabase", "sqldatabases", "sqldatabases-rds"],
    ] as const) {
      assert.equal(xrd.apiVersion, "apiextensions.crossplane.io/v2");
      assert.equal(xrd.metadata.name, `${plural}.${XR_GROUP}`);
      assert.equal(xrd.metadata.name, xrdName(plural));
      assert.equal(xrd.spec.scope, "Namespaced");
      assert.equal(xrd.spec.group, XR_GROUP);
      assert.deepEqual(xrd.spec.names, {
        kind,
        plural,
        singular: kind.toLowerCase(),
        categories: ["idp"],
      });
      assert.deepEqual(xrd.spec.defaultCompositionRef, { name: composition });
      assert.deepEqual(
        xrd.spec.versions.map((v) => [v.name, v.served, v.referenceable]),
        [[XR_VERSION, true, true]],
      );
      assert.equal(`${xrd.spec.group}/${xrd.spec.versions[0]!.name}`, XR_API_VERSION);
    }
  });

  it("validate against Crossplane's CompositeResourceDefinition CRD", function () {
    const validator = crdValidator();
    if (!validator) return this.skip(); // ../shared/crds is absent: nothing to validate against
    for (const xrd of [app(), sql()]) assert.deepEqual(validator.validate(xrd as unknown as Json), []);
  });
});

describe("App XRD", () => {
  it("accepts the shipped examples, with and without a database", async () => {
    for (const example of [exampleApp(), exampleApp("checkout-db")]) {
      assert.deepEqual(await errorsOf(app(), example), []);
    }
  });

  it("requires only image, and defaults the rest from the profile", async () => {
    for (const profile of ["dev", "staging", "prod"] as const) {
      const { object, errors } = await admit(app(profile), { spec: { image: "ghcr.io/acme/a:1.0.0" } });
      assert.deepEqual(errors, []);
      assert.deepEqual(object["spec"], {
        image: "ghcr.io/acme/a:1.0.0",
        port: 8080,
        healthPath: "/healthz",
        replicas: { ...PROFILES[profile].appReplicas, targetCPUUtilization: 70 },
        resources: { cpu: "100m", memory: "128Mi" },
      });
    }
    await assertRejected(app(), {}, /must have required property 'image'/);
    assert.deepEqual(xrdSpecRequired(app()), ["image"]);
  });

  it("keeps explicit values over defaults", async () => {
    const { object } = await admit(app("prod"), exampleApp());
    assert.deepEqual((object["spec"] as Json)["replicas"], { min: 2, max: 4, targetCPUUtilization: 70 });
  });

  it("accepts images pinned by tag or digest, and refuses unpinned ones and latest", async () => {
    for (const image of [
      "ghcr.io/acme/app:1.2.3",
      "registry.example.com:5000/team/app:v2",
      `ghcr.io/acme/app@sha256:${DIGEST}`,
      `ghcr.io/acme/app:1.2.3@sha256:${DIGEST}`,
      "nginx:1.27",
    ]) {
      assert.deepEqual(await errorsOf(app(), { spec: { image } }), [], image);
    }
    for (const image of ["ghcr.io/acme/app", "GHCR.io/acme/app:1", "app:", "app:1 2"]) {
      await assertRejected(app(), { image }, /\/spec\/image must match pattern/);
    }
    await assertRejected(
      app(),
      { image: "ghcr.io/acme/app:latest" },
      /image must be pinned: the tag latest is not allowed/,
    );
  });

  it("takes the moving main tag in dev only: staging and prod run digests, sha-<commit> or version tags", async () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const immutable = [
      `ghcr.io/acme/app:sha-${sha}`,
      "ghcr.io/acme/app:sha-0123abc",
      `ghcr.io/acme/app@sha256:${DIGEST}`,
      `ghcr.io/acme/app:main@sha256:${DIGEST}`,
      "ghcr.io/acme/app:1.2.3",
      "ghcr.io/acme/app:v1.2.3-rc.1",
    ];
    const moving = ["ghcr.io/acme/app:main", "ghcr.io/acme/app:v2", "ghcr.io/acme/app:sha-xyz", "nginx:1.27"];
    for (const image of [...immutable, ...moving]) {
      assert.deepEqual(await errorsOf(app("dev"), { spec: { image } }), [], `dev: ${image}`);
    }
    for (const profile of ["staging", "prod"] as const) {
      for (const image of immutable) {
        assert.deepEqual(await errorsOf(app(profile), { spec: { image } }), [], `${profile}: ${image}`);
      }
      for (const image of moving) {
        await assertRejected(
          app(profile),
          { image },
          /image must not move in this environment: use a digest \(@sha256:…\), the pipeline's sha-<commit> tag or a version tag; promote the app to set it/,
        );
      }
    }
  });

  it("keeps PORT for the platform, and takes only absolute health paths", async () => {
    await assertRejected(
      app(),
      { image: "ghcr.io/acme/app:1.0.0", env: [{ name: "PORT", value: "1" }] },
      /env must not set PORT: it comes from spec.port/,
    );
    await assertRejected(
      app(),
      { image: "ghcr.io/acme/app:1.0.0", healthPath: "healthz" },
      /\/spec\/healthPath must match pattern/,
    );
    assert.deepEqual(
      await errorsOf(app(), { spec: { image: "ghcr.io/acme/app:1.0.0", healthPath: "/api/health" } }),
      [],
    );
  });

  it("bounds port, replicas and resources", async () => {
    const image = "ghcr.io/acme/app:1.0.0";
    await assertRejected(app(), { image, port: 0 }, /\/spec\/port must be >= 1/);
    await assertRejected(app(), { image, port: 70000 }, /\/spec\/port must be <= 65535/);
    await assertRejected(app(), { image, replicas: { min: 0 } }, /\/spec\/replicas\/min must be >= 1/);
    await assertRejected(app(), { image, replicas: { max: 51 } }, /\/spec\/replicas\/max must be <= 50/);
    await assertRejected(
      app(),
      { image, replicas: { min: 5, max: 3 } },
      /replicas\.max \(3\) must be at least replicas\.min \(5; when unset, min is the default of this environment, 1\)/,
    );
    // Only max set, below prod's default min: the message says where the min came from.
    assert.deepEqual(await errorsOf(app("prod"), { spec: { image, replicas: { max: 2 } } }), [
      ".spec.replicas: replicas.max (2) must be at least replicas.min (3; when unset, min is the default of this environment, 3)",
    ]);
    await assertRejected(
      app(),
      { image, replicas: { targetCPUUtilization: 5 } },
      /targetCPUUtilization must be >= 10/,
    );
    await assertRejected(
      app(),
      { image, resources: { cpu: "1 core" } },
      /\/spec\/resources\/cpu must match pattern/,
    );
    await assertRejected(
      app(),
      { image, resources: { memory: "1G" } },
      /\/spec\/resources\/memory must match pattern/,
    );
    assert.deepEqual(
      await errorsOf(app(), { spec: { image, resources: { cpu: "1.5", memory: "2Gi" } } }),
      [],
    );
    // The profile's minimum above the fixed maximum would make every App invalid by default.
    assert.throws(
      () => appXrd({ domain: DOMAIN, replicas: { min: 3, max: 2 }, defaultComposition: "x" }),
      /profile appReplicas: min > max/,
    );
  });

  it("accepts only hosts one label below the platform domain (what its wildcard certificate covers)", async () => {
    const image = "ghcr.io/acme/app:1.0.0";
    assert.deepEqual(await errorsOf(app(), { spec: { image, host: `shop-2.${DOMAIN}` } }), []);
    for (const host of [
      "shop.example.org",
      DOMAIN,
      `shop.eu.${DOMAIN}`,
      `shop.${DOMAIN}.evil.io`,
      `Shop.${DOMAIN}`,
      `shop.dev-idp-example-com`,
    ]) {
      await assertRejected(app(), { image, host }, /\/spec\/host must match pattern/);
    }
    // The platform's own hosts are not for Apps.
    await assertRejected(
      app(),
      { image, host: `argocd.${DOMAIN}` },
      /host names a platform service \(argocd\); choose another label/,
    );
    assert.deepEqual(await errorsOf(app(), { spec: { image, host: `argocd-ui.${DOMAIN}` } }), []);
  });

  it("takes environment values literally or from Secrets, never both, names unique", async () => {
    const image = "ghcr.io/acme/app:1.0.0";
    const fromSecret = { name: "API_KEY", valueFrom: { secretKeyRef: { name: "payments-api", key: "key" } } };
    assert.deepEqual(
      await errorsOf(app(), { spec: { image, env: [{ name: "A", value: "1" }, fromSecret] } }),
      [],
    );
    await assertRejected(
      app(),
      { image, env: [{ ...fromSecret, value: "x" }] },
      /set exactly one of value and valueFrom/,
    );
    await assertRejected(app(), { image, env: [{ name: "A" }] }, /set exactly one of value and valueFrom/);
    await assertRejected(
      app(),
      {
        image,
        env: [
          { name: "A", value: "1" },
          { name: "A", value: "2" },
        ],
      },
      /duplicate entries for key \["A"\]/,
    );
    await assertRejected(
      app(),
      { image, env: [{ name: "1A", value: "1" }] },
      /\/spec\/env\/0\/name must match pattern/,
    );
    await assertRejected(
      app(),
      { image, env: [{ name: "A", valueFrom: { configMapKeyRef: { name: "c", key: "k" } } }] },
      /must NOT have additional properties: configMapKeyRef/,
    );
  });

  it("reserves the connection variables for Apps with a database", async () => {
    const image = "ghcr.io/acme/app:1.0.0";
    for (const name of ["PGHOST", "PGPASSWORD", "DATABASE_URL"]) {
      await assertRejected(
        app(),
        { image, database: { name: "db" }, env: [{ name, value: "x" }] },
        /with a database, env must not set PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, DATABASE_URL/,
      );
      assert.deepEqual(await errorsOf(app(), { spec: { image, env: [{ name, value: "x" }] } }), []);
    }
    await assertRejected(
      app(),
      { image, database: {} },
      /\/spec\/database must have required property 'name'/,
    );
    await assertRejected(
      app(),
      { image, database: { name: "Bad_Name" } },
      /\/spec\/database\/name must match pattern/,
    );
  });

  it("rejects unknown fields", async () => {
    await assertRejected(
      app(),
      { image: "ghcr.io/acme/app:1.0.0", replica: 2 },
      /must NOT have additional properties: replica/,
    );
  });
});

describe("SQLDatabase XRD", () => {
  it("accepts the shipped example", async () => {
    assert.deepEqual(await errorsOf(sql(), exampleDatabase()), []);
  });

  it("requires nothing, not even a spec, and defaults to a small Postgres 17 with 20 GiB", async () => {
    for (const request of [{ spec: {} }, {}]) {
      const { object, errors } = await admit(sql(), request);
      assert.deepEqual(errors, []);
      assert.deepEqual(object["spec"], { engine: "postgres", version: "17", size: "small", storageGB: 20 });
    }
    assert.deepEqual(xrdSpecRequired(sql()), []);
    const root = sql().spec.versions[0]!.schema.openAPIV3Schema;
    assert.equal(root.required, undefined);
    assert.deepEqual(root.properties?.["spec"]?.default, {});
    // An App names its image, so its spec stays required.
    assert.deepEqual(app("dev").spec.versions[0]!.schema.openAPIV3Schema.required, ["spec"]);
  });

  it("says in the size and storage docs when an RDS change applies in each environment", () => {
    const spec = sql().spec.versions[0]!.schema.openAPIV3Schema.properties?.["spec"]?.properties ?? {};
    const timing =
      "On RDS a change applies at once in dev and staging and in the next maintenance window in prod.";
    assert.ok(spec["size"]?.description?.endsWith(timing), spec["size"]?.description);
    assert.ok(spec["storageGB"]?.description?.endsWith(timing), spec["storageGB"]?.description);
  });

  it("offers Postgres 16 to 18 in three sizes and 20 to 1024 GiB", async () => {
    for (const version of ["16", "17", "18"]) {
      for (const size of ["small", "medium", "large"]) {
        assert.deepEqual(await errorsOf(sql(), { spec: { version, size } }), []);
      }
    }
    await assertRejected(
      sql(),
      { engine: "mysql" },
      /\/spec\/engine must be equal to one of the allowed values/,
    );
    await assertRejected(
      sql(),
      { version: "15" },
      /\/spec\/version must be equal to one of the allowed values/,
    );
    await assertRejected(sql(), { version: 17 }, /\/spec\/version must be string/);
    await assertRejected(sql(), { size: "xl" }, /\/spec\/size must be equal to one of the allowed values/);
    await assertRejected(sql(), { storageGB: 10 }, /\/spec\/storageGB must be >= 20/);
    await assertRejected(sql(), { storageGB: 2000 }, /\/spec\/storageGB must be <= 1024/);
  });

  it("lets storage grow but never shrink, and keeps engine and version", async () => {
    const old = withSpec({}, { version: "17", storageGB: 50 });
    assert.deepEqual(await errorsOf(sql(), { spec: { version: "17", storageGB: 100 } }, old), []);
    await assertRejected(sql(), { version: "17", storageGB: 20 }, /storageGB cannot shrink/, old);
    await assertRejected(
      sql(),
      { version: "18", storageGB: 50 },
      /version cannot change; create a new SQLDatabase/,
      old,
    );
    // Defaults count as the old value: omitting a field keeps it.
    assert.deepEqual(await errorsOf(sql(), { spec: { storageGB: 50 } }, old), []);
  });
});

function xrdSpecRequired(xrd: XrdObject): readonly string[] {
  return xrd.spec.versions[0]!.schema.openAPIV3Schema.properties!["spec"]!.required ?? [];
}

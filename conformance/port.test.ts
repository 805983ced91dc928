/**
 * Port's Kubernetes exporter mapping, evaluated by the exporter's own jq engine (gojq at the version
 * port-k8s-exporter's go.mod pins) on the objects the platform runs: an App and what the real App
 * composition renders for it, a SQLDatabase, and the team's Argo CD Application seeded in the management
 * repository. Every entity must land on a seeded blueprint with its properties and relations, and each
 * relation must name the entity it means (the catalog's component and resource, the running App, the team).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import YAML from "yaml";
import { decodeWire } from "../synth/records";
import { examples, fixtureStack, ofKind, tools, type FixtureStack } from "./fixtures";
import { render, startFunctions, type RunningFunction } from "./session";
import { composedByName } from "./objects";

type Json = Record<string, unknown>;

interface Mapping {
  identifier: string;
  title: string;
  blueprint: string;
  properties: Record<string, string>;
  relations: Record<string, string>;
}
interface MappedResource {
  kind: string;
  selector: { query: string };
  port: { entity: { mappings: Mapping[] } };
}

/** One gojq run: the expression on the object, its JSON result. */
function jq(expression: string, input: unknown): unknown {
  const run = spawnSync(tools().gojq, ["-c", expression], { input: JSON.stringify(input), encoding: "utf8" });
  assert.equal(run.status, 0, `gojq ${expression}: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown;
}

/** The entity the exporter builds from one object: every mapping value evaluated separately, as it does. */
function entity(mapping: Mapping, object: Json): Json {
  const values = (fields: Record<string, string>) =>
    Object.fromEntries(Object.entries(fields).map(([key, expression]) => [key, jq(expression, object)]));
  return {
    identifier: jq(mapping.identifier, object),
    title: jq(mapping.title, object),
    blueprint: jq(mapping.blueprint, object),
    properties: values(mapping.properties),
    relations: values(mapping.relations),
  };
}

let functions: RunningFunction[] = [];
let stack: FixtureStack;
let resources: MappedResource[];
let blueprints: Array<{ identifier: string; schema: { properties: Json }; relations: Record<string, Json> }>;
let catalog: Array<{ identifier: string; blueprint: string }>;

before(async () => {
  functions = await startFunctions();
  stack = await fixtureStack("dev");
  const release = stack.result.resources.find((r) => r.name === "idp-port-exporter-release");
  assert.ok(release, "the dev fixture installs Port's exporter");
  const values = (decodeWire(release.wireInputs, "plain") as { values: { configMap: { config: string } } })
    .values;
  resources = (YAML.parse(values.configMap.config) as { resources: MappedResource[] }).resources;
  const management = stack.repositories["platform-management"]!;
  blueprints = JSON.parse(management["catalog/port/blueprints.json"]!) as typeof blueprints;
  catalog = JSON.parse(management["catalog/port/entities.json"]!) as typeof catalog;
});
after(() => functions.forEach((f) => f.process.kill()));

const ready = { conditions: [{ type: "Ready", status: "True", reason: "Available" }] };

function objectsOf(kind: string, objects: Json[]): Json[] {
  const [group, version, plural] = kind.split("/").length === 3 ? kind.split("/") : ["", ...kind.split("/")];
  return objects.filter(
    (o) =>
      o["apiVersion"] === (group === "" ? version : `${group}/${version}`) &&
      `${String(o["kind"]).toLowerCase()}s` === plural,
  );
}

describe("Port's exporter mapping, evaluated by gojq on what the platform runs", () => {
  let entities: Json[];

  before(() => {
    // The App as Argo CD applied it (annotation tracking) and Crossplane reported it.
    const example = examples("App", stack.domain).find(
      (a) => (a["metadata"] as Json)["name"] === "orders-api",
    )!;
    const app: Json = {
      ...example,
      metadata: {
        ...(example["metadata"] as Json),
        annotations: {
          "argocd.argoproj.io/tracking-id": "team-orders:platform.idp.internal/App:team-orders/orders-api",
        },
      },
      spec: { ...(example["spec"] as Json), database: { name: "orders-api" } },
      status: { ...ready, url: "https://orders.dev.fixture.example.test", availableReplicas: 2 },
    };
    const composition = ofKind(stack, "Composition").find(
      (c) => (c["spec"] as { compositeTypeRef: { kind: string } }).compositeTypeRef.kind === "App",
    )!;
    const xrd = ofKind(stack, "CompositeResourceDefinition").find(
      (x) => (x["spec"] as { names: { kind: string } }).names.kind === "App",
    )!;
    const rendered = render({ xr: app, composition, xrd, functions });
    assert.equal(rendered.exitCode, 0, rendered.stderr);
    const deployment = {
      ...composedByName(rendered.composed)["deployment"]!,
      status: { availableReplicas: 2 },
    };
    const database = {
      ...examples("SQLDatabase", stack.domain)[0]!,
      metadata: { name: "orders-api", namespace: "team-orders" },
      status: { ...ready, address: "orders-api-postgres.team-orders.svc" },
    };
    const management = stack.repositories["platform-management"]!;
    const application = {
      ...(YAML.parse(management["environments/dev/argocd/orders.yaml"]!) as Json),
      metadata: {
        ...((YAML.parse(management["environments/dev/argocd/orders.yaml"]!) as Json)["metadata"] as Json),
        namespace: "argocd",
      },
      status: { sync: { status: "Synced", revision: "0123abc" }, health: { status: "Healthy" } },
    };
    const others = rendered.composed.filter((o) => o["kind"] !== "Deployment");
    const objects = [app, ...others, deployment, database, application] as Json[];
    entities = resources.flatMap((resource) =>
      objectsOf(resource.kind, objects)
        .filter((object) => jq(resource.selector.query, object) === true)
        .map((object) => entity(resource.port.entity.mappings[0]!, object)),
    );
  });

  it("maps Applications, Apps, their Deployments and SQLDatabases", () => {
    assert.deepEqual(
      resources.map((r) => r.kind),
      [
        "argoproj.io/v1alpha1/applications",
        "platform.idp.internal/v1alpha1/apps",
        "apps/v1/deployments",
        "platform.idp.internal/v1alpha1/sqldatabases",
      ],
    );
    assert.deepEqual(
      entities.map((e) => [e["blueprint"], e["identifier"]]),
      [
        ["argocd_application", "team-orders-dev"],
        ["app_instance", "orders-api-dev"],
        ["workload", "orders-api-deployment-dev"],
        ["database_instance", "orders-api-database-dev"],
      ],
    );
  });

  it("fills only properties and relations the blueprints declare", () => {
    for (const e of entities) {
      const blueprint = blueprints.find((b) => b.identifier === e["blueprint"]);
      assert.ok(blueprint, `blueprint ${String(e["blueprint"])} is seeded`);
      for (const key of Object.keys(e["properties"] as Json)) {
        assert.ok(key in blueprint.schema.properties, `${blueprint.identifier}.${key} is a property`);
      }
      for (const key of Object.keys(e["relations"] as Json)) {
        assert.ok(key in blueprint.relations, `${blueprint.identifier}.${key} is a relation`);
      }
    }
  });

  it("relates what runs to the catalog's entities and to each other", () => {
    const byBlueprint = (b: string) => entities.find((e) => e["blueprint"] === b)!;
    const known = new Set([...catalog.map((c) => `${c.blueprint}:${c.identifier}`)]);
    for (const e of entities) known.add(`${String(e["blueprint"])}:${String(e["identifier"])}`);
    const expected: Array<[string, string, string]> = [
      ["argocd_application", "system", "system"],
      ["app_instance", "component", "component"],
      ["app_instance", "application", "argocd_application"],
      ["workload", "appInstance", "app_instance"],
      ["database_instance", "resource", "resource"],
    ];
    for (const [blueprint, relation, target] of expected) {
      const value = (byBlueprint(blueprint)["relations"] as Json)[relation];
      assert.ok(
        known.has(`${target}:${String(value)}`),
        `${blueprint}.${relation} = ${String(value)} exists`,
      );
    }
    const app = byBlueprint("app_instance");
    assert.deepEqual(app["properties"], {
      environment: "dev",
      namespace: "team-orders",
      image: "ghcr.io/fixture-org/orders-api:1.4.2",
      url: "https://orders.dev.fixture.example.test",
      ready: true,
      availableReplicas: 2,
    });
    assert.deepEqual((byBlueprint("argocd_application")["properties"] as Json)["healthStatus"], "Healthy");
  });
});

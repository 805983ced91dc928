/**
 * The parts together, across stacks: what the seeding stack (dev) writes into the management repository
 * is accepted by the APIs each environment's cluster serves, and the repository's validate workflow
 * checks every platform kind with the same schemas.
 */
import * as assert from "node:assert/strict";
import Ajv from "ajv";
import YAML from "yaml";
import { XR_API_VERSION, XR_KINDS } from "../components/crossplane/api";
import { RESOURCE_SCHEMA_DIR } from "../components/github/workflows";
import { decodeWire } from "../synth/records";
import { strictSchema } from "./crd-schema";
import { PROMOTED_IMAGE_TAG, promotedAppFiles, synthStack, type Synth } from "./harness";

interface SeededFile {
  readonly content: string;
  readonly mode: string;
}

function managementTree(synth: Synth): Record<string, SeededFile> {
  const seed = synth.one("pulumi-nodejs:dynamic/github:RepositorySeed", "idp-github-management-seed");
  return (decodeWire(seed.wireInputs, "plain") as { files: Record<string, SeededFile> }).files;
}

/**
 * Every platform resource (App, SQLDatabase) below environments/<env>/: the seeded ones, and those an
 * app's first promotion writes there from the environment's skeleton, on a pinned image.
 */
function platformResources(tree: Record<string, SeededFile>, env: string): Array<Record<string, unknown>> {
  const promoted = promotedAppFiles(tree, env, {
    app: "new-api",
    team: "orders",
    database: true,
    image: `ghcr.io/fixture-org/new-api:${PROMOTED_IMAGE_TAG}`,
  });
  return [
    ...Object.entries(tree)
      .filter(([path]) => path.startsWith(`environments/${env}/`) && /\.ya?ml$/.test(path))
      .map(([, file]) => file.content),
    ...Object.values(promoted),
  ]
    .flatMap((content) => YAML.parseAllDocuments(content).map((doc) => doc.toJS() as Record<string, unknown>))
    .filter((object) => object !== null && object["apiVersion"] === XR_API_VERSION);
}

/** The XRD a stack installs for a kind, as a validator of whole resources (the API server's view). */
function xrdValidator(synth: Synth, kind: string): (object: Record<string, unknown>) => string[] {
  const xrd = synth
    .kind("CompositeResourceDefinition")
    .map((record) =>
      synth.inputs<{
        spec: {
          names: { kind: string };
          versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }>;
        };
      }>(record),
    )
    .find((object) => object.spec.names.kind === kind);
  assert.ok(xrd, `the stack installs an XRD for ${kind}`);
  const validate = new Ajv({ strict: false, allErrors: true }).compile(
    strictSchema(xrd.spec.versions[0]!.schema.openAPIV3Schema),
  );
  return (object) =>
    validate({ spec: object["spec"] })
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe("platform integration", () => {
  const synths: Record<string, Synth> = {};
  let tree: Record<string, SeededFile>;
  before(async () => {
    for (const stack of ["dev", "staging", "prod"]) synths[stack] = await synthStack(stack);
    tree = managementTree(synths["dev"]!);
  });

  for (const env of ["dev", "staging", "prod"]) {
    it(`seeds ${env}'s App and SQLDatabase resources (and promotes from its skeleton those) that ${env}'s XRDs accept`, () => {
      const resources = platformResources(tree, env);
      const kinds = new Set(resources.map((r) => r["kind"]));
      assert.deepEqual([...kinds].sort(), [XR_KINDS.app, XR_KINDS.sqlDatabase].sort());
      for (const resource of resources) {
        const errors = xrdValidator(synths[env]!, resource["kind"] as string)(resource);
        const name = (resource["metadata"] as { name: string }).name;
        assert.deepEqual(errors, [], `${env}: ${String(resource["kind"])} ${name}`);
      }
    });
  }

  it("gives the validate workflow a schema for every platform kind, accepting every environment's resources", () => {
    const schemas = Object.keys(tree).filter((path) => path.startsWith(`${RESOURCE_SCHEMA_DIR}/`));
    assert.deepEqual(schemas.sort(), [
      `${RESOURCE_SCHEMA_DIR}/platform.idp.internal/app_v1alpha1.json`,
      `${RESOURCE_SCHEMA_DIR}/platform.idp.internal/sqldatabase_v1alpha1.json`,
    ]);
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validators = new Map(
      schemas.map((path) => [
        path.includes("/app_") ? XR_KINDS.app : XR_KINDS.sqlDatabase,
        ajv.compile(JSON.parse(tree[path]!.content) as object),
      ]),
    );
    for (const env of ["dev", "staging", "prod"]) {
      for (const resource of platformResources(tree, env)) {
        const validate = validators.get(resource["kind"] as (typeof XR_KINDS)[keyof typeof XR_KINDS])!;
        assert.ok(validate(resource), `${env}: ${JSON.stringify(validate.errors)}`);
      }
    }
    // A host under no environment's domain is refused, as each cluster would refuse it.
    const app = platformResources(tree, "dev").find((r) => r["kind"] === XR_KINDS.app)!;
    const foreign = { ...app, spec: { ...(app["spec"] as object), host: "shop.example.org" } };
    assert.equal(validators.get(XR_KINDS.app)!(foreign), false);
    const workflow = tree[".github/workflows/validate.yaml"]!.content;
    assert.ok(!workflow.includes("-skip"), "the validate workflow skips no platform kind");
  });

  it("points every environment's Argo CD applications at the management repository the stacks share", () => {
    const outputs = Object.values(synths).map((synth) => synth.result.stackOutputs["managementRepository"]);
    assert.equal(new Set(outputs).size, 1);
  });
});

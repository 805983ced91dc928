/**
 * docs/config-reference.md covers the whole schema: every key and nested field (list items and map
 * entries included), every secret, the org-wide keys and the profile table. Its freshness is checked in
 * tests/project-config.test.ts.
 */
import * as assert from "node:assert/strict";
import { z } from "zod";
import { organizationKeys } from "../stacks/promotion";
import { renderReference } from "../stacks/reference";
import { PROJECT, secretKeys, settingsSchema } from "../stacks/schema";

interface Node {
  type?: string | string[];
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
  anyOf?: Node[];
  oneOf?: Node[];
  allOf?: Node[];
}

/** Every documented path of the schema, walked independently of the renderer. */
function paths(node: Node, prefix: string): string[] {
  assert.ok(!node.anyOf && !node.oneOf && !node.allOf, `${prefix}: unions are not rendered by the reference`);
  const out = [prefix];
  if (node.type === "array" && node.items?.properties) {
    for (const [key, child] of Object.entries(node.items.properties))
      out.push(...paths(child, `${prefix}[].${key}`));
  }
  if (typeof node.additionalProperties === "object" && node.additionalProperties.properties) {
    for (const [key, child] of Object.entries(node.additionalProperties.properties)) {
      out.push(...paths(child, `${prefix}.<name>.${key}`));
    }
  }
  for (const [key, child] of Object.entries(node.properties ?? {}))
    out.push(...paths(child, `${prefix}.${key}`));
  return out;
}

describe("configuration reference", () => {
  const reference = renderReference();
  const schema = z.toJSONSchema(settingsSchema, { io: "input" }) as Node;

  it("documents every key and nested field of the schema", () => {
    const all = Object.entries(schema.properties ?? {}).flatMap(([key, node]) =>
      paths(node, `${PROJECT}:${key}`),
    );
    assert.ok(all.includes("idp:github.environmentSettings.<name>.domain"));
    for (const path of all) assert.ok(reference.includes(`| \`${path}\` |`), path);
  });

  it("documents every secret and every org-wide key", () => {
    for (const key of Object.keys(secretKeys))
      assert.ok(reference.includes(`| \`${PROJECT}:${key}\` |`), key);
    for (const key of organizationKeys()) assert.ok(reference.includes(`- \`${PROJECT}:${key}\``), key);
  });
});

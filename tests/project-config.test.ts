/**
 * Pulumi.yaml's config block stays in step with the schema: every declared key exists with the same
 * type and description, and the keys it leaves out are exactly those the CLI cannot declare (optional
 * without a default, and secrets).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { PROJECT, PROJECT_WIDE_KEYS, secretKeys, settingsSchema } from "../stacks/schema";
import { PROJECT_ROOT } from "../synth/stack-files";
import { REFERENCE_FILE, renderReference } from "../stacks/reference";

interface Declaration {
  type?: string;
  items?: { type?: string };
  description?: string;
  default?: unknown;
  value?: unknown;
  secret?: boolean;
}

const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
  name: string;
  config: Record<string, Declaration>;
};
const jsonSchema = z.toJSONSchema(settingsSchema, { io: "input" }) as {
  properties: Record<
    string,
    { type?: string; description?: string; default?: unknown; enum?: unknown[]; items?: { type?: string } }
  >;
  required?: string[];
};

describe("Pulumi.yaml", () => {
  it("names the project after the config namespace and disables default providers", () => {
    assert.equal(project.name, PROJECT);
    assert.deepEqual(project.config["pulumi:disable-default-providers"], { value: ["*"] });
  });

  const declared = Object.entries(project.config).filter(([key]) => key.startsWith(`${PROJECT}:`));

  for (const [key, declaration] of declared) {
    it(`declares ${key} as the schema does`, () => {
      const property = jsonSchema.properties[key.slice(PROJECT.length + 1)];
      assert.ok(property, `${key} is in the schema`);
      const expectedType = property.type ?? (property.enum ? "string" : undefined);
      assert.equal(declaration.type, expectedType === "number" ? "integer" : expectedType);
      if (property.type === "array") assert.deepEqual(declaration.items, { type: property.items?.type });
      assert.equal(declaration.description, property.description);
      const shortKey = key.slice(PROJECT.length + 1);
      if ((PROJECT_WIDE_KEYS as readonly string[]).includes(shortKey)) {
        // Org-wide data: Pulumi.yaml supplies the value for every stack; it must be valid.
        const result = settingsSchema.shape[shortKey as keyof typeof settingsSchema.shape].safeParse(
          declaration.default,
        );
        assert.ok(result.success, `the Pulumi.yaml default of ${key} is valid`);
      } else {
        assert.deepEqual(declaration.default, property.default);
      }
    });
  }

  it("leaves out exactly the optional keys without default and the secrets", () => {
    const declaredKeys = new Set(declared.map(([key]) => key.slice(PROJECT.length + 1)));
    const required = new Set(jsonSchema.required ?? []);
    const undeclared = Object.keys(jsonSchema.properties).filter((key) => !declaredKeys.has(key));
    for (const key of undeclared) {
      const property = jsonSchema.properties[key]!;
      assert.ok(
        !required.has(key) && property.default === undefined,
        `${key} should be declared in Pulumi.yaml`,
      );
    }
    const comment = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8");
    for (const key of [...undeclared, ...Object.keys(secretKeys)]) {
      assert.ok(
        comment.includes(`${PROJECT}:${key}`),
        `Pulumi.yaml names the undeclared key ${PROJECT}:${key}`,
      );
    }
  });
});

describe("docs/config-reference.md", () => {
  it("is generated from the current schema (run npm run docs:config)", () => {
    assert.equal(fs.readFileSync(REFERENCE_FILE, "utf8"), renderReference());
  });
});

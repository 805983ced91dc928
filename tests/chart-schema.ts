/**
 * Validates Helm values against a chart's own values.schema.json from ../shared/chart-schemas (Helm
 * applies the same schema on install, so a value it rejects is a deploy-time failure). Draft 2020-12
 * schemas (external-secrets) use ajv's 2020 build. Returns undefined when ../shared is absent; throws
 * one line naming the chart, the version and where the schema goes when a chart that ships a schema has
 * none on file for the pinned version (a chart bump without its schema).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { hasShared, SHARED_DIR } from "./harness";

/**
 * Charts whose source ships a values.schema.json (../shared/chart-schemas/INDEX.md). The others
 * (crossplane, argo-cd, gateway-helm, ingress-nginx, the two ARC charts) ship none.
 */
export const CHARTS_WITH_VALUES_SCHEMA: ReadonlySet<string> = new Set([
  "cert-manager",
  "external-secrets",
  "schemahero",
]);

export type ValuesValidator = (values: unknown) => string[];

export function chartValuesValidator(chart: string, version: string): ValuesValidator | undefined {
  if (!hasShared) return undefined;
  const file = path.join(SHARED_DIR, "chart-schemas", chart, version, "values.schema.json");
  if (!fs.existsSync(file)) {
    if (!CHARTS_WITH_VALUES_SCHEMA.has(chart)) return undefined;
    throw new Error(
      `No values schema on file for the chart ${chart} ${version}: add its values.schema.json at that tag as ../shared/chart-schemas/${chart}/${version}/values.schema.json (and a line in INDEX.md), then run npm test again`,
    );
  }
  // Helm validates the chart's defaults merged with these values; the defaults (values.yaml) are not
  // on file, so properties a schema requires count as provided by them.
  const schema = withoutRequired(JSON.parse(fs.readFileSync(file, "utf8"))) as Record<string, unknown>;
  const dialect = schema["$schema"];
  const draft2020 = typeof dialect === "string" && dialect.includes("2020-12");
  const ajv = draft2020
    ? new Ajv2020({ strict: false, allErrors: true })
    : new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  return (values) =>
    validate(values)
      ? []
      : (validate.errors ?? []).map(
          (e) =>
            `${e.instancePath || "/"} ${e.message ?? "invalid"}${"additionalProperty" in e.params ? `: ${String(e.params.additionalProperty)}` : ""}`,
        );
}

/** A schema without its `required` lists (see chartValuesValidator). */
function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (schema === null || typeof schema !== "object") return schema;
  return Object.fromEntries(
    Object.entries(schema as Record<string, unknown>)
      .filter(([key, value]) => !(key === "required" && Array.isArray(value)))
      .map(([key, value]) => [key, withoutRequired(value)]),
  );
}

/**
 * Validates Helm values against a chart's own values.schema.json from ../shared/chart-schemas (Helm
 * applies the same schema on install, so a value it rejects is a deploy-time failure). Draft 2020-12
 * schemas (external-secrets) use ajv's 2020 build. Returns undefined when ../shared is absent.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020";
import { SHARED_DIR } from "./harness";

export type ValuesValidator = (values: unknown) => string[];

export function chartValuesValidator(chart: string, version: string): ValuesValidator | undefined {
  const file = path.join(SHARED_DIR, "chart-schemas", chart, version, "values.schema.json");
  if (!fs.existsSync(file)) return undefined;
  const schema = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
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

/**
 * Validates Kubernetes objects against the upstream CustomResourceDefinitions in ../shared/crds.
 *
 * The API server prunes unknown fields silently, so a misspelled field would deploy and do nothing.
 * Here unknown fields are errors (unless the schema preserves unknown fields), `x-kubernetes-int-or-string`
 * accepts both, and `nullable` accepts null. CEL rules (`x-kubernetes-validations`) are not evaluated.
 *
 * When ../shared is absent (a user's clone), `crdValidator()` returns undefined and tests skip, saying so.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import YAML from "yaml";
import { SHARED_DIR } from "./harness";

interface CrdIndexRow {
  readonly file: string;
  readonly group: string;
  readonly kind: string;
}

interface CrdDocument {
  spec: {
    group: string;
    names: { kind: string };
    versions: Array<{
      name: string;
      served: boolean;
      schema?: { openAPIV3Schema?: Record<string, unknown> };
    }>;
  };
}

type Schema = Record<string, unknown>;

/** Rewrites a structural schema into a strict JSON Schema for ajv. */
export function strictSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("x-kubernetes-") || key === "nullable") continue;
    if (key === "properties" && value && typeof value === "object") {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([name, sub]) => [name, strictSchema(sub)]),
      );
    } else if (
      (key === "items" || key === "additionalProperties" || key === "not") &&
      value &&
      typeof value === "object"
    ) {
      out[key] = strictSchema(value as Schema);
    } else if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
      out[key] = (value as Schema[]).map((sub) => strictSchema(sub));
    } else {
      out[key] = value;
    }
  }
  if (schema["x-kubernetes-int-or-string"] === true) {
    delete out["type"];
    out["anyOf"] = [{ type: "integer" }, { type: "string" }];
  }
  const preserves = schema["x-kubernetes-preserve-unknown-fields"] === true;
  if (
    out["type"] === "object" &&
    out["properties"] !== undefined &&
    out["additionalProperties"] === undefined &&
    !preserves
  ) {
    out["additionalProperties"] = false;
  }
  if (schema["nullable"] === true && typeof out["type"] === "string") out["type"] = [out["type"], "null"];
  // Combinators in structural schemas only restate constraints of declared properties: keep them
  // from rejecting fields the outer schema allows.
  for (const combinator of ["allOf", "anyOf", "oneOf"] as const) {
    const parts = out[combinator];
    if (Array.isArray(parts) && schema["x-kubernetes-int-or-string"] !== true) {
      out[combinator] = (parts as Schema[]).map((part) => {
        const { additionalProperties: _dropped, ...rest } = part;
        return rest;
      });
    }
  }
  return out;
}

export interface CrdValidator {
  /** Errors for one object (apiVersion/kind decide the CRD); [] when valid. */
  validate(object: Record<string, unknown>): string[];
  /** Whether a CRD for this apiVersion/kind is on file. */
  has(apiVersion: string, kind: string): boolean;
}

let cached: CrdValidator | undefined | null = null;

export function crdValidator(): CrdValidator | undefined {
  if (cached !== null) return cached;
  const indexFile = path.join(SHARED_DIR, "crds", "index.json");
  if (!fs.existsSync(indexFile)) {
    cached = undefined;
    return cached;
  }
  const index = JSON.parse(fs.readFileSync(indexFile, "utf8")) as { files: CrdIndexRow[] };
  const rowsByGroupKind = new Map(index.files.map((row) => [`${row.group}/${row.kind}`, row]));
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const compiled = new Map<string, ValidateFunction | undefined>();

  const validatorFor = (apiVersion: string, kind: string): ValidateFunction | undefined => {
    const key = `${apiVersion}/${kind}`;
    if (compiled.has(key)) return compiled.get(key);
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const row = rowsByGroupKind.get(`${group}/${kind}`);
    let fn: ValidateFunction | undefined;
    if (row) {
      const crd = YAML.parse(fs.readFileSync(path.join(SHARED_DIR, "crds", row.file), "utf8")) as CrdDocument;
      const served = crd.spec.versions.find((v) => v.name === version && v.served);
      const schema = served?.schema?.openAPIV3Schema;
      if (schema) fn = ajv.compile(strictSchema(schema));
    }
    compiled.set(key, fn);
    return fn;
  };

  cached = {
    has: (apiVersion, kind) => validatorFor(apiVersion, kind) !== undefined,
    validate(object) {
      const apiVersion = String(object["apiVersion"]);
      const kind = String(object["kind"]);
      const fn = validatorFor(apiVersion, kind);
      if (!fn) return [`no served CRD on file for ${apiVersion} ${kind}`];
      if (fn(object)) return [];
      return (fn.errors ?? []).map(
        (e) =>
          `${kind} ${e.instancePath || "/"} ${e.message ?? "invalid"}${e.params && "additionalProperty" in e.params ? `: ${String(e.params.additionalProperty)}` : ""}`,
      );
    },
  };
  return cached;
}

/**
 * Test-side stand-ins for what the API server and Crossplane do with the platform's XRDs and
 * Compositions, so tests can assert behaviour rather than text:
 *
 * - `admit()`: what the API server does with an XR: apply the XRD schema's defaults, validate it
 *   (structural schema through ajv, unknown fields rejected, list-map keys unique) and evaluate its CEL
 *   rules (`x-kubernetes-validations`, transition rules against the old object) with a CEL engine.
 * - `render()`: what function-patch-and-transform and function-cel-filter produce for an XR: the
 *   desired composed resources, and the XR status patched from observed composed resources. Only the
 *   patch and transform types the compositions use are implemented; anything else fails the test.
 * - `validateKubernetes()`: built-in kinds against kubernetes-models' schemas (required fields, types).
 */
import * as assert from "node:assert/strict";
import Ajv from "ajv";
import type { Patch, CompositionObject, Transform } from "../components/crossplane/pt";
import type { StructuralSchema } from "../components/crossplane/schema";
import type { XrdObject } from "../components/crossplane/xrds";
import { strictSchema } from "./crd-schema";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Field paths (Crossplane syntax: `a.b[0].c`, `metadata.labels[app.kubernetes.io/name]`).

export function parsePath(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  let i = 0;
  let name = "";
  while (i < path.length) {
    const c = path[i]!;
    if (c === ".") {
      if (name !== "") segments.push(name);
      name = "";
      i++;
    } else if (c === "[") {
      if (name !== "") segments.push(name);
      name = "";
      const end = path.indexOf("]", i);
      assert.ok(end > i, `unterminated [ in ${path}`);
      const inner = path.slice(i + 1, end);
      segments.push(/^\d+$/.test(inner) ? Number(inner) : inner);
      i = end + 1;
    } else {
      name += c;
      i++;
    }
  }
  if (name !== "") segments.push(name);
  return segments;
}

export function getPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const segment of parsePath(path)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export function setPath(object: Json, path: string, value: unknown): void {
  const segments = parsePath(path);
  let current: Record<string | number, unknown> = object;
  segments.forEach((segment, index) => {
    if (index === segments.length - 1) {
      current[segment] = structuredClone(value);
      return;
    }
    const next = segments[index + 1]!;
    if (current[segment] === undefined || current[segment] === null) {
      current[segment] = typeof next === "number" ? [] : {};
    }
    current = current[segment] as Record<string | number, unknown>;
  });
}

// ---------------------------------------------------------------------------------------------
// Patch and transform.

/** Go's fmt.Sprintf for the verbs the compositions use: %s, %d and %%. */
export function sprintf(fmt: string, values: readonly unknown[]): string {
  let next = 0;
  return fmt.replace(/%([%sd])/g, (_match, verb: string) => {
    if (verb === "%") return "%";
    const value = values[next++];
    if (verb === "d") {
      assert.ok(Number.isInteger(value), `%d of ${String(value)}`);
      return String(value);
    }
    return String(value);
  });
}

function transform(value: unknown, transforms: readonly Transform[] | undefined): unknown {
  let current = value;
  for (const t of transforms ?? []) {
    if (t.type === "string" && t.string.type === "Format") current = sprintf(t.string.fmt, [current]);
    else if (t.type === "map") {
      const key = String(current);
      assert.ok(key in t.map, `map transform has no entry for ${key}`);
      current = t.map[key];
    } else assert.fail(`transform ${JSON.stringify(t)} is not implemented by the test renderer`);
  }
  return current;
}

export interface Rendered {
  /** Desired composed resources by composition resource name (after filters). */
  readonly resources: Record<string, Json>;
  /** Names function-cel-filter removed. */
  readonly filtered: readonly string[];
  /** The XR's status as patched from `observed`. */
  readonly status: Json;
}

/**
 * Runs the pipeline for `xr` (already admitted: defaults applied). `observed` holds observed composed
 * resources by name, for ToComposite patches and CEL filters.
 */
export async function render(
  composition: CompositionObject,
  xr: Json,
  observed: Record<string, Json> = {},
): Promise<Rendered> {
  const resources: Record<string, Json> = {};
  const filtered: string[] = [];
  const status: Json = {};
  const xrWithStatus = (): Json => ({ ...xr, status: { ...(xr["status"] as Json | undefined), ...status } });
  for (const step of composition.spec.pipeline) {
    if (step.input.kind === "Resources") {
      for (const template of step.input.resources) {
        const composed = structuredClone(template.base) as Json;
        for (const patch of template.patches ?? [])
          applyPatch(patch, xr, composed, observed[template.name], status);
        resources[template.name] = composed;
      }
    } else {
      const { evaluate } = await import("@marcbachmann/cel-js");
      for (const filter of step.input.filters) {
        const keep: unknown = evaluate(filter.expression, {
          observed: { composite: { resource: xrWithStatus() }, resources: observed },
          desired: { resources },
        });
        if (keep !== true) {
          filtered.push(filter.name);
          delete resources[filter.name];
        }
      }
    }
  }
  return { resources, filtered, status };
}

function applyPatch(patch: Patch, xr: Json, composed: Json, observed: Json | undefined, status: Json): void {
  switch (patch.type) {
    case "FromCompositeFieldPath": {
      const value = getPath(xr, patch.fromFieldPath);
      if (value === undefined) {
        assert.notEqual(
          patch.policy?.fromFieldPath,
          "Required",
          `required field ${patch.fromFieldPath} is unset`,
        );
        return;
      }
      setPath(composed, patch.toFieldPath, transform(value, patch.transforms));
      return;
    }
    case "CombineFromComposite": {
      const values = patch.combine.variables.map((v) => getPath(xr, v.fromFieldPath));
      if (values.some((v) => v === undefined)) return;
      setPath(composed, patch.toFieldPath, sprintf(patch.combine.string.fmt, values));
      return;
    }
    case "ToCompositeFieldPath": {
      const value = getPath(observed, patch.fromFieldPath);
      if (value === undefined) return;
      assert.match(patch.toFieldPath, /^status\./, "the composition writes only the XR's status");
      setPath({ status }, patch.toFieldPath, transform(value, patch.transforms));
      return;
    }
    case "CombineToComposite": {
      const values = patch.combine.variables.map((v) => getPath(observed, v.fromFieldPath));
      if (values.some((v) => v === undefined)) return;
      assert.match(patch.toFieldPath, /^status\./, "the composition writes only the XR's status");
      setPath({ status }, patch.toFieldPath, sprintf(patch.combine.string.fmt, values));
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Admission of XRs against the XRD schema.

export function xrdSchema(xrd: XrdObject): StructuralSchema {
  const version = xrd.spec.versions[0];
  assert.ok(version);
  return version.schema.openAPIV3Schema;
}

export function applyDefaults(schema: StructuralSchema, value: unknown): unknown {
  if (schema.type === "object" && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Json;
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (object[key] === undefined && property.default !== undefined)
        object[key] = structuredClone(property.default);
      if (object[key] !== undefined) object[key] = applyDefaults(property, object[key]);
    }
  } else if (schema.type === "array" && Array.isArray(value) && schema.items !== undefined) {
    return value.map((item) => applyDefaults(schema.items!, item));
  }
  return value;
}

async function celErrors(
  schema: StructuralSchema,
  value: unknown,
  old: unknown,
  path: string,
): Promise<string[]> {
  if (value === undefined) return [];
  const errors: string[] = [];
  const { evaluate } = await import("@marcbachmann/cel-js");
  for (const rule of schema["x-kubernetes-validations"] ?? []) {
    const transition = /\boldSelf\b/.test(rule.rule);
    if (transition && old === undefined) continue;
    const ok: unknown = evaluate(rule.rule, transition ? { self: value, oldSelf: old } : { self: value });
    if (ok !== true) errors.push(`${path}: ${rule.message}`);
  }
  if (schema.type === "object" && typeof value === "object" && value !== null) {
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      errors.push(
        ...(await celErrors(
          property,
          (value as Json)[key],
          (old as Json | undefined)?.[key],
          `${path}.${key}`,
        )),
      );
    }
  }
  if (schema.type === "array" && Array.isArray(value) && schema.items !== undefined) {
    const keys = schema["x-kubernetes-list-map-keys"];
    if (schema["x-kubernetes-list-type"] === "map" && keys !== undefined) {
      const seen = new Set<string>();
      for (const item of value as Json[]) {
        const key = JSON.stringify(keys.map((k) => item[k]));
        if (seen.has(key)) errors.push(`${path}: duplicate entries for key ${key}`);
        seen.add(key);
      }
    }
    for (const [index, item] of value.entries()) {
      errors.push(...(await celErrors(schema.items, item, undefined, `${path}[${index}]`)));
    }
  }
  return errors;
}

const ajv = new Ajv({ strict: false, allErrors: true });

/**
 * What the API server does with an XR written against `xrd`: returns the defaulted object and every
 * error (schema and CEL). `old` makes it an update, so transition rules apply.
 */
export async function admit(
  xrd: XrdObject,
  object: Json,
  old?: Json,
): Promise<{ object: Json; errors: string[] }> {
  const schema = xrdSchema(xrd);
  const admitted = structuredClone(object);
  const body = applyDefaults(schema, { spec: admitted["spec"] }) as Json;
  admitted["spec"] = body["spec"];
  const validate = ajv.compile(strictSchema(schema as unknown as Record<string, unknown>));
  const errors: string[] = [];
  if (!validate(body)) {
    errors.push(
      ...(validate.errors ?? []).map(
        (e) =>
          `${e.instancePath || "/"} ${e.message ?? "invalid"}${e.params && "additionalProperty" in e.params ? `: ${String(e.params.additionalProperty)}` : ""}`,
      ),
    );
  }
  const oldBody =
    old === undefined ? undefined : (applyDefaults(schema, { spec: structuredClone(old["spec"]) }) as Json);
  errors.push(...(await celErrors(schema, body, oldBody, "")));
  return { object: admitted, errors };
}

// ---------------------------------------------------------------------------------------------
// Built-in Kubernetes kinds.

/** Errors of a built-in object (kubernetes-models: required fields and types); [] when valid. */
export async function validateKubernetes(object: Json): Promise<string[]> {
  const apiVersion = String(object["apiVersion"]);
  const kind = String(object["kind"]);
  const module = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[kind];
  assert.ok(Model, `kubernetes-models has no ${apiVersion} ${kind}`);
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [String(error)];
  }
}

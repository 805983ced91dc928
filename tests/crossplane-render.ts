/**
 * Test-side stand-ins for what the API server and Crossplane do with the platform's XRDs and
 * Compositions, so tests can assert behaviour rather than text:
 *
 * - `admit()`: what the API server does with an XR: apply the XRD schema's defaults, validate it
 *   (structural schema through ajv, unknown fields rejected, list-map keys unique) and evaluate its CEL
 *   rules (`x-kubernetes-validations`, transition rules against the old object) with a CEL engine.
 * - `render()`: what function-patch-and-transform and function-cel-filter produce for an XR: the
 *   desired composed resources, the XR status patched from observed composed resources, readiness,
 *   and the Fatal and Warning results the function gives. It follows the function's code at the
 *   pinned tag (cited below); `npm run conformance` checks it against the real function.
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
// Patch and transform, as function-patch-and-transform v0.10.9 does it (fn.go, patches.go,
// transforms.go, ready.go, validate.go at that tag; crossplane-runtime v2.1.0 pkg/fieldpath). The
// conformance suite (conformance/, `npm run conformance`) runs the real function on the same inputs
// and fails where this model and the function differ.
//
// Go types: a function receives the XR and observed resources as protobuf Structs, and
// function-sdk-go's `AsMap()` turns every JSON number into a float64. Here a JS `number` is that
// float64 and a `bigint` is an int64 (only a `convert` transform makes one). Output goes back through
// a Struct, so int64s leave as plain numbers.

/** The name Go's `%T` gives a value of this model. */
export function goType(value: unknown): string {
  if (typeof value === "bigint") return "int64";
  if (typeof value === "number") return "float64";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Go's `%v` of a float64 (strconv 'g' with the shortest precision, exponent from 1e21 or below 1e-4). */
function goFloat(value: number): string {
  if (value !== 0 && (Math.abs(value) < 1e-4 || Math.abs(value) >= 1e21)) {
    const [mantissa, exponent] = value.toExponential().split("e") as [string, string];
    const sign = exponent.startsWith("-") ? "-" : "+";
    const digits = exponent.replace(/^[-+]/, "").padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return String(value);
}

function goValue(value: unknown): string {
  if (typeof value === "number") return goFloat(value);
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "bigint") return value.toString();
  if (value === null || value === undefined) return "<nil>";
  return JSON.stringify(value);
}

/** Go's fmt.Sprintf for the verbs %s, %d, %v and %%, with Go's error forms for a wrong type. */
export function sprintf(fmt: string, values: readonly unknown[]): string {
  let next = 0;
  const out = fmt.replace(/%([%sdv])/g, (_match, verb: string) => {
    if (verb === "%") return "%";
    if (next >= values.length) return `%!${verb}(MISSING)`;
    const value = values[next++];
    const bad = () => `%!${verb}(${goType(value)}=${goValue(value)})`;
    if (verb === "d") return typeof value === "bigint" ? value.toString() : bad();
    if (verb === "s") return typeof value === "string" ? value : bad();
    return goValue(value);
  });
  const extra = values.slice(next);
  return extra.length === 0
    ? out
    : `${out}%!(EXTRA ${extra.map((v) => `${goType(v)}=${goValue(v)}`).join(", ")})`;
}

class FunctionError extends Error {}

/** transforms.go getConversion: the pairs that exist without a format. */
function convert(value: unknown, toType: string): unknown {
  const from = goType(value).replace("float64", "float64");
  const known = ["string", "int64", "float64", "bool"];
  if (!known.includes(from)) throw new FunctionError(`invalid input type ${goType(value)}`);
  const fromType = from === "int64" ? "int64" : from;
  if (fromType === toType) return value;
  const table: Record<string, (v: never) => unknown> = {
    "string>int64": (v: string) => {
      if (!/^[-+]?\d+$/.test(v)) throw new FunctionError(`strconv.ParseInt: parsing "${v}": invalid syntax`);
      return BigInt(v);
    },
    "string>bool": (v: string) => {
      if (!["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"].includes(v)) {
        throw new FunctionError(`strconv.ParseBool: parsing "${v}": invalid syntax`);
      }
      return ["1", "t", "T", "TRUE", "true", "True"].includes(v);
    },
    "string>float64": (v: string) => {
      const n = Number(v);
      if (v.trim() === "" || Number.isNaN(n)) {
        throw new FunctionError(`strconv.ParseFloat: parsing "${v}": invalid syntax`);
      }
      return n;
    },
    "int64>string": (v: bigint) => v.toString(),
    "int64>bool": (v: bigint) => v === 1n,
    "int64>float64": (v: bigint) => Number(v),
    "bool>string": (v: boolean) => String(v),
    "bool>int64": (v: boolean) => (v ? 1n : 0n),
    "bool>float64": (v: boolean) => (v ? 1 : 0),
    "float64>string": (v: number) => goFloat(v).replace(/e\+?/, "e"),
    "float64>int64": (v: number) => BigInt(Math.trunc(v)),
    "float64>bool": (v: number) => v === 1,
  };
  const fn = table[`${fromType}>${toType}`];
  if (fn === undefined) {
    throw new FunctionError(`conversion from ${fromType} to ${toType} is not supported with format none`);
  }
  return fn(value as never);
}

function resolveTransforms(value: unknown, transforms: readonly Transform[] | undefined): unknown {
  let current = value;
  for (const [index, t] of (transforms ?? []).entries()) {
    try {
      if (t.type === "string") {
        if (t.string.type === "Format") current = sprintf(t.string.fmt, [current]);
        else {
          if (typeof current !== "string") {
            throw new FunctionError(`input is required to be a string for convert`);
          }
          current = t.string.convert === "ToUpper" ? current.toUpperCase() : current.toLowerCase();
        }
      } else if (t.type === "map") {
        if (typeof current !== "string") {
          throw new FunctionError(`type ${goType(current)} is not supported for map transform`);
        }
        if (!(current in t.map)) throw new FunctionError(`key ${current} is not found in map`);
        current = structuredClone(t.map[current]);
      } else {
        current = convert(current, t.convert.toType);
      }
    } catch (error) {
      if (!(error instanceof FunctionError)) throw error;
      throw new FunctionError(
        `transform at index ${index} returned error: ${t.type} transform could not resolve: ${error.message}`,
      );
    }
  }
  return current;
}

/** Crossplane field paths find nothing: a skipped Optional patch (crossplane-runtime IsNotFound). */
const NOT_FOUND = Symbol("not found");

function lookup(object: unknown, path: string): unknown {
  const value = getPath(object, path);
  return value === undefined ? NOT_FOUND : value;
}

/** A function result: what the real function reports to Crossplane besides desired state. */
export interface FunctionResult {
  readonly severity: "Fatal" | "Warning";
  readonly message: string;
}

export interface Rendered {
  /** Desired composed resources by composition resource name (after filters). */
  readonly resources: Record<string, Json>;
  /** Names function-cel-filter removed. */
  readonly filtered: readonly string[];
  /** The XR's status as patched from `observed`. */
  readonly status: Json;
  /** Composed resources the readiness checks report ready (only observed ones can be). */
  readonly ready: readonly string[];
  /** Fatal and warning results, in order; a Fatal result ends the pipeline. */
  readonly results: readonly FunctionResult[];
}

/** validate.go: the input checks that make the function answer "invalid Function input". */
function invalidInput(input: { readonly resources: readonly ComposedTemplateLike[] }): string | undefined {
  const transformTypes = ["map", "match", "math", "string", "convert"];
  const checkTypes = [
    "None",
    "NonEmpty",
    "MatchString",
    "MatchInteger",
    "MatchCondition",
    "MatchTrue",
    "MatchFalse",
  ];
  for (const [i, resource] of input.resources.entries()) {
    for (const [j, patch] of (resource.patches ?? []).entries()) {
      for (const [k, t] of (
        (patch as { transforms?: ReadonlyArray<{ type: string }> }).transforms ?? []
      ).entries()) {
        if (!transformTypes.includes(t.type)) {
          return `resources[${i}].patches[${j}].transforms[${k}].type: Invalid value: "${t.type}": unknown transform type`;
        }
      }
    }
    for (const [j, check] of resource.readinessChecks.entries()) {
      if (!checkTypes.includes(check.type)) {
        return `resources[${i}].readinessChecks[${j}].type: Invalid value: "${check.type}": unknown readiness check type`;
      }
    }
  }
  return undefined;
}

interface ComposedTemplateLike {
  readonly name: string;
  readonly patches?: readonly Patch[];
  readonly readinessChecks: ReadonlyArray<{ readonly type: string; readonly [key: string]: unknown }>;
}

/** ready.go RunReadinessCheck over crossplane-runtime's Paved getters. */
function readinessOf(checks: ComposedTemplateLike["readinessChecks"], object: Json): boolean {
  if (checks.length === 0) return conditionStatus(object, "Ready") === "True";
  for (const [index, check] of checks.entries()) {
    const path = typeof check["fieldPath"] === "string" ? check["fieldPath"] : "";
    const value = lookup(object, path);
    let ready: boolean;
    try {
      switch (check.type) {
        case "None":
          ready = true;
          break;
        case "NonEmpty":
          ready = value !== NOT_FOUND;
          break;
        case "MatchString":
          if (value !== NOT_FOUND && typeof value !== "string")
            throw new FunctionError(`${path}: not a string`);
          ready = value === check["matchString"];
          break;
        case "MatchInteger":
          if (value !== NOT_FOUND && typeof value !== "bigint") {
            throw new FunctionError(`${path}: not a (int64) number`);
          }
          ready = value !== NOT_FOUND && Number(value) === check["matchInteger"];
          break;
        case "MatchCondition": {
          const condition = check["matchCondition"] as { type: string; status: string };
          ready = conditionStatus(object, condition.type) === condition.status;
          break;
        }
        default:
          if (value !== NOT_FOUND && typeof value !== "boolean")
            throw new FunctionError(`${path}: not a bool`);
          ready = value !== NOT_FOUND && value === (check.type === "MatchTrue");
      }
    } catch (error) {
      if (!(error instanceof FunctionError)) throw error;
      throw new FunctionError(`cannot run readiness check at index ${index}: ${error.message}`);
    }
    if (!ready) return false;
  }
  return true;
}

/** crossplane-runtime GetCondition: a missing condition reads as Unknown. */
function conditionStatus(object: Json, type: string): string {
  const conditions = (getPath(object, "status.conditions") ?? []) as Array<{ type: string; status: string }>;
  return conditions.find((c) => c.type === type)?.status ?? "Unknown";
}

/** Struct in, Struct out: JSON numbers become float64 on the way in, int64s plain numbers on the way out. */
function throughStruct<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? Number(v) : v)),
  ) as T;
}

/**
 * Runs the pipeline for `xr` (already admitted: defaults applied). `observed` holds observed composed
 * resources by name, for readiness, ToComposite patches and CEL filters.
 */
export async function render(
  composition: CompositionObject,
  xr: Json,
  observed: Record<string, Json> = {},
): Promise<Rendered> {
  // The reconciler marks a condition on the XR before it composes (crossplane v2.3.4,
  // internal/controller/apiextensions/composite/reconciler.go, the watch circuit condition), so the
  // XR the functions observe always has a status.
  const inXr = throughStruct({ ...xr, status: { ...((xr["status"] as Json | undefined) ?? {}) } });
  const inObserved = throughStruct(observed);
  const resources: Record<string, Json> = {};
  const filtered: string[] = [];
  const status: Json = {};
  const ready: string[] = [];
  const results: FunctionResult[] = [];
  const done = (): Rendered => ({
    resources: throughStruct(resources),
    filtered,
    status: throughStruct(status),
    ready,
    results,
  });
  for (const step of composition.spec.pipeline) {
    if (step.input.kind === "Resources") {
      const invalid = invalidInput(step.input);
      if (invalid !== undefined) {
        results.push({ severity: "Fatal", message: `invalid Function input: ${invalid}` });
        return done();
      }
      for (const template of step.input.resources) {
        const desired = structuredClone(template.base) as Json;
        const seen = inObserved[template.name];
        if (seen !== undefined) {
          try {
            if (readinessOf(template.readinessChecks, seen)) ready.push(template.name);
          } catch (error) {
            if (!(error instanceof FunctionError)) throw error;
            results.push({
              severity: "Warning",
              message: `cannot check readiness of composed resource "${template.name}": ${error.message}`,
            });
          }
        }
        let skip = false;
        for (const [index, patch] of (template.patches ?? []).entries()) {
          try {
            const applied = applyPatch(patch, inXr, desired, seen, status);
            if (applied === NOT_FOUND && "policy" in patch && patch.policy?.fromFieldPath === "Required") {
              if (seen === undefined) {
                results.push({
                  severity: "Warning",
                  message: `not adding new composed resource "${template.name}" to desired state because "${patch.type}" patch at index ${index} has 'policy.fromFieldPath: Required': ${patch.fromFieldPath}: no such field`,
                });
                skip = true;
                break;
              }
            }
          } catch (error) {
            if (!(error instanceof FunctionError)) throw error;
            results.push({
              severity: "Fatal",
              message: `cannot render composed resource "${template.name}" "${patch.type}" patch at index ${index}: ${error.message}`,
            });
            return done();
          }
        }
        if (!skip) resources[template.name] = desired;
      }
    } else {
      const { evaluate } = await import("@marcbachmann/cel-js");
      for (const filter of step.input.filters) {
        // function-cel-filter reads the XR as observed when the pipeline started (the request's
        // `observed`), not the status earlier steps desired in this run.
        const keep: unknown = evaluate(filter.expression, {
          observed: { composite: { resource: inXr }, resources: inObserved },
          desired: { resources },
        });
        if (keep !== true) {
          filtered.push(filter.name);
          delete resources[filter.name];
        }
      }
    }
  }
  return done();
}

/** One patch; returns NOT_FOUND when a source field is missing (the patch is skipped). */
function applyPatch(
  patch: Patch,
  xr: Json,
  composed: Json,
  observed: Json | undefined,
  status: Json,
): unknown {
  switch (patch.type) {
    case "FromCompositeFieldPath": {
      const value = lookup(xr, patch.fromFieldPath);
      if (value === NOT_FOUND) return NOT_FOUND;
      let resolved = resolveTransforms(value, patch.transforms);
      // crossplane-runtime v2.1.0 pkg/fieldpath/merge.go: with AppendSlice, an array is appended to the
      // one already there, less the items already in it; with nothing there, it replaces.
      if (patch.policy?.toFieldPath === "ForceMergeObjectsAppendArrays") {
        const existing = lookup(composed, patch.toFieldPath);
        if (Array.isArray(existing) && Array.isArray(resolved)) {
          const before = existing as unknown[];
          const seen = before.map((item) => JSON.stringify(item));
          resolved = [
            ...before,
            ...(resolved as unknown[]).filter((item) => !seen.includes(JSON.stringify(item))),
          ];
        }
      }
      setPath(composed, patch.toFieldPath, resolved);
      return undefined;
    }
    case "CombineFromComposite": {
      const values = patch.combine.variables.map((v) => lookup(xr, v.fromFieldPath));
      if (values.includes(NOT_FOUND)) return NOT_FOUND;
      setPath(composed, patch.toFieldPath, sprintf(patch.combine.string.fmt, values));
      return undefined;
    }
    case "ToCompositeFieldPath": {
      if (observed === undefined) return NOT_FOUND;
      const value = lookup(observed, patch.fromFieldPath);
      if (value === NOT_FOUND) return NOT_FOUND;
      assert.match(patch.toFieldPath, /^status\./, "the composition writes only the XR's status");
      setPath({ status }, patch.toFieldPath, resolveTransforms(value, patch.transforms));
      return undefined;
    }
    case "CombineToComposite": {
      if (observed === undefined) return NOT_FOUND;
      const values = patch.combine.variables.map((v) => lookup(observed, v.fromFieldPath));
      if (values.includes(NOT_FOUND)) return NOT_FOUND;
      assert.match(patch.toFieldPath, /^status\./, "the composition writes only the XR's status");
      setPath({ status }, patch.toFieldPath, sprintf(patch.combine.string.fmt, values));
      return undefined;
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
    const context = transition ? { self: value, oldSelf: old } : { self: value };
    const ok: unknown = evaluate(rule.rule, context);
    if (ok !== true) {
      // The API server shows messageExpression's value when it evaluates to a string, else message.
      const shown: unknown =
        rule.messageExpression === undefined ? rule.message : evaluate(rule.messageExpression, context);
      errors.push(`${path}: ${typeof shown === "string" && shown !== "" ? shown : rule.message}`);
    }
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

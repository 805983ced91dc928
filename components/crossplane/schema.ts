/**
 * Typed builders for the OpenAPI v3 structural schemas of the platform's XRDs.
 *
 * Kubernetes (and so Crossplane) accepts a subset of OpenAPI v3 in a CRD: every node typed, objects
 * closed unless they preserve unknown fields, CEL rules in `x-kubernetes-validations`. These helpers
 * produce exactly that subset, so an XRD's schema is written once, in TypeScript, with descriptions,
 * defaults and validation rules side by side, and tests compile the same object with ajv.
 */

/** A CEL validation rule (`x-kubernetes-validations`): evaluated by the API server on every write. */
export interface CelRule {
  readonly rule: string;
  /** Shown when the rule fails (and when `messageExpression` cannot be evaluated). */
  readonly message: string;
  /** A CEL string expression the API server shows instead of `message`, with the object's values. */
  readonly messageExpression?: string;
}

/** The structural-schema subset the XRDs use. */
export interface StructuralSchema {
  readonly type: "object" | "string" | "integer" | "boolean" | "array";
  readonly description?: string;
  readonly properties?: Readonly<Record<string, StructuralSchema>>;
  readonly required?: readonly string[];
  readonly items?: StructuralSchema;
  readonly enum?: readonly (string | number)[];
  readonly default?: unknown;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly "x-kubernetes-validations"?: readonly CelRule[];
  readonly "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  readonly "x-kubernetes-list-map-keys"?: readonly string[];
}

interface Common {
  readonly description: string;
  readonly rules?: readonly CelRule[];
}

function withRules(schema: StructuralSchema, rules: readonly CelRule[] | undefined): StructuralSchema {
  return rules === undefined || rules.length === 0
    ? schema
    : { ...schema, "x-kubernetes-validations": rules };
}

export function string(
  options: Common & {
    readonly default?: string;
    readonly pattern?: string;
    readonly minLength?: number;
    readonly maxLength?: number;
  },
): StructuralSchema {
  const { rules, ...rest } = options;
  return withRules({ type: "string", ...rest }, rules);
}

export function stringEnum(
  values: readonly string[],
  options: Common & { readonly default?: string },
): StructuralSchema {
  if (options.default !== undefined && !values.includes(options.default)) {
    throw new Error(`default "${options.default}" is not one of ${values.join(", ")}`);
  }
  const { rules, ...rest } = options;
  return withRules({ type: "string", enum: values, ...rest }, rules);
}

export function integer(
  options: Common & { readonly default?: number; readonly minimum?: number; readonly maximum?: number },
): StructuralSchema {
  const { rules, ...rest } = options;
  if (rest.default !== undefined) {
    if (rest.minimum !== undefined && rest.default < rest.minimum) throw new Error("default below minimum");
    if (rest.maximum !== undefined && rest.default > rest.maximum) throw new Error("default above maximum");
  }
  return withRules({ type: "integer", ...rest }, rules);
}

export function boolean(options: Common & { readonly default?: boolean }): StructuralSchema {
  const { rules, ...rest } = options;
  return withRules({ type: "boolean", ...rest }, rules);
}

export function object(
  properties: Readonly<Record<string, StructuralSchema>>,
  options: Common & {
    readonly required?: readonly string[];
    /** `{}` lets the API server apply the defaults of the object's own fields when it is omitted. */
    readonly default?: Readonly<Record<string, unknown>>;
  },
): StructuralSchema {
  for (const key of options.required ?? []) {
    if (!(key in properties)) throw new Error(`required field "${key}" is not a property`);
  }
  const { rules, required, ...rest } = options;
  return withRules(
    {
      type: "object",
      ...rest,
      properties,
      ...(required !== undefined && required.length > 0 ? { required } : {}),
    },
    rules,
  );
}

export function array(
  items: StructuralSchema,
  options: Common & {
    readonly maxItems?: number;
    readonly minItems?: number;
    /** Items keyed by these fields: the API server rejects duplicates and merges by key. */
    readonly mapKeys?: readonly string[];
  },
): StructuralSchema {
  const { rules, mapKeys, ...rest } = options;
  if (mapKeys !== undefined) {
    for (const key of mapKeys) {
      if (!(items.required ?? []).includes(key)) throw new Error(`list map key "${key}" must be required`);
    }
  }
  return withRules(
    {
      type: "array",
      ...rest,
      items,
      ...(mapKeys !== undefined
        ? { "x-kubernetes-list-type": "map" as const, "x-kubernetes-list-map-keys": mapKeys }
        : {}),
    },
    rules,
  );
}

/** RFC 1123 label: names of Kubernetes objects a spec refers to. */
export const DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

/** Escapes a literal for use inside a regular expression (and so inside a schema `pattern`). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

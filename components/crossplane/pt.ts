/**
 * Typed Composition pipelines: the `Composition` object (`apiextensions.crossplane.io/v1`, mode
 * Pipeline), the input of function-patch-and-transform (`pt.fn.crossplane.io/v1beta1` Resources) and
 * of function-cel-filter (`cel.fn.crossplane.io/v1beta1` Filters), with small builders for the patches
 * the platform's compositions use. Field names follow the upstream schemas exactly (tests validate
 * rendered pipelines against ../shared/crds).
 */
import { XR_API_VERSION } from "./api";

/** Where a `FromCompositeFieldPath` patch may be skipped (Optional, the default) or must resolve. */
export type PatchPolicy = { readonly fromFieldPath: "Optional" | "Required" };

export type StringTransform =
  | { readonly type: "Format"; readonly fmt: string }
  | { readonly type: "Convert"; readonly convert: "ToUpper" | "ToLower" };

export type Transform =
  | { readonly type: "string"; readonly string: StringTransform }
  | { readonly type: "map"; readonly map: Readonly<Record<string, unknown>> }
  | {
      readonly type: "convert";
      readonly convert: { readonly toType: "string" | "int64" | "bool"; readonly format?: "quantity" };
    };

export interface Combine {
  readonly strategy: "string";
  readonly variables: ReadonlyArray<{ readonly fromFieldPath: string }>;
  readonly string: { readonly fmt: string };
}

export type Patch =
  | {
      readonly type: "FromCompositeFieldPath" | "ToCompositeFieldPath";
      readonly fromFieldPath: string;
      readonly toFieldPath: string;
      readonly transforms?: readonly Transform[];
      readonly policy?: PatchPolicy;
    }
  | {
      readonly type: "CombineFromComposite" | "CombineToComposite";
      readonly combine: Combine;
      readonly toFieldPath: string;
    };

export type ReadinessCheck =
  | { readonly type: "None" }
  | {
      readonly type: "MatchCondition";
      readonly matchCondition: { readonly type: string; readonly status: "True" };
    }
  | { readonly type: "MatchInteger"; readonly fieldPath: string; readonly matchInteger: number }
  | { readonly type: "MatchString"; readonly fieldPath: string; readonly matchString: string }
  | { readonly type: "NonEmpty"; readonly fieldPath: string };

/** A Kubernetes object as a composed resource's base: typed by the caller, plain data here. */
export interface ComposedBase {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/**
 * A typed object (e.g. `@pulumi/kubernetes`'s input types, which catch misspelled fields at compile
 * time) as a composed resource's base.
 */
export function asBase(object: { readonly apiVersion?: unknown; readonly kind?: unknown }): ComposedBase {
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    throw new Error("a composed resource's base needs apiVersion and kind");
  }
  return object as unknown as ComposedBase;
}

export interface ComposedTemplate {
  /** Name of the composed resource inside the composition (also what function-cel-filter matches). */
  readonly name: string;
  readonly base: ComposedBase;
  readonly patches?: readonly Patch[];
  readonly readinessChecks: readonly ReadinessCheck[];
}

export interface PatchAndTransformInput {
  readonly apiVersion: "pt.fn.crossplane.io/v1beta1";
  readonly kind: "Resources";
  readonly resources: readonly ComposedTemplate[];
}

export interface CelFilterInput {
  readonly apiVersion: "cel.fn.crossplane.io/v1beta1";
  readonly kind: "Filters";
  readonly filters: ReadonlyArray<{ readonly name: string; readonly expression: string }>;
}

export interface PipelineStep {
  readonly step: string;
  readonly functionRef: { readonly name: string };
  readonly input: PatchAndTransformInput | CelFilterInput;
}

export interface CompositionObject {
  readonly apiVersion: "apiextensions.crossplane.io/v1";
  readonly kind: "Composition";
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly compositeTypeRef: { readonly apiVersion: string; readonly kind: string };
    readonly mode: "Pipeline";
    readonly pipeline: readonly PipelineStep[];
  };
}

/** Functions the compositions call, by the name of their `pkg.crossplane.io/v1` Function object. */
export const FUNCTION_NAMES = {
  patchAndTransform: "function-patch-and-transform",
  celFilter: "function-cel-filter",
} as const;

export type FunctionName = (typeof FUNCTION_NAMES)[keyof typeof FUNCTION_NAMES];

/** The functions a composition's pipeline calls: what the Composition must wait for. */
export function functionsOf(composition: CompositionObject): FunctionName[] {
  return [...new Set(composition.spec.pipeline.map((step) => step.functionRef.name as FunctionName))];
}

export function composition(args: {
  readonly name: string;
  readonly kind: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly resources: readonly ComposedTemplate[];
  readonly filters?: CelFilterInput["filters"];
}): CompositionObject {
  const names = args.resources.map((r) => r.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`composition ${args.name}: two resources named ${duplicate}`);
  for (const filter of args.filters ?? []) {
    if (!names.includes(filter.name)) {
      throw new Error(`composition ${args.name}: filter ${filter.name} matches no composed resource`);
    }
  }
  const pipeline: PipelineStep[] = [
    {
      step: "compose",
      functionRef: { name: FUNCTION_NAMES.patchAndTransform },
      input: { apiVersion: "pt.fn.crossplane.io/v1beta1", kind: "Resources", resources: args.resources },
    },
  ];
  if (args.filters !== undefined && args.filters.length > 0) {
    pipeline.push({
      step: "filter-optional-resources",
      functionRef: { name: FUNCTION_NAMES.celFilter },
      input: { apiVersion: "cel.fn.crossplane.io/v1beta1", kind: "Filters", filters: args.filters },
    });
  }
  return {
    apiVersion: "apiextensions.crossplane.io/v1",
    kind: "Composition",
    metadata: { name: args.name, labels: args.labels },
    spec: {
      compositeTypeRef: { apiVersion: XR_API_VERSION, kind: args.kind },
      mode: "Pipeline",
      pipeline,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Patch builders.

/** Copies an XR field into the composed resource (skipped while the XR field is unset). */
export function fromXr(from: string, to: string, ...transforms: Transform[]): Patch {
  return {
    type: "FromCompositeFieldPath",
    fromFieldPath: from,
    toFieldPath: to,
    ...(transforms.length > 0 ? { transforms } : {}),
  };
}

/** Like `fromXr`, but the composition fails (the XR reports it) when the XR field is unset. */
export function requiredFromXr(from: string, to: string, ...transforms: Transform[]): Patch {
  return { ...fromXr(from, to, ...transforms), policy: { fromFieldPath: "Required" } } as Patch;
}

/** Copies an observed field of the composed resource into the XR (status). */
export function toXr(from: string, to: string, ...transforms: Transform[]): Patch {
  return {
    type: "ToCompositeFieldPath",
    fromFieldPath: from,
    toFieldPath: to,
    ...(transforms.length > 0 ? { transforms } : {}),
  };
}

/** `fmt` (Go `%s` verbs) over XR fields, into the composed resource; skipped until every field is set. */
export function combineFromXr(fmt: string, variables: readonly string[], to: string): Patch {
  assertVerbs(fmt, variables.length);
  return {
    type: "CombineFromComposite",
    combine: {
      strategy: "string",
      variables: variables.map((fromFieldPath) => ({ fromFieldPath })),
      string: { fmt },
    },
    toFieldPath: to,
  };
}

/** `fmt` over observed fields of the composed resource, into the XR. */
export function combineToXr(fmt: string, variables: readonly string[], to: string): Patch {
  assertVerbs(fmt, variables.length);
  return {
    type: "CombineToComposite",
    combine: {
      strategy: "string",
      variables: variables.map((fromFieldPath) => ({ fromFieldPath })),
      string: { fmt },
    },
    toFieldPath: to,
  };
}

export function format(fmt: string): Transform {
  assertVerbs(fmt, 1);
  return { type: "string", string: { type: "Format", fmt } };
}

export function mapValues(map: Readonly<Record<string, unknown>>): Transform {
  return { type: "map", map };
}

/** Values rendered into `fmt` strings must not carry their own verbs. */
export function literalForFormat(text: string): string {
  return text.replace(/%/g, "%%");
}

function assertVerbs(fmt: string, expected: number): void {
  const verbs = fmt.replace(/%%/g, "").match(/%[a-z]/g) ?? [];
  if (verbs.length !== expected) {
    throw new Error(`format "${fmt}" has ${verbs.length} verbs for ${expected} variables`);
  }
}

export const READY = {
  /** Plain objects without a readiness signal of their own (Services, Secrets' sources, policies). */
  none: [{ type: "None" }],
  condition: (type: string): readonly ReadinessCheck[] => [
    { type: "MatchCondition", matchCondition: { type, status: "True" } },
  ],
  /** Crossplane managed resources and ESO objects report `Ready`. */
  ready: [{ type: "MatchCondition", matchCondition: { type: "Ready", status: "True" } }],
} as const satisfies Record<
  string,
  readonly ReadinessCheck[] | ((type: string) => readonly ReadinessCheck[])
>;

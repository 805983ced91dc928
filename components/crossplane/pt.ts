/**
 * Typed Composition pipelines: the `Composition` object (`apiextensions.crossplane.io/v1`, mode
 * Pipeline), the input of function-patch-and-transform (`pt.fn.crossplane.io/v1beta1` Resources) and
 * of function-cel-filter (`cel.fn.crossplane.io/v1beta1` Filters), with small builders for the patches
 * the platform's compositions use. Field names follow the upstream schemas exactly (tests validate
 * rendered pipelines against ../shared/crds).
 */
import { XR_API_VERSION } from "./api";

/**
 * Where a `FromCompositeFieldPath` patch may be skipped (Optional, the default) or must resolve, and how
 * it writes (function-patch-and-transform v0.10.9 patches.go `toMergeOption`): `Replace` (the default),
 * or `ForceMergeObjectsAppendArrays`, which appends an array to the one already there (dropping items
 * that are already in it; crossplane-runtime v2.1.0 pkg/fieldpath/merge.go).
 */
export type PatchPolicy = {
  readonly fromFieldPath?: "Optional" | "Required";
  readonly toFieldPath?: "Replace" | "ForceMergeObjectsAppendArrays";
};

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
  // No MatchInteger: functions receive observed objects as protobuf Structs, and function-sdk-go's
  // `AsMap()` turns every JSON number into a float64, which crossplane-runtime's `GetInteger`
  // (pkg/fieldpath/paved.go at v2.1.0, what function-patch-and-transform v0.10.9 uses) refuses with
  // "<path>: not a (int64) number". `NonEmpty` on a count that is omitted at zero works on float64.
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
  for (const resource of args.resources) {
    for (const problem of templateProblems(resource)) throw new Error(`composition ${args.name}: ${problem}`);
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

/**
 * What the real function would get wrong about a template, caught when the composition is built:
 * integer verbs on numbers that arrive as float64, and Usages that would not retry a blocked deletion.
 */
export function templateProblems(template: ComposedTemplate): string[] {
  const problems: string[] = [];
  for (const patch of template.patches ?? []) {
    if (!("transforms" in patch) || patch.transforms === undefined) continue;
    let integer = false;
    for (const transform of patch.transforms) {
      if (transform.type === "convert") integer = transform.convert.toType === "int64";
      else if (transform.type === "string" && transform.string.type === "Format") {
        if (/%[-+# 0-9.]*d/.test(transform.string.fmt.replace(/%%/g, "")) && !integer) {
          problems.push(
            `${template.name}: format "${transform.string.fmt}" on ${patch.fromFieldPath} needs toInt64() first (numbers reach functions as float64)`,
          );
        }
        integer = false;
      } else integer = false;
    }
  }
  if (
    template.base.kind === "Usage" &&
    (template.base["spec"] as { replayDeletion?: boolean } | undefined)?.replayDeletion !== true
  ) {
    problems.push(
      `${template.name}: a Usage must set replayDeletion, or a deletion it blocked is never retried`,
    );
  }
  return problems;
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

/** Like `fromXr`, but appends the XR's array to the one the base (or an earlier patch) put there. */
export function appendFromXr(from: string, to: string): Patch {
  return { ...fromXr(from, to), policy: { toFieldPath: "ForceMergeObjectsAppendArrays" } } as Patch;
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
  if (fmt === "%s") throw new Error('format "%s" changes nothing: leave the transform out');
  return { type: "string", string: { type: "Format", fmt } };
}

/**
 * Converts a number to int64. Every number reaches a function as a float64 (structpb `AsMap()`), and Go's
 * `%d` of a float64 renders `%!d(float64=20)`: a `%d` format must follow this transform
 * (function-patch-and-transform v0.10.9 transforms.go: float64 → int64 truncates).
 */
export function toInt64(): Transform {
  return { type: "convert", convert: { toType: "int64" } };
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

/** A reference to the object a Usage protects or the one that uses it. */
export type UsageRef =
  | { readonly apiVersion: string; readonly kind: string; readonly resourceRef: { readonly name: string } }
  | {
      readonly apiVersion: string;
      readonly kind: string;
      readonly resourceSelector: { readonly matchControllerRef: true };
    };

/**
 * A namespaced Usage (protection.crossplane.io/v1beta1): `of` cannot be deleted while `by` exists.
 * Deleting an XR lets Kubernetes' garbage collector delete every composed object at once; Usages are
 * the only thing that orders it. `replayDeletion` makes Crossplane repeat a deletion the Usage blocked
 * once the Usage goes, instead of leaving it to the garbage collector's back-off (crossplane v2.3.4,
 * internal/controller/protection/usage/reconciler.go).
 */
export function usageBase(
  of: UsageRef,
  by: UsageRef,
  labels: Readonly<Record<string, string>>,
): ComposedBase {
  return {
    apiVersion: "protection.crossplane.io/v1beta1",
    kind: "Usage",
    metadata: { labels: { ...labels } },
    spec: { of, by, replayDeletion: true },
  };
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

/**
 * What the offline synth records for every resource registration, and how serialized Pulumi values
 * (secrets, unknowns, resource references) are turned into plain, redacted or test-friendly forms.
 */
import * as pulumi from "@pulumi/pulumi";

export interface ResourceOptionsRecord {
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
  readonly deleteBeforeReplace: boolean;
  readonly deletedWith?: string;
  readonly additionalSecretOutputs: readonly string[];
  readonly customTimeouts?: { readonly create?: string; readonly update?: string; readonly delete?: string };
}

export interface ResourceRecord {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** URN of the parent; undefined only for the stack itself. */
  readonly parent?: string;
  /** Custom resources are managed by a provider; components only group. */
  readonly custom: boolean;
  /** A component implemented by a provider (e.g. `kubernetes:helm.sh/v4:Chart`): it deploys things. */
  readonly remote?: boolean;
  /** URN of the explicit provider (`urn::id`), "" when a default provider would be used. */
  readonly provider: string;
  /** Every resource this one waits for: explicit `dependsOn` and those implied by input Outputs. */
  readonly dependencies: readonly string[];
  /** Dependencies implied by Outputs, per input property. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Dependencies not implied by any input: `dependsOn` (components expanded to their resources). */
  readonly explicitDependencies: readonly string[];
  readonly options: ResourceOptionsRecord;
  /** Inputs in Pulumi's wire form: secrets, unknowns and resource references keep their markers. */
  readonly wireInputs: Readonly<Record<string, unknown>>;
  /** Outputs registered by a component (`registerOutputs`), wire form. */
  componentOutputs?: Readonly<Record<string, unknown>>;
  /** Outputs of a custom resource as the provider (here: the mocks) returned them, wire form. */
  wireOutputs?: Readonly<Record<string, unknown>>;
}

const SIG = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;
const RESOURCE_SIG = pulumi.runtime.specialResourceSig;
const OUTPUT_SIG = pulumi.runtime.specialOutputValueSig;
const UNKNOWN = pulumi.runtime.unknownValue;

export const REDACTED = "[secret]";
export const UNKNOWN_TEXT = "[unknown]";

type Mode = "plain" | "redacted";

/** Decodes a wire value. `plain` reveals secrets (for tests); `redacted` replaces them (for files). */
export function decodeWire(value: unknown, mode: Mode): unknown {
  if (value === UNKNOWN) return UNKNOWN_TEXT;
  if (Array.isArray(value)) return value.map((item) => decodeWire(item, mode));
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  const sig = object[SIG];
  if (sig === SECRET_SIG) return mode === "redacted" ? REDACTED : decodeWire(object["value"], mode);
  if (sig === RESOURCE_SIG) return { $ref: object["urn"] };
  if (sig === OUTPUT_SIG) {
    if (object["secret"] === true && mode === "redacted") return REDACTED;
    return "value" in object ? decodeWire(object["value"], mode) : UNKNOWN_TEXT;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) out[key] = decodeWire(item, mode);
  return out;
}

/** Paths (a.b[0].c) of every secret inside a wire value. */
export function secretPaths(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretPaths(item, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  const object = value as Record<string, unknown>;
  if (object[SIG] === SECRET_SIG || (object[SIG] === OUTPUT_SIG && object["secret"] === true)) return [path];
  return Object.entries(object).flatMap(([key, item]) => secretPaths(item, path ? `${path}.${key}` : key));
}

/** Paths of every string that contains `needle` outside a secret: a leak when needle is a secret. */
export function plaintextOccurrences(value: unknown, needle: string, path = ""): string[] {
  if (typeof value === "string") return value.includes(needle) ? [path] : [];
  if (Array.isArray(value))
    return value.flatMap((item, i) => plaintextOccurrences(item, needle, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  const object = value as Record<string, unknown>;
  if (object[SIG] === SECRET_SIG) return [];
  return Object.entries(object).flatMap(([key, item]) =>
    plaintextOccurrences(item, needle, path ? `${path}.${key}` : key),
  );
}

/** True when the wire value contains an unknown anywhere (preview mode). */
export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value === null || typeof value !== "object") return false;
  return Object.values(value as Record<string, unknown>).some(containsUnknown);
}

/** The logical path of a resource below the stack: `Platform/CertManager/Release`-style names. */
export function urnTypePath(urn: string): string {
  return urn.split("::")[2] ?? "";
}

/** `type::name` without the stack: the same logical resource in two stacks has the same key. */
export function stackIndependentKey(urn: string): string {
  const parts = urn.split("::");
  const type = parts[2] ?? "";
  return type === "pulumi:pulumi:Stack" ? type : `${type}::${parts[3] ?? ""}`;
}

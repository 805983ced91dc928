/**
 * Turns the raw config the engine hands a program into a typed, validated `PlatformConfig`, or a
 * `ConfigError` whose every line names the key, what is wrong and the command that fixes it.
 *
 * Pure: it registers no resource and reads nothing but its argument, so `index.ts`, the offline synth
 * and the tests all validate the same way before anything is created.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { PROFILE_NAMES, profileFor, type EnvironmentProfile } from "./profiles";
import {
  PROJECT,
  PROJECT_FILE_KEYS,
  requiredSecrets,
  unusedSecrets,
  secretKeys,
  settingsSchema,
  type SecretKey,
  type Settings,
} from "./schema";

export interface RawStackConfig {
  /** The stack (environment) the config belongs to. */
  readonly stack: string;
  /** Every config key the engine passed (`namespace:key` → value; objects and lists as JSON text). */
  readonly values: Readonly<Record<string, string>>;
  /** The keys whose values are secrets (`secure:` in the stack file). */
  readonly secretKeys: ReadonlySet<string>;
  /** Secret keys stood in for by synth's placeholders (never set by the user; see synth/stack-files.ts). */
  readonly placeholders?: readonly string[];
}

export interface PlatformConfig {
  readonly settings: Settings;
  readonly profile: EnvironmentProfile;
  /** Secret config values, only ever as Pulumi secrets. */
  readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Output<string>>>>;
}

/** Invalid configuration. `lines` has one self-contained line per problem; no stack trace is useful. */
export class ConfigError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
  }
}

/** Namespaces of providers this program configures explicitly; their own keys would be ignored. */
const PROVIDER_NAMESPACES: Readonly<Record<string, string>> = {
  kubernetes: "idp:cluster",
  aws: "idp:aws",
  github: "idp:github",
  random: "(nothing: random needs no config)",
};

export function parseConfig(raw: RawStackConfig): PlatformConfig {
  const problems: string[] = [];
  const settingsInput: Record<string, unknown> = {};
  const secretValues: Partial<Record<SecretKey, string>> = {};

  for (const fullKey of Object.keys(raw.values).sort()) {
    const value = raw.values[fullKey] ?? "";
    const [namespace, key] = splitKey(fullKey);
    if (namespace === "pulumi") continue; // engine settings such as pulumi:disable-default-providers
    if (namespace !== PROJECT) {
      const replacement = PROVIDER_NAMESPACES[namespace];
      problems.push(
        replacement === undefined
          ? `Invalid config ${fullKey}: unknown namespace "${namespace}"; this program reads only ${PROJECT}:* keys. Fix: pulumi config rm ${fullKey}`
          : `Invalid config ${fullKey}: ignored, the ${namespace} provider is configured explicitly from ${replacement}. Fix: pulumi config rm ${fullKey}`,
      );
      continue;
    }
    const isSecret = raw.secretKeys.has(fullKey);
    if (isSecretKey(key)) {
      if (!isSecret) {
        problems.push(
          `Invalid config ${fullKey}: is a secret but is stored in plaintext. Fix: pulumi config rm ${fullKey} && pulumi config set --secret ${fullKey} <value>`,
        );
      } else if (value.length === 0) {
        problems.push(
          `Invalid config ${fullKey}: is empty. Fix: pulumi config set --secret ${fullKey} <value>`,
        );
      } else {
        secretValues[key] = value;
      }
      continue;
    }
    if (!(key in settingsSchema.shape)) {
      problems.push(
        unknownKeyLine(fullKey, key, [...Object.keys(settingsSchema.shape), ...Object.keys(secretKeys)]),
      );
      continue;
    }
    if (isSecret) {
      // Still validated below, so that this is the only line about the key when its value is fine.
      problems.push(
        `Invalid config ${fullKey}: is stored as a secret but is not secret, and would be used in plaintext. Fix: pulumi config rm ${fullKey} && pulumi config set ${fullKey} <value>`,
      );
    }
    settingsInput[key] = decode(settingsSchema.shape[key as keyof typeof settingsSchema.shape], value);
  }

  const parsed = settingsSchema.safeParse(settingsInput, { reportInput: true });
  if (!parsed.success) {
    problems.push(...parsed.error.issues.flatMap((issue) => issueLines(issue)));
  } else {
    const environments = parsed.data.github.environments;
    if (!environments.includes(raw.stack)) {
      problems.push(
        `Invalid config ${PROJECT}:github.environments: does not list this stack's environment "${raw.stack}" (${environments.join(", ")}). Fix: pulumi config set --path '${PROJECT}:github.environments[${environments.length}]' ${raw.stack}`,
      );
    }
    problems.push(...environmentSettingsProblems(parsed.data, raw.stack));
    const placeholders = new Set(raw.placeholders ?? []);
    const setByUser = Object.keys(secretValues).filter((key) => !placeholders.has(`${PROJECT}:${key}`));
    for (const { key, usedWhen } of unusedSecrets(parsed.data, setByUser)) {
      problems.push(
        `Invalid config ${PROJECT}:${key}: is set, but nothing uses it: it is read only when ${usedWhen}, which Pulumi.${raw.stack}.yaml does not say (left over from a removed part?). Fix: pulumi config rm --stack ${raw.stack} ${PROJECT}:${key}`,
      );
    }
    for (const { key, because } of requiredSecrets(parsed.data)) {
      if (
        secretValues[key] === undefined &&
        !problems.some((p) => p.startsWith(`Invalid config ${PROJECT}:${key}:`))
      ) {
        problems.push(
          `Invalid config ${PROJECT}:${key}: is required because ${because}. Fix: pulumi config set --stack ${raw.stack} --secret ${PROJECT}:${key} <value>, which stores it encrypted in Pulumi.${raw.stack}.yaml (${secretKeys[key]})`,
        );
      }
    }
  }

  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  for (const [key, value] of Object.entries(secretValues) as Array<[SecretKey, string]>) {
    secrets[key] = pulumi.secret(value);
  }
  return { settings: parsed.data, profile: profileFor(parsed.data.profile), secrets };
}

/**
 * The seeding stack renders the management repository folder of every environment, so it needs each
 * other environment's domain and profile (idp:github.environmentSettings). Stack-aware, hence here.
 */
function environmentSettingsProblems(settings: Settings, stack: string): string[] {
  const { environments, environmentSettings, manageOrganization } = settings.github;
  const key = (...path: string[]) => `${PROJECT}:github.environmentSettings.${path.join(".")}`;
  const isProfile = (env: string) => (PROFILE_NAMES as readonly string[]).includes(env);
  const profileLine = (env: string) =>
    `Invalid config ${key(env, "profile")}: is required because "${env}" is not a profile name (${PROFILE_NAMES.join(", ")}). Fix: pulumi config set --path '${key(env, "profile")}' staging`;
  const lines: string[] = [];
  for (const [env, entry] of Object.entries(environmentSettings)) {
    if (!environments.includes(env)) {
      lines.push(
        `Invalid config ${key(env)}: names an environment that is not in ${PROJECT}:github.environments (${environments.join(", ")}). Fix: pulumi config rm --path '${key(env)}'`,
      );
    } else if (env === stack) {
      lines.push(
        `Invalid config ${key(env)}: describes this stack's own environment, which ${PROJECT}:domain and ${PROJECT}:profile already describe. Fix: pulumi config rm --path '${key(env)}'`,
      );
    } else if (entry.profile === undefined && !isProfile(env)) {
      lines.push(profileLine(env));
    }
  }
  if (!manageOrganization) return lines;
  for (const env of environments) {
    if (env === stack || environmentSettings[env] !== undefined) continue;
    lines.push(
      `Invalid config ${key(env, "domain")}: is required because this stack seeds every environment's folder of the management repository (${PROJECT}:github.manageOrganization is true). Fix: pulumi config set --path '${key(env, "domain")}' ${env}.idp.example.com`,
    );
    if (!isProfile(env)) lines.push(profileLine(env));
  }
  return lines;
}

function splitKey(fullKey: string): [string, string] {
  const at = fullKey.indexOf(":");
  return at < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, at), fullKey.slice(at + 1)];
}

function isSecretKey(key: string): key is SecretKey {
  return Object.prototype.hasOwnProperty.call(secretKeys, key);
}

/** The engine passes strings; objects, lists, numbers and booleans arrive as JSON text. */
function decode(schema: z.ZodType, value: string): unknown {
  if (acceptsString(schema)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value; // let the schema report the type mismatch with the key's name
  }
}

function acceptsString(schema: z.ZodType): boolean {
  const inner = unwrap(schema);
  const type = inner.def.type;
  return type === "string" || type === "enum" || type === "literal";
}

/** Strips optional/default/nullable/pipe wrappers to reach the schema that describes the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    const def = current.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === "pipe" && def.in !== undefined) current = def.in;
    else return current;
  }
}

/** The schema node at a config path, for examples in the fix hint. */
function schemaAt(path: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
  let node: z.ZodType | undefined = settingsSchema;
  for (const segment of path) {
    if (node === undefined) return undefined;
    const inner = unwrap(node);
    if (inner instanceof z.ZodObject) node = (inner.shape as Record<string, z.ZodType>)[String(segment)];
    else if (inner instanceof z.ZodArray) node = inner.element as z.ZodType;
    else if (inner instanceof z.ZodRecord) node = inner.valueType as z.ZodType;
    else return undefined;
  }
  return node;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = PROJECT + ":";
  path.forEach((segment, index) => {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += (index === 0 ? "" : ".") + String(segment);
  });
  return out;
}

function exampleFor(path: ReadonlyArray<PropertyKey>): string {
  const node = path.length === 0 ? undefined : schemaAt(path);
  const meta = node?.meta() as { examples?: unknown[] } | undefined;
  const inner = node === undefined ? undefined : unwrap(node);
  const example =
    meta?.examples?.[0] ??
    (inner instanceof z.ZodEnum ? (inner.options as unknown[])[0] : undefined) ??
    (inner instanceof z.ZodBoolean ? true : undefined) ??
    "<value>";
  return typeof example === "string" ? example : JSON.stringify(example);
}

/**
 * The command that sets a key. `fix` is a value derived from the user's own config (a rule that spans
 * keys knows it); without one, the schema's example for the key.
 */
function setCommand(path: ReadonlyArray<PropertyKey>, fix?: string): string {
  // An object is set field by field: point at its first required field.
  const node = schemaAt(path);
  const inner = node === undefined ? undefined : unwrap(node);
  if (fix === undefined && inner instanceof z.ZodObject) {
    const shape = inner.shape as Record<string, z.ZodType>;
    const field =
      Object.keys(shape).find((k) => !shape[k]!.safeParse(undefined).success) ?? Object.keys(shape)[0];
    if (field !== undefined) return setCommand([...path, field]);
  }
  const key = formatPath(path);
  const value = fix ?? exampleFor(path);
  if (typeof path[0] === "string" && PROJECT_FILE_KEYS.includes(path[0])) {
    return `in Pulumi.yaml, set ${key} (under config: ${PROJECT}:${path[0]}: default:, shared by every stack) to ${value}`;
  }
  const flag = path.length > 1 ? " --path" : "";
  return `pulumi config set${flag} '${key}' ${shellQuote(value)}`;
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? text.slice(0, 57) + "..." : text}`;
}

function issueLines(issue: z.core.$ZodIssue): string[] {
  const key = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((unknown) => {
        const siblings = Object.keys(objectShapeAt(issue.path));
        return unknownKeyLine(formatPath([...issue.path, unknown]), unknown, siblings);
      });
    case "invalid_type": {
      if (issue.input === undefined) {
        return [`Invalid config ${key}: is required but not set. Fix: ${setCommand(issue.path)}`];
      }
      return [
        `Invalid config ${key}: expected ${issue.expected}, got ${describeValue(issue.input)}. Fix: ${setCommand(issue.path)}`,
      ];
    }
    case "invalid_value": {
      const options = issue.values.map((v) => JSON.stringify(v)).join(", ");
      return [
        `Invalid config ${key}: expected one of ${options}, got ${describeValue(issue.input)}. Fix: ${setCommand(issue.path)}`,
      ];
    }
    case "custom": {
      // `command`: a rule's own fix when setting a value is not it (removing a key, say).
      const { fix, command } = (issue.params ?? {}) as { fix?: unknown; command?: unknown };
      const how =
        typeof command === "string"
          ? command
          : setCommand(issue.path, typeof fix === "string" ? fix : undefined);
      return [`Invalid config ${key}: ${issue.message}${inputSuffix(issue.input)}. Fix: ${how}`];
    }
    case "invalid_format":
      return [
        `Invalid config ${key}: ${issue.message}${inputSuffix(issue.input)}. Fix: ${setCommand(issue.path)}`,
      ];
    default:
      return [
        `Invalid config ${key}: ${issue.message.replace(/^Invalid input: /, "")}${inputSuffix(issue.input)}. Fix: ${setCommand(issue.path)}`,
      ];
  }
}

function inputSuffix(input: unknown): string {
  return input === undefined || typeof input === "object" ? "" : ` (got ${describeValue(input)})`;
}

function objectShapeAt(path: ReadonlyArray<PropertyKey>): Record<string, unknown> {
  const node = path.length === 0 ? settingsSchema : schemaAt(path);
  const inner = node === undefined ? undefined : unwrap(node);
  return inner instanceof z.ZodObject ? inner.shape : {};
}

function unknownKeyLine(fullKey: string, key: string, known: readonly string[]): string {
  const suggestion = closest(key, known);
  const hint = suggestion === undefined ? `known keys: ${known.join(", ")}` : `did you mean "${suggestion}"?`;
  const path = fullKey.includes(".") || fullKey.includes("[") ? " --path" : "";
  return `Invalid config ${fullKey}: unknown key (${hint}). Fix: pulumi config rm${path} '${fullKey}'`;
}

/** Closest known key by edit distance, if it is close enough to be the intended one. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(word.length / 3))
    ? best.candidate
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

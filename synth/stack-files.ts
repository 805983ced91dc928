/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to a program: project defaults from
 * `Pulumi.yaml`, overridden by `Pulumi.<stack>.yaml`, every value as a string (objects as JSON).
 * `secure:` values cannot be decrypted offline; they become placeholders and are marked secret. Secrets
 * a stack file does not set yet come from `stacks/placeholders/<stack>.yaml`, which the CLI never reads.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import type { RawStackConfig } from "../stacks/config";
import { PROJECT } from "../stacks/schema";
import { SCHEMAHERO_PLUGINS } from "../components/versions";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/** The placeholder a `secure:` value becomes; it never equals a real secret. */
export function secretPlaceholder(key: string): string {
  return `synth-placeholder-for-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** Stacks that have a `Pulumi.<stack>.yaml` in the project root, sorted. */
export function listStacks(root = PROJECT_ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

function readYaml(file: string): unknown {
  try {
    return YAML.parse(fs.readFileSync(file, "utf8")) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new StackFileError(`Invalid stack file ${path.basename(file)}: not valid YAML (${reason}).`);
  }
}

function qualify(key: string): string {
  return key.includes(":") ? key : `${PROJECT}:${key}`;
}

/** Project-level defaults (`default:`) and values (`value:` / shorthand) from Pulumi.yaml. */
export function projectConfigDefaults(root = PROJECT_ROOT): Record<string, unknown> {
  const project = readYaml(path.join(root, "Pulumi.yaml")) as { config?: Record<string, unknown> } | null;
  const out: Record<string, unknown> = {};
  for (const [key, declaration] of Object.entries(project?.config ?? {})) {
    if (declaration !== null && typeof declaration === "object" && !Array.isArray(declaration)) {
      const decl = declaration as { default?: unknown; value?: unknown };
      if (decl.value !== undefined) out[qualify(key)] = decl.value;
      else if (decl.default !== undefined) out[qualify(key)] = decl.default;
    } else {
      out[qualify(key)] = declaration;
    }
  }
  return out;
}

/** Replaces `secure:` leaves with placeholders; reports whether any were found. */
function stripSecure(key: string, value: unknown): { value: unknown; secret: boolean } {
  if (Array.isArray(value)) {
    const items = value.map((item, i) => stripSecure(`${key}[${i}]`, item));
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1 && keys[0] === "secure") return { value: secretPlaceholder(key), secret: true };
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(object)) {
      const stripped = stripSecure(`${key}.${k}`, v);
      out[k] = stripped.value;
      secret ||= stripped.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

/** Where the stand-ins for a stack's unset secrets live (never read by the Pulumi CLI). */
export function placeholderFile(stack: string, root = PROJECT_ROOT): string {
  return path.join(root, "stacks", "placeholders", `${stack}.yaml`);
}

/** A stack's config as the engine would pass it, plus the keys that only a placeholder file set. */
export interface LoadedStackConfig extends RawStackConfig {
  /** Secret keys the stack file does not set, stood in for by `stacks/placeholders/<stack>.yaml`. */
  readonly placeholders: readonly string[];
}

function configBlock(file: string, label: string): Record<string, unknown> {
  const document = readYaml(file) as { config?: unknown } | null;
  const config = document?.config ?? {};
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new StackFileError(`Invalid stack file ${label}: "config" must be a map of keys to values.`);
  }
  return config as Record<string, unknown>;
}

/** Loads `Pulumi.<stack>.yaml` merged over the project defaults, in the engine's wire form. */
export function loadStackConfig(stack: string, root = PROJECT_ROOT): LoadedStackConfig {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = listStacks(root);
    throw new StackFileError(
      `Unknown stack "${stack}": there is no Pulumi.${stack}.yaml. Stacks in this project: ${known.join(", ") || "none"}.`,
    );
  }
  const config = configBlock(file, `Pulumi.${stack}.yaml`);
  const merged: Record<string, unknown> = { ...projectConfigDefaults(root) };
  const secretKeys = new Set<string>();
  const placeholders: string[] = [];
  const stand = placeholderFile(stack, root);
  if (fs.existsSync(stand)) {
    const stated = new Set(Object.keys(config).map(qualify));
    for (const [key, value] of Object.entries(configBlock(stand, path.relative(root, stand)))) {
      if (stated.has(qualify(key))) continue;
      const stripped = stripSecure(qualify(key), value);
      if (!stripped.secret) {
        throw new StackFileError(
          `Invalid placeholder file ${path.relative(root, stand)}: ${qualify(key)} is not a \`secure:\` value; it holds stand-ins for secrets only.`,
        );
      }
      merged[qualify(key)] = stripped.value;
      secretKeys.add(qualify(key));
      placeholders.push(qualify(key));
    }
  }
  for (const [key, value] of Object.entries(config)) {
    const stripped = stripSecure(qualify(key), value);
    merged[qualify(key)] = stripped.value;
    if (stripped.secret) secretKeys.add(qualify(key));
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) {
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { stack, values, secretKeys, placeholders: placeholders.sort() };
}

/**
 * Values the shipped stack files carry as examples (the organization, account, App and installation ids,
 * OAuth client ids, hosted zones, VPC, subnets and security groups of "acme"). A stack still holding one
 * previews, but its `pulumi up` would act on someone else's, or nobody's, objects: synth says so.
 */
export const SAMPLE_VALUES: readonly string[] = [
  "acme-idp",
  "acme.example",
  "123456789012",
  "210987654321",
  "1234567",
  "87654321",
  "2345678",
  "98765432",
  "Iv23liSELFSERVICE001",
  "Iv23liDELIVERY000001",
  "Ov23liARGOCDSTAGING1",
  "Ov23liARGOCDPROD0001",
  "Z04857612QWERTYUIOPAS",
  "Z09173842ASDFGHJKLZXC",
  "5C9E8F1A2B3C4D5E6F708192A3B4C5D6",
  "vpc-0a1b2c3d4e5f60718",
  "vpc-0f1e2d3c4b5a69788",
  "subnet-0a1b2c3d4e5f60711",
  "subnet-0f1e2d3c4b5a60711",
  "sg-0a1b2c3d4e5f60718",
  "sg-0f1e2d3c4b5a69788",
  "PORTCLIENTID0000000000000000DEV0",
];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** What synth warns about before a real `pulumi up`: sample values still in place, secrets not set yet. */
export function notReadyForDeploy(config: LoadedStackConfig): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(config.values).sort(([a], [b]) => a.localeCompare(b))) {
    if (config.placeholders.includes(key)) continue;
    const samples = SAMPLE_VALUES.filter((sample) =>
      new RegExp(`(^|[^0-9A-Za-z])${escape(sample)}($|[^0-9A-Za-z])`).test(value),
    );
    if (samples.length > 0) {
      lines.push(
        `${key} still holds sample data (${samples.join(", ")}): replace it with your own in Pulumi.${config.stack}.yaml or Pulumi.yaml`,
      );
    }
  }
  for (const key of config.placeholders) {
    lines.push(
      `${key} is not set; synth used a placeholder. Before pulumi preview: pulumi config set --stack ${config.stack} --secret ${key} <value>`,
    );
  }
  if (!hasKey(config.values["idp:github"], "packagesReader")) {
    lines.push(
      `idp:github.packagesReader is not set: the cluster pulls app images without credentials, so the apps' GHCR packages must be public. For private images set it in Pulumi.${config.stack}.yaml, and pulumi config set --stack ${config.stack} --secret idp:githubPackagesToken <token with read:packages> (docs/github.md, "Private images")`,
    );
  }
  if (
    !hasKey(config.values["idp:schemahero"], "pluginRegistry") &&
    config.values["idp:mirror"] === undefined
  ) {
    lines.push(
      `SchemaHero reads its Postgres plugin from ${SCHEMAHERO_PLUGINS.repository}-postgres:0, a moving tag: to pin it, copy ${SCHEMAHERO_PLUGINS.repository}-postgres:${SCHEMAHERO_PLUGINS.version} into a registry and set idp:mirror in Pulumi.${config.stack}.yaml (docs/mirrors.md)`,
    );
  }
  return lines;
}

function hasKey(json: string | undefined, key: string): boolean {
  if (json === undefined) return false;
  try {
    const parsed = JSON.parse(json) as Record<string, unknown> | null;
    return typeof parsed?.[key] === "string";
  } catch {
    return false;
  }
}

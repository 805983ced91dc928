/**
 * Helpers the guardrails share: walking resource properties (skipping values a preview cannot know),
 * reading the environment profile from the pack's config, recognising Helm releases and image references.
 *
 * The pack is self-contained: it imports nothing from the program it checks, so a bug in the program
 * cannot also switch off the check of that bug. Names it must agree with (a marker annotation) are
 * duplicated and kept equal by tests/policy.test.ts.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";

export const PROFILES = ["dev", "staging", "prod"] as const;
export type Profile = (typeof PROFILES)[number];

/**
 * Config schema of every policy that depends on the environment. Required: the engine validates it
 * before the pack runs and stops the preview or update when a stack's config leaves it out
 * (pkg/resource/analyzer/config.go), so a policy always knows its profile.
 */
export const PROFILE_CONFIG_SCHEMA: PolicyConfigSchema = {
  properties: {
    profile: {
      type: "string",
      enum: [...PROFILES],
      description:
        "Environment profile of the stack under check (its idp:profile): policy/config/<stack>.json sets it.",
    },
  },
  required: ["profile"],
};

/** What policies read from their arguments; ResourceValidationArgs and StackValidationArgs both fit. */
export interface ConfigSource {
  getConfig<T extends object>(): T;
}

/** The profile of the stack under check (required config: the engine refuses to run without it). */
export function configuredProfile(args: ConfigSource): Profile {
  const profile = args.getConfig<{ profile?: unknown }>().profile;
  if (!(PROFILES as readonly unknown[]).includes(profile)) {
    throw new Error(`policy config profile ${String(profile)} is not one of ${PROFILES.join(", ")}`);
  }
  return profile as Profile;
}

/** A property value and where it sits, e.g. `values.controller.image`. */
export interface Leaf {
  readonly path: string;
  readonly key: string;
  readonly value: unknown;
}

/**
 * Every property below `value`, depth first. A value a preview cannot know makes the SDK's proxy throw
 * `UnknownValueError` when it is read; it is not caught here: the SDK then reports "can't run policy
 * during preview" (an advisory diagnostic naming the value), so a policy that could not look at
 * everything says so instead of passing. `pulumi up` checks it again once known.
 */
export function* walk(value: unknown, path = "", skip: ReadonlySet<string> = NOTHING): Generator<Leaf> {
  if (value === null || typeof value !== "object") return;
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  for (const key of keys) {
    // Keys a policy never needs are not read at all (Object.keys reads no value).
    if (!Array.isArray(value) && skip.has(key)) continue;
    const item = (value as Record<string, unknown>)[key];
    const childPath = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    yield { path: childPath, key, value: item };
    yield* walk(item, childPath, skip);
  }
}

const NOTHING: ReadonlySet<string> = new Set();

/** A property of an object (an unknown one throws, see `walk`). */
export function read(object: unknown, key: string): unknown {
  if (object === null || typeof object !== "object") return undefined;
  return (object as Record<string, unknown>)[key];
}

/**
 * The one Helm resource the platform uses. (`helm.sh/v4:Chart` is built by the provider and reaches
 * analyzers with no properties at all: `no-cluster-built-components` refuses it.)
 */
export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

export function isHelm(type: string): boolean {
  return type === HELM_RELEASE;
}

/** The chart's own name: the last segment of `oci://registry/path/<chart>`, `<repo>/<chart>` or `<chart>`. */
export function chartName(chart: unknown): string | undefined {
  if (typeof chart !== "string" || chart === "") return undefined;
  return chart.replace(/\/+$/, "").split("/").pop();
}

/** An exact SemVer 2 version (a leading `v` allowed): no range, no wildcard, no tag like `latest`. */
export const EXACT_VERSION =
  /^v?\d+\.\d+\.\d+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/**
 * Why an image (or OCI package) reference is not pinned, or undefined when it is: it needs a tag other
 * than `latest`, or a digest.
 */
export function imageReferenceProblem(reference: string): string | undefined {
  const [name = "", digest] = reference.split("@");
  if (digest !== undefined)
    return /^sha256:[0-9a-f]{64}$/.test(digest) ? undefined : `has a malformed digest`;
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  if (colon < 0) return "has no tag (it means latest)";
  const tag = name.slice(colon + 1);
  if (tag === "") return "has an empty tag";
  if (tag === "latest") return "uses the moving tag latest";
  return undefined;
}

/**
 * Why an `image` object of Helm values (`{repository, tag, digest}`, or `{registry, repository, tag}`) is
 * not pinned, or undefined. An object without repository or tag is not an image reference (an OpenAPI
 * schema property named `image`, for instance).
 */
export function imageObjectProblem(image: object): string | undefined {
  const [tag, digest, repository] = ["tag", "digest", "repository"].map((key) => read(image, key));
  if (typeof digest === "string" && digest !== "") return undefined;
  if (tag === "latest") return "uses the moving tag latest";
  if (typeof repository === "string" && repository !== "" && (tag === undefined || tag === "")) {
    return "names a repository without a tag or digest";
  }
  return undefined;
}

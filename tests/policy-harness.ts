/**
 * Runs one policy in process, for fast unit tests of its logic: resource properties in plain form
 * (secrets revealed, as the policy SDK hands them over), values a preview cannot know behind the SDK's
 * unknown-checking proxy, the policy's config with its schema's defaults. A policy that reads an
 * unknown value is reported as the SDK reports it (@pulumi/policy 1.21.0 server.ts: "can't run policy
 * ... during preview", an advisory diagnostic), never as a pass.
 *
 * The pack as the engine runs it (started as a plugin, config validated, engine-shaped requests over
 * gRPC) is tests/policy-engine.ts; tests/policy-engine.test.ts and tests/policy-stacks.test.ts use it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as policySdk from "@pulumi/policy";
import {
  type Policy,
  type PolicyResource,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { POLICIES } from "../policy/policies";
import type { ResourceRecord } from "../synth/records";
import { PROJECT_ROOT } from "../synth/stack-files";

/** The SDK's proxy that throws UnknownValueError on reading an unknown value (typings internal). */
const unknownCheckingProxy = (
  policySdk as unknown as { unknownCheckingProxy: <T extends object>(value: T) => T }
).unknownCheckingProxy;
const UnknownValueError = (policySdk as unknown as { UnknownValueError: new (...args: never[]) => Error })
  .UnknownValueError;

/** What the SDK reports for a policy stopped by an unknown value (advisory, not a violation). */
export function cannotRun(policy: string, error: Error): string {
  return `skipped: can't run policy '${policy}' during preview: ${error.message}`;
}

const SIG = pulumi.runtime.specialSigKey;
const UNKNOWN = pulumi.runtime.unknownValue;

/** A wire value as the policy SDK deserializes it: secrets unwrapped, unknowns kept as the sentinel. */
export function policyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(policyValue);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  const sig = object[SIG];
  if (sig === pulumi.runtime.specialSecretSig) return policyValue(object["value"]);
  if (sig === pulumi.runtime.specialResourceSig) return object["urn"];
  if (sig === pulumi.runtime.specialOutputValueSig)
    return "value" in object ? policyValue(object["value"]) : UNKNOWN;
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, policyValue(item)]));
}

/** Policy config of a stack: policy/config/<stack>.json. */
export function stackPolicyConfig(stack: string): Record<string, Record<string, unknown>> {
  const file = path.join(PROJECT_ROOT, "policy", "config", `${stack}.json`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
}

/** What `getConfig()` returns to a policy: its entry of the pack config over its schema's defaults. */
function configFor(policy: Policy, config: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (typeof schema === "object" && schema.default !== undefined) defaults[key] = schema.default;
  }
  return { ...defaults, ...config[policy.name] };
}

export interface PolicyInput {
  readonly type: string;
  readonly props: Record<string, unknown>;
  readonly name?: string;
  readonly protect?: boolean;
  readonly urn?: string;
}

function options(protect: boolean): PolicyResource["opts"] {
  return {
    protect,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
}

function urnOf(input: PolicyInput): string {
  return input.urn ?? `urn:pulumi:test::idp::${input.type}::${input.name ?? "resource"}`;
}

/** Violations of a resource policy for one resource; a value unknown in preview counts as not judged. */
export function resourceViolations(
  policy: ResourceValidationPolicy,
  input: PolicyInput,
  config: Record<string, Record<string, unknown>> = {},
): string[] {
  const violations: string[] = [];
  const args = {
    type: input.type,
    props: unknownCheckingProxy(input.props),
    urn: urnOf(input),
    name: input.name ?? "resource",
    opts: options(input.protect ?? false),
    stackTags: new Map<string, string>(),
    getConfig: <T extends object>() => configFor(policy, config) as T,
    isType: () => false,
    asType: () => undefined,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  } as unknown as ResourceValidationArgs;
  const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
  for (const validate of validations) {
    try {
      void validate(args, (message) => violations.push(message));
    } catch (error) {
      if (!(error instanceof UnknownValueError)) throw error;
      violations.push(cannotRun(policy.name, error));
    }
  }
  return violations;
}

/** Violations of a stack policy over a set of resources, as `message` or `message [name]`. */
export function stackViolations(
  policy: StackValidationPolicy,
  inputs: readonly PolicyInput[],
  config: Record<string, Record<string, unknown>> = {},
): string[] {
  const violations: string[] = [];
  const resources = inputs.map((input) => ({
    type: input.type,
    props: unknownCheckingProxy(input.props),
    urn: urnOf(input),
    name: input.name ?? "resource",
    opts: options(input.protect ?? false),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const args = {
    resources,
    stackTags: new Map<string, string>(),
    getConfig: <T extends object>() => configFor(policy, config) as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  } as unknown as StackValidationArgs;
  try {
    void policy.validateStack(args, (message, urn) =>
      violations.push(urn === undefined ? message : `${message} [${byUrn.get(urn)?.name ?? urn}]`),
    );
  } catch (error) {
    if (!(error instanceof UnknownValueError)) throw error;
    violations.push(cannotRun(policy.name, error));
  }
  return violations;
}

export function isStackPolicy(policy: Policy): policy is StackValidationPolicy {
  return "validateStack" in policy;
}

/** Every violation of every policy over synthesized resources, as `policy: resource: message`. */
export function packViolations(
  records: readonly ResourceRecord[],
  config: Record<string, Record<string, unknown>>,
): string[] {
  const inputs: PolicyInput[] = records
    .filter((record) => record.custom || record.remote === true)
    .map((record) => ({
      type: record.type,
      props: policyValue(record.wireInputs) as Record<string, unknown>,
      name: record.name,
      protect: record.options.protect,
      urn: record.urn,
    }));
  const found: string[] = [];
  for (const policy of POLICIES) {
    if (isStackPolicy(policy)) {
      found.push(...stackViolations(policy, inputs, config).map((v) => `${policy.name}: ${v}`));
    } else {
      for (const input of inputs) {
        found.push(
          ...resourceViolations(policy, input, config).map((v) => `${policy.name}: ${input.name}: ${v}`),
        );
      }
    }
  }
  return found;
}

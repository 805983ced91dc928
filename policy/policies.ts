/**
 * The platform's guardrails, in one list: what `policy/index.ts` serves and what the tests run over
 * every stack. Every policy is mandatory: a violation fails `pulumi preview` and `pulumi up`.
 */
import type { Policies, StackValidationPolicy } from "@pulumi/policy";
import { iamLeastPrivilege } from "./iam";
import { configuredProfile, MISSING_PROFILE, PROFILE_CONFIG_SCHEMA } from "./lib";
import {
  managementRepositoryProtected,
  prodProtectsStateful,
  prodProtectsStatefulNamespaces,
} from "./protection";
import { runnersNotPrivileged } from "./runners";
import { noSecretsInConfigMaps, noSecretsInHelmValues } from "./secrets";
import { letsEncryptProductionOnlyInProd } from "./tls";
import { helmChartVersionPinned, imagesPinned } from "./versions";

/**
 * The environment-dependent policies take the stack's profile from the pack's config
 * (policy/config/<stack>.json). Each assumes the strict side when it is missing; this one makes the
 * omission itself fail, once.
 */
export const policyConfigPresent: StackValidationPolicy = {
  name: "policy-config-present",
  description: "The pack runs with the stack's policy config, which names its profile.",
  enforcementLevel: "mandatory",
  configSchema: PROFILE_CONFIG_SCHEMA,
  validateStack: (args, reportViolation) => {
    if (configuredProfile(args) === undefined) reportViolation(MISSING_PROFILE);
  },
};

export const POLICIES: Policies = [
  policyConfigPresent,
  helmChartVersionPinned,
  imagesPinned,
  noSecretsInHelmValues,
  noSecretsInConfigMaps,
  prodProtectsStateful,
  prodProtectsStatefulNamespaces,
  managementRepositoryProtected,
  iamLeastPrivilege,
  letsEncryptProductionOnlyInProd,
  runnersNotPrivileged,
];

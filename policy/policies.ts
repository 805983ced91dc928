/**
 * The platform's guardrails, in one list: what `policy/index.ts` serves and what the tests run over
 * every stack. Every policy is mandatory: a violation fails `pulumi preview` and `pulumi up`. The
 * environment-dependent ones read the stack's profile from the pack's config
 * (policy/config/<stack>.json), which the engine requires before it runs the pack.
 */
import type { Policies } from "@pulumi/policy";
import { noClusterBuiltComponents } from "./components";
import { iamLeastPrivilege } from "./iam";
import {
  managementRepositoryProtected,
  prodProtectsStateful,
  prodProtectsStatefulNamespaces,
} from "./protection";
import { runnersNotPrivileged } from "./runners";
import { noSecretsInConfigMaps, noSecretsInHelmValues } from "./secrets";
import { letsEncryptProductionOnlyInProd } from "./tls";
import { helmChartVersionPinned, imagesPinned } from "./versions";

export const POLICIES: Policies = [
  noClusterBuiltComponents,
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

/**
 * The idp guardrails policy pack. Run it with every preview and update:
 *
 *   pulumi preview --stack <stack> --policy-pack policy --policy-pack-config policy/config/<stack>.json
 *
 * CI does (.github/workflows/); docs/runbooks/ci.md explains the pack and its config.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("idp-guardrails", {
  description:
    "Guardrails of the idp platform: pinned versions, no secrets in Helm values or ConfigMaps, protection of stateful parts in prod, least-privilege IAM, Let's Encrypt production only in prod, no privileged CI runners by default.",
  enforcementLevel: "mandatory",
  policies: POLICIES,
});

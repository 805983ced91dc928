/**
 * Guardrail 5: only prod talks to Let's Encrypt's production ACME server. Its rate limits are per
 * registered domain and shared by every environment of the organization: a dev or staging stack
 * re-issuing certificates in a loop could lock prod out of renewals for a week. Other stacks use the
 * staging server (untrusted certificates, generous limits) or the local CA.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configuredProfile, PROFILE_CONFIG_SCHEMA, read } from "./lib";

/** Let's Encrypt's production directory host (the staging one is acme-staging-v02). */
const PRODUCTION_HOST = "acme-v02.api.letsencrypt.org";

const ISSUER = /^kubernetes:cert-manager\.io\/[^:]+:(ClusterIssuer|Issuer)$/;

/** The ACME server of a cert-manager issuer, when it is Let's Encrypt production. */
export function letsEncryptProductionServer(type: string, props: unknown): string | undefined {
  if (!ISSUER.test(type)) return undefined;
  const server = read(read(read(props, "spec"), "acme"), "server");
  if (typeof server !== "string") return undefined;
  try {
    return new URL(server).hostname === PRODUCTION_HOST ? server : undefined;
  } catch {
    return undefined;
  }
}

export const letsEncryptProductionOnlyInProd: ResourceValidationPolicy = {
  name: "letsencrypt-production-only-in-prod",
  description:
    "cert-manager issuers use Let's Encrypt's production ACME server only in the prod profile; other stacks use its staging server.",
  enforcementLevel: "mandatory",
  configSchema: PROFILE_CONFIG_SCHEMA,
  validateResource: (args, reportViolation) => {
    const server = letsEncryptProductionServer(args.type, args.props);
    if (server === undefined) return;
    const profile = configuredProfile(args);
    if (profile !== "prod") {
      reportViolation(
        `${args.name} uses Let's Encrypt production (${server}) in a ${profile} stack: only prod may; use letsencrypt-staging (idp:tls.issuer).`,
      );
    }
  },
};

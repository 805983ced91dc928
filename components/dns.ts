/**
 * `ExternalDns`: every host the stack serves gets its DNS record, from what the ingress layer routes:
 * ExternalDNS (chart external-dns, kubernetes-sigs) watching HTTPRoutes (Envoy Gateway) or Ingresses
 * (ingress-nginx), limited to the stack's domain.
 *
 * - Ownership: a TXT registry record per name with an owner id unique to the stack, so two stacks that
 *   share a zone never change each other's records.
 * - Policy: `upsert-only` where the profile keeps data (records are never deleted), `sync` elsewhere.
 * - Route53: the stack's workload identity (IRSA or Pod Identity), allowed to change and list records of
 *   the one hosted zone, plus `route53:ListHostedZones`, which AWS authorizes only on `*` and ExternalDNS
 *   calls to find its zone (kept in a separate, list-only policy).
 * - RFC2136: the TSIG secret comes from the secrets backend through an ExternalSecret, into the
 *   environment variable ExternalDNS reads for its flag (`EXTERNAL_DNS_RFC2136_TSIG_SECRET`,
 *   external-dns v0.21.0 pkg/apis/externaldns/types.go: every flag has an env var).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type * as kubernetes from "@pulumi/kubernetes";
import { workloadIdentity, type PolicyDocument } from "./aws-identity";
import type { AwsContext, IngressLayerRef, Readiness, SecretsBackend } from "./contracts";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection } from "./kube";
import type { EnvironmentProfile } from "./profile";
import { externalSecret } from "./secrets-backend";
import { CHARTS, type Mirror } from "./versions";

/** Where ExternalDNS writes records. */
export type DnsProvider =
  | {
      readonly kind: "route53";
      /** The hosted zone of the stack's domain. */
      readonly hostedZoneId: string;
    }
  | {
      readonly kind: "rfc2136";
      /** The authoritative server that accepts dynamic updates. */
      readonly host: string;
      readonly port: number;
      /** The zone updated. */
      readonly zone: string;
      readonly tsigKeyName: string;
      /** e.g. hmac-sha256. */
      readonly tsigAlgorithm: string;
      /** The TSIG key (base64); written into the secrets backend. */
      readonly tsigSecret: pulumi.Input<string>;
    };

export interface ExternalDnsArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Protected profiles never delete records (policy `upsert-only`). */
  readonly profile: EnvironmentProfile;
  /** Records are published for this domain and its subdomains only. */
  readonly domain: string;
  /** TXT owner id: unique per stack. */
  readonly ownerId: string;
  /** The ingress layer: its route kind is the source. */
  readonly ingress: Pick<IngressLayerRef, "kind">;
  readonly provider: DnsProvider;
  /** AWS account and identity; required with route53. */
  readonly aws?: AwsContext;
  readonly secrets: SecretsBackend;
  /** What must exist first (the ingress layer's CRDs). Default none. */
  readonly after?: Readiness;
}

export const EXTERNAL_DNS_DEFAULTS = {
  namespace: "external-dns",
  releaseName: "external-dns",
  serviceAccount: "external-dns",
  /** The Secret holding the RFC2136 TSIG key. */
  tsigSecret: "rfc2136-tsig",
} as const;

/**
 * The TXT owner id of a stack's records: its cluster's name, which promotion requires to differ between
 * stacks (stacks/promotion.ts), so two stacks sharing a zone never change each other's records.
 */
export function dnsOwnerId(clusterName: string): string {
  return `idp-${clusterName}`;
}

/** ExternalDNS sources per ingress layer: the kind of route the layer's services and Apps use. */
export const DNS_SOURCES = { gateway: ["gateway-httproute"], nginx: ["ingress"] } as const;

/** The record policy of a profile: where data is kept (prod), no record is ever deleted by a sync. */
export function dnsPolicy(profile: EnvironmentProfile): "upsert-only" | "sync" {
  return profile.dataDeletionPolicy === "Orphan" ? "upsert-only" : "sync";
}

/**
 * Route53 access of ExternalDNS: change and list the records of one hosted zone and read its tags
 * (external-dns v0.21.0 docs/tutorials/aws.md, "IAM Policy", scoped to the zone).
 */
export function externalDnsZonePolicy(partition: string, hostedZoneId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RecordsOfTheZone",
        Effect: "Allow",
        Action: [
          "route53:ChangeResourceRecordSets",
          "route53:ListResourceRecordSets",
          "route53:ListTagsForResources",
        ],
        Resource: [`arn:${partition}:route53:::hostedzone/${hostedZoneId}`],
      },
    ],
  };
}

/**
 * `route53:ListHostedZones` accepts no resource but `*` (AWS's service authorization reference): ExternalDNS
 * lists the zones to find the one its filters name. Read-only, and nothing else on `*`.
 */
export const LIST_HOSTED_ZONES_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Sid: "FindTheZone", Effect: "Allow", Action: ["route53:ListHostedZones"], Resource: ["*"] }],
};

export class ExternalDns extends pulumi.ComponentResource {
  public readonly release: kubernetes.helm.v3.Release;

  constructor(name: string, args: ExternalDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:dns:ExternalDns", name, {}, opts);
    const D = EXTERNAL_DNS_DEFAULTS;
    const provider = args.provider;
    // Protected like every platform namespace (deleting it would delete the release's objects with it).
    const ns = namespace(
      `${name}-ns`,
      { name: D.namespace, podSecurity: "restricted" },
      { parent: this, ...statefulProtection(args.profile) },
    );

    const dependsOn: pulumi.Resource[] = [...(args.after ?? [])];
    let serviceAccountAnnotations: pulumi.Input<Record<string, string>> = {};
    let providerValues: Record<string, unknown>;
    if (provider.kind === "route53") {
      if (args.aws === undefined)
        throw new Error(`ExternalDns ${name}: route53 needs the stack's AWS account`);
      const identity = workloadIdentity(
        `${name}-route53`,
        {
          aws: args.aws,
          namespace: D.namespace,
          serviceAccount: D.serviceAccount,
          roleName: `${args.aws.clusterName}-external-dns`,
          description: `ExternalDNS records of ${args.domain} in hosted zone ${provider.hostedZoneId}`,
          policy: externalDnsZonePolicy(args.aws.partition, provider.hostedZoneId),
        },
        { parent: this },
      );
      const listZones = new aws.iam.RolePolicy(
        `${name}-route53-list-zones`,
        {
          role: identity.role.name,
          name: `${args.aws.clusterName}-external-dns-list-zones`,
          policy: JSON.stringify(LIST_HOSTED_ZONES_POLICY),
        },
        { parent: this },
      );
      dependsOn.push(...identity.resources, listZones);
      serviceAccountAnnotations = identity.serviceAccountAnnotations;
      providerValues = {
        provider: { name: "aws" },
        env: [{ name: "AWS_DEFAULT_REGION", value: args.aws.region }],
        // Only this zone, even if the role could see others.
        extraArgs: { "zone-id-filter": provider.hostedZoneId },
      };
    } else {
      const stored = args.secrets.put(
        `${name}-tsig`,
        {
          name: "external-dns/rfc2136",
          data: { secret: provider.tsigSecret },
          description: `TSIG key ${provider.tsigKeyName} of ExternalDNS's updates to ${provider.zone} on ${provider.host}.`,
        },
        { parent: this },
      );
      dependsOn.push(
        externalSecret(
          `${name}-tsig-secret`,
          {
            name: D.tsigSecret,
            namespace: ns.metadata.name,
            store: args.secrets.store,
            data: [{ secretKey: "secret", from: stored, property: "secret" }],
          },
          { parent: this },
        ),
      );
      providerValues = {
        provider: { name: "rfc2136" },
        env: [
          {
            name: "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
            valueFrom: { secretKeyRef: { name: D.tsigSecret, key: "secret" } },
          },
        ],
        extraArgs: {
          "rfc2136-host": provider.host,
          "rfc2136-port": provider.port,
          "rfc2136-zone": provider.zone,
          "rfc2136-tsig-keyname": provider.tsigKeyName,
          "rfc2136-tsig-secret-alg": provider.tsigAlgorithm,
          "rfc2136-tsig-axfr": true,
        },
      };
    }

    this.release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.externalDns,
        mirror: args.mirror,
        releaseName: D.releaseName,
        namespace: ns.metadata.name,
        values: {
          ...providerValues,
          sources: [...DNS_SOURCES[args.ingress.kind]],
          domainFilters: [args.domain],
          registry: "txt",
          txtOwnerId: args.ownerId,
          policy: dnsPolicy(args.profile),
          serviceAccount: { create: true, name: D.serviceAccount, annotations: serviceAccountAnnotations },
          podLabels: { ...PLATFORM_LABELS },
        },
      },
      { parent: this, dependsOn },
    );
    this.registerOutputs({ release: this.release.status });
  }
}

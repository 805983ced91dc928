/**
 * cert-manager and the platform's ClusterIssuers.
 *
 * The chart installs and keeps its CRDs (`crds.enabled`, `crds.keep`). Issuers are created only once the
 * release is ready (Helm waits for the controller, the webhook and the startupapicheck job, which proves
 * the webhook answers), and each waits for its own `Ready` condition:
 *
 * - `self-signed`: a self-signed bootstrap issuer signs a local root CA; the `idp-ca` issuer signs with
 *   it (local stacks: trust the root once, every host is valid).
 * - `letsencrypt-*`: one ACME issuer per Let's Encrypt environment the profile allows. Challenges are
 *   solved with DNS-01 in Route53 (IAM role limited to the hosted zone's `_acme-challenge` TXT records)
 *   or with HTTP-01 through the ingress layer (Gateway API HTTPRoute or an Ingress of the nginx class).
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile, LetsEncryptEnvironment } from "./profile";
import { workloadIdentity, type PolicyDocument, type WorkloadIdentity } from "./aws-identity";
import type { AwsContext, Readiness } from "./contracts";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection, waitFor } from "./kube";
import { CHARTS, type Mirror } from "./versions";

export type TlsIssuer = "self-signed" | "letsencrypt-staging" | "letsencrypt-production";

/** Where HTTP-01 challenge traffic enters: the ingress layer the stack uses (see `http01RouteFor` in ingress.ts). */
export type Http01Route =
  | {
      readonly kind: "gateway";
      /** The shared Gateway and its plain-HTTP listener, which cert-manager attaches solver HTTPRoutes to. */
      readonly gatewayName: string;
      readonly gatewayNamespace: string;
      readonly httpListener: string;
    }
  | {
      readonly kind: "nginx";
      /** IngressClass of the solver Ingresses. */
      readonly ingressClassName: string;
    };

/** What a certificate consumer needs: the issuer to ask, whether it can issue `*.<domain>`, what to wait for. */
export interface TlsIssuerRef {
  readonly kind: "ClusterIssuer";
  readonly name: string;
  /** True when the issuer can sign a wildcard (the local CA, or ACME with DNS-01). */
  readonly wildcard: boolean;
  /** The cert-manager release and the issuer itself. */
  readonly ready: Readiness;
}

export interface CertManagerArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Environment profile: replicas, protection, which Let's Encrypt environments are allowed. */
  readonly profile: EnvironmentProfile;
  /** Base DNS domain: DNS-01 solvers only answer for names below it. */
  readonly domain: string;
  /** The platform's default issuer. */
  readonly issuer: TlsIssuer;
  /** Contact of the Let's Encrypt account. Required for the `letsencrypt-*` issuers. */
  readonly acmeEmail?: string;
  /** Solve ACME challenges with DNS-01 in Route53. Needs `aws`. Default: HTTP-01 through `http01`. */
  readonly dns01?: {
    readonly route53: {
      readonly hostedZoneId: string;
      /** Region of the Route53 API. Default: `aws.region`. */
      readonly region?: string;
    };
  };
  /** AWS account and identity wiring; required with `dns01`. */
  readonly aws?: AwsContext;
  /** Where HTTP-01 challenges are served. Required for ACME issuers without `dns01`. */
  readonly http01?: Http01Route;
  /**
   * Set when the stack uses Gateway API: enables cert-manager's Gateway API support (gatewayHTTPRoute
   * solvers), which needs the Gateway API CRDs installed before the controller starts.
   */
  readonly gatewayApi?: { readonly ready: Readiness };
  /** Namespace of cert-manager. Default `cert-manager`. */
  readonly namespace?: string;
}

export const CERT_MANAGER_DEFAULTS = {
  namespace: "cert-manager",
  releaseName: "cert-manager",
  serviceAccount: "cert-manager",
  selfSignedIssuer: "idp-selfsigned",
  caIssuer: "idp-ca",
  rootCaSecret: "idp-root-ca",
  // Requests sized from upstream's guidance for small and medium clusters; memory limits only, no CPU limits
  // (throttling a webhook makes the API server time out).
  resources: {
    controller: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    webhook: { requests: { cpu: "25m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    cainjector: { requests: { cpu: "25m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    startupapicheck: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
  },
} as const;

export const LETS_ENCRYPT_SERVERS: Readonly<Record<LetsEncryptEnvironment, string>> = {
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
  production: "https://acme-v02.api.letsencrypt.org/directory",
};

/** Name of the ClusterIssuer behind a config issuer choice. */
export function clusterIssuerName(issuer: TlsIssuer): string {
  return issuer === "self-signed" ? CERT_MANAGER_DEFAULTS.caIssuer : issuer;
}

/**
 * Least privilege for DNS-01 in Route53: read change status, and list/change only TXT records named
 * `_acme-challenge.*` in one hosted zone. With `hostedZoneID` set on the solver, cert-manager never
 * needs `route53:ListHostedZonesByName` (which only accepts `*`).
 */
export function route53Policy(partition: string, hostedZoneId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ChangeStatus",
        Effect: "Allow",
        Action: ["route53:GetChange"],
        Resource: [`arn:${partition}:route53:::change/*`],
      },
      {
        Sid: "AcmeChallengeRecords",
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
        Resource: [`arn:${partition}:route53:::hostedzone/${hostedZoneId}`],
        Condition: {
          "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
          "ForAllValues:StringLike": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"],
          },
        },
      },
    ],
  };
}

/** Misuse of the component (config validation reports the same problems earlier, with the key to fix). */
export function certManagerArgsProblems(args: CertManagerArgs): string[] {
  const problems: string[] = [];
  if (args.issuer !== "self-signed") {
    const environment: LetsEncryptEnvironment =
      args.issuer === "letsencrypt-production" ? "production" : "staging";
    if (!args.profile.allowedLetsEncrypt.includes(environment)) {
      problems.push(`${args.issuer} is not allowed in the ${args.profile.name} profile`);
    }
    if (args.acmeEmail === undefined) problems.push(`${args.issuer} needs acmeEmail`);
    if (args.dns01 === undefined && args.http01 === undefined) {
      problems.push(`${args.issuer} needs dns01 or an http01 route through the ingress layer`);
    }
  } else if (args.dns01 !== undefined) {
    problems.push("dns01 applies to Let's Encrypt issuers only");
  }
  if (args.dns01 !== undefined && args.aws === undefined) problems.push("dns01 in Route53 needs aws");
  if (args.http01?.kind === "gateway" && args.gatewayApi === undefined) {
    problems.push("an http01 route through a Gateway needs gatewayApi (the Gateway API CRDs)");
  }
  return problems;
}

export class CertManager extends pulumi.ComponentResource {
  /** Name of the platform's default ClusterIssuer. */
  public readonly clusterIssuer: string;
  /** The default issuer, for certificates (the shared Gateway's) and ingress-shim. */
  public readonly issuerRef: TlsIssuerRef;
  /** Every ClusterIssuer, by name. */
  public readonly issuers: Readonly<Record<string, kubernetes.apiextensions.CustomResource>>;
  /** The cert-manager release: custom resources of cert-manager depend on it. */
  public readonly release: kubernetes.helm.v3.Release;
  /** The local root CA's Secret (self-signed stacks): what developers add to their trust store. */
  public readonly rootCa?: { readonly namespace: string; readonly secretName: string };
  /** cert-manager's IAM role for Route53 (DNS-01 stacks). */
  public readonly route53Identity?: WorkloadIdentity;
  public readonly ready: Readiness;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:certmanager:CertManager", name, {}, opts);
    const problems = certManagerArgsProblems(args);
    if (problems.length > 0) throw new Error(`CertManager ${name}: ${problems.join("; ")}`);

    const ns = args.namespace ?? CERT_MANAGER_DEFAULTS.namespace;
    const { profile } = args;
    const protection = statefulProtection(profile);
    const replicas = profile.controllerReplicas;
    const highlyAvailable = replicas > 1;
    const disruptionBudget = highlyAvailable ? { enabled: true, minAvailable: 1 } : { enabled: false };

    const namespaceResource = namespace(
      `${name}-namespace`,
      { name: ns, podSecurity: "restricted" },
      { parent: this, ...protection },
    );

    const route53 = args.dns01?.route53;
    if (route53 !== undefined && args.aws !== undefined) {
      this.route53Identity = workloadIdentity(
        `${name}-route53`,
        {
          aws: args.aws,
          namespace: ns,
          serviceAccount: CERT_MANAGER_DEFAULTS.serviceAccount,
          roleName: `${args.aws.clusterName}-cert-manager`,
          description: `cert-manager DNS-01 challenges in hosted zone ${route53.hostedZoneId}`,
          policy: route53Policy(args.aws.partition, route53.hostedZoneId),
        },
        { parent: this },
      );
    }
    const irsa = args.aws?.identity === "irsa" && this.route53Identity !== undefined;

    const { resources } = CERT_MANAGER_DEFAULTS;
    this.release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.certManager,
        mirror: args.mirror,
        releaseName: CERT_MANAGER_DEFAULTS.releaseName,
        namespace: namespaceResource.metadata.name,
        values: {
          // CRDs come with the chart and stay when the release is uninstalled: deleting them would delete
          // every Certificate and Issuer in the cluster.
          crds: { enabled: true, keep: true },
          replicaCount: replicas,
          podDisruptionBudget: disruptionBudget,
          resources: resources.controller,
          serviceAccount: {
            name: CERT_MANAGER_DEFAULTS.serviceAccount,
            annotations: this.route53Identity?.serviceAccountAnnotations ?? {},
          },
          // IRSA's projected token is readable by the token's group only.
          ...(irsa
            ? {
                securityContext: {
                  runAsNonRoot: true,
                  seccompProfile: { type: "RuntimeDefault" },
                  fsGroup: 1001,
                },
              }
            : {}),
          ...(args.gatewayApi !== undefined ? { extraArgs: ["--enable-gateway-api"] } : {}),
          networkPolicy: { enabled: true },
          webhook: {
            replicaCount: replicas,
            podDisruptionBudget: disruptionBudget,
            resources: resources.webhook,
            networkPolicy: { enabled: true },
          },
          cainjector: {
            replicaCount: replicas,
            podDisruptionBudget: disruptionBudget,
            resources: resources.cainjector,
            networkPolicy: { enabled: true },
          },
          startupapicheck: { enabled: true, resources: resources.startupapicheck },
        },
      },
      {
        parent: this,
        ...protection,
        dependsOn: [...(this.route53Identity?.resources ?? []), ...(args.gatewayApi?.ready ?? [])],
      },
    );

    const issuers: Record<string, kubernetes.apiextensions.CustomResource> = {};
    const clusterIssuer = (
      resourceName: string,
      issuerName: string,
      spec: Record<string, unknown>,
      dependsOn: pulumi.Resource[] = [],
    ) => {
      const issuer = new kubernetes.apiextensions.CustomResource(
        resourceName,
        {
          apiVersion: "cert-manager.io/v1",
          kind: "ClusterIssuer",
          metadata: {
            name: issuerName,
            labels: { ...PLATFORM_LABELS },
            annotations: waitFor("condition=Ready"),
          },
          spec,
        },
        { parent: this, dependsOn: [this.release, ...dependsOn] },
      );
      issuers[issuerName] = issuer;
      return issuer;
    };

    if (args.issuer === "self-signed") {
      const { selfSignedIssuer, caIssuer, rootCaSecret } = CERT_MANAGER_DEFAULTS;
      const bootstrap = clusterIssuer(`${name}-selfsigned`, selfSignedIssuer, { selfSigned: {} });
      const rootCa = new kubernetes.apiextensions.CustomResource(
        `${name}-root-ca`,
        {
          apiVersion: "cert-manager.io/v1",
          kind: "Certificate",
          metadata: {
            name: rootCaSecret,
            namespace: ns,
            labels: { ...PLATFORM_LABELS },
            annotations: waitFor("condition=Ready"),
          },
          spec: {
            isCA: true,
            commonName: "idp root CA",
            subject: { organizations: ["idp"], organizationalUnits: [args.domain] },
            secretName: rootCaSecret,
            duration: "87600h",
            renewBefore: "720h",
            privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" },
            // Developers trust this root: it may vouch only for names below the platform domain, so its
            // key cannot mint a certificate a trusting browser would accept for any other site. The
            // NameConstraints feature is on by default since cert-manager v1.17 (beta), in the webhook
            // and the controller (internal/controller/feature/features.go at v1.21.1); the SelfSigned
            // issuer writes it into the root (pkg/util/pki/certificatetemplate.go).
            nameConstraints: { critical: true, permitted: { dnsDomains: [args.domain] } },
            issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: selfSignedIssuer },
          },
        },
        // The root is what developers trust: replacing it invalidates every local trust store.
        { parent: this, dependsOn: [bootstrap], ...protection },
      );
      clusterIssuer(`${name}-ca`, caIssuer, { ca: { secretName: rootCaSecret } }, [rootCa]);
      this.rootCa = { namespace: ns, secretName: rootCaSecret };
    } else {
      for (const environment of profile.allowedLetsEncrypt) {
        const issuerName = `letsencrypt-${environment}`;
        clusterIssuer(`${name}-${issuerName}`, issuerName, {
          acme: {
            server: LETS_ENCRYPT_SERVERS[environment],
            email: args.acmeEmail,
            privateKeySecretRef: { name: `${issuerName}-account-key` },
            solvers: [acmeSolver(args)],
          },
        });
      }
    }

    this.issuers = issuers;
    this.clusterIssuer = clusterIssuerName(args.issuer);
    const defaultIssuer = issuers[this.clusterIssuer];
    if (defaultIssuer === undefined)
      throw new Error(`CertManager ${name}: no ClusterIssuer ${this.clusterIssuer}`);
    this.ready = [this.release, defaultIssuer];
    this.issuerRef = {
      kind: "ClusterIssuer",
      name: this.clusterIssuer,
      wildcard: args.issuer === "self-signed" || args.dns01 !== undefined,
      ready: this.ready,
    };

    this.registerOutputs({ clusterIssuer: this.clusterIssuer, issuers: Object.keys(issuers) });
  }
}

/** The ACME solver: DNS-01 in Route53 when configured, else HTTP-01 through the ingress layer. */
function acmeSolver(args: CertManagerArgs): Record<string, unknown> {
  const route53 = args.dns01?.route53;
  if (route53 !== undefined) {
    return {
      selector: { dnsZones: [args.domain] },
      dns01: { route53: { region: route53.region ?? args.aws?.region, hostedZoneID: route53.hostedZoneId } },
    };
  }
  const route = args.http01!;
  if (route.kind === "gateway") {
    return {
      http01: {
        gatewayHTTPRoute: {
          parentRefs: [
            {
              group: "gateway.networking.k8s.io",
              kind: "Gateway",
              name: route.gatewayName,
              namespace: route.gatewayNamespace,
              sectionName: route.httpListener,
            },
          ],
        },
      },
    };
  }
  return { http01: { ingress: { ingressClassName: route.ingressClassName } } };
}

/**
 * cert-manager: the pinned chart and the values that matter, the ClusterIssuers of each profile and
 * challenge method, Route53 IAM scope, readiness paths to the operator, protection per profile, and
 * every issuer and certificate against the upstream schemas.
 */
import * as assert from "node:assert/strict";
import {
  CERT_MANAGER_DEFAULTS,
  certManagerArgsProblems,
  clusterIssuerName,
  route53Policy,
  type CertManagerArgs,
} from "../components/cert-manager";
import { http01RouteFor } from "../components/ingress";
import { CHARTS } from "../components/versions";
import { PROFILES } from "../stacks/profiles";
import { chartValuesValidator } from "./chart-schema";
import { crdValidator } from "./crd-schema";
import { configProblems, editedConfig, synthStack, type StackConfigObject, type Synth } from "./harness";
import { modelErrors } from "./kubernetes-models";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CLUSTER_ISSUER = "kubernetes:cert-manager.io/v1:ClusterIssuer";
const CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate";

function tls(config: StackConfigObject): Record<string, unknown> {
  return config.values["idp:tls"] as Record<string, unknown>;
}

interface Values {
  [key: string]: unknown;
}

function releaseValues(synth: Synth): Values {
  return synth.inputs(synth.one(RELEASE, "idp-cert-manager-release"))["values"] as Values;
}

function issuerSpecs(synth: Synth): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    synth.ofType(CLUSTER_ISSUER).map((record) => {
      const object = synth.inputs<{ metadata: { name: string }; spec: Record<string, unknown> }>(record);
      return [object.metadata.name, object.spec];
    }),
  );
}

describe("cert-manager", () => {
  let dev: Synth;
  let staging: Synth;
  let prod: Synth;
  /** The fixture staging: ingress-nginx, HTTP-01 through its class, Pod Identity. */
  let nginxHttp01: Synth;
  /** The fixture staging with DNS-01 in a Route53 zone instead. */
  let stagingDns01: Synth;

  before(async () => {
    dev = await synthStack("dev");
    staging = await synthStack("staging");
    prod = await synthStack("prod");
    nginxHttp01 = staging;
    stagingDns01 = await synthStack("staging", {
      config: editedConfig("staging", (c) => {
        tls(c)["dns01"] = { route53: { hostedZoneId: "Z0FIXTURESTAGING0000" } };
      }),
    });
  });

  it("installs the pinned chart from its OCI registry, CRDs included and kept", () => {
    const release = dev.inputs(dev.one(RELEASE, "idp-cert-manager-release"));
    assert.equal(release["chart"], "oci://quay.io/jetstack/charts/cert-manager");
    assert.equal(release["version"], CHARTS.certManager.version);
    assert.equal(release["namespace"], "cert-manager");
    assert.deepEqual(releaseValues(dev)["crds"], { enabled: true, keep: true });
  });

  it("sizes and spreads the controllers by profile (dev: one replica, no disruption budget)", () => {
    const { resources } = CERT_MANAGER_DEFAULTS;
    assert.deepEqual(releaseValues(dev), {
      crds: { enabled: true, keep: true },
      replicaCount: 1,
      podDisruptionBudget: { enabled: false },
      resources: resources.controller,
      serviceAccount: { name: "cert-manager", annotations: {} },
      extraArgs: ["--enable-gateway-api"],
      networkPolicy: { enabled: true },
      webhook: {
        replicaCount: 1,
        podDisruptionBudget: { enabled: false },
        resources: resources.webhook,
        networkPolicy: { enabled: true },
      },
      cainjector: {
        replicaCount: 1,
        podDisruptionBudget: { enabled: false },
        resources: resources.cainjector,
        networkPolicy: { enabled: true },
      },
      startupapicheck: { enabled: true, resources: resources.startupapicheck },
    });
  });

  it("runs prod highly available, with the IRSA role on the service account", () => {
    const values = releaseValues(prod);
    const budget = { enabled: true, minAvailable: 1 };
    assert.equal(values["replicaCount"], 3);
    assert.deepEqual(values["podDisruptionBudget"], budget);
    for (const part of ["webhook", "cainjector"]) {
      const partValues = values[part] as Values;
      assert.equal(partValues["replicaCount"], 3);
      assert.deepEqual(partValues["podDisruptionBudget"], budget);
    }
    assert.deepEqual(values["serviceAccount"], {
      name: "cert-manager",
      annotations: {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::444455556666:role/fixture-prod-cert-manager",
      },
    });
    assert.deepEqual(values["securityContext"], {
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      fsGroup: 1001,
    });
    // Pod Identity (staging) needs neither the annotation nor the fsGroup.
    const stagingValues = releaseValues(staging);
    assert.deepEqual(stagingValues["serviceAccount"], { name: "cert-manager", annotations: {} });
    assert.equal(stagingValues["securityContext"], undefined);
    assert.equal(stagingValues["replicaCount"], 2);
  });

  it("enables Gateway API support only with the gateway layer, after Envoy Gateway installed the CRDs", () => {
    const envoy = dev.one(RELEASE, "idp-envoy-gateway-release");
    assert.ok(dev.dependsOn(dev.one(RELEASE, "idp-cert-manager-release"), envoy));
    assert.equal(releaseValues(nginxHttp01)["extraArgs"], undefined);
  });

  it("passes the chart's values schema", function () {
    const validate = chartValuesValidator("cert-manager", CHARTS.certManager.version);
    if (!validate) {
      console.log("      (skipped: ../shared/chart-schemas is not beside this clone)");
      this.skip();
    }
    for (const synth of [dev, staging, prod, nginxHttp01])
      assert.deepEqual(validate(releaseValues(synth)), []);
  });

  it("gives local stacks a self-signed root CA and a CA issuer (the default)", () => {
    assert.deepEqual(issuerSpecs(dev), {
      "idp-selfsigned": { selfSigned: {} },
      "idp-ca": { ca: { secretName: "idp-root-ca" } },
    });
    const rootCa = dev.inputs<{ metadata: Record<string, unknown>; spec: Record<string, unknown> }>(
      dev.one(CERTIFICATE, "idp-cert-manager-root-ca"),
    );
    assert.deepEqual(rootCa.spec, {
      isCA: true,
      commonName: "idp root CA",
      subject: { organizations: ["idp"], organizationalUnits: ["dev.fixture.example.test"] },
      secretName: "idp-root-ca",
      duration: "87600h",
      renewBefore: "720h",
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" },
      // The root developers trust vouches for names below the stack's domain only.
      nameConstraints: { critical: true, permitted: { dnsDomains: ["dev.fixture.example.test"] } },
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "idp-selfsigned" },
    });
    assert.equal(rootCa.metadata["namespace"], "cert-manager");
    // So every certificate the CA issuer signs names hosts below the domain (others would not verify).
    const issued = dev
      .kind("Certificate")
      .map((r) => dev.inputs<{ spec: { issuerRef: { name: string }; dnsNames?: string[] } }>(r).spec)
      .filter((spec) => spec.issuerRef.name === "idp-ca");
    assert.ok(issued.length > 0);
    for (const spec of issued) {
      for (const host of spec.dnsNames ?? []) assert.match(host, /(^|\.)dev\.fixture\.example\.test$/);
    }
    assert.equal(dev.result.stackOutputs["clusterIssuer"], "idp-ca");
  });

  it("gives staging Let's Encrypt staging only, solved with HTTP-01, or with DNS-01 in its hosted zone", () => {
    assert.deepEqual(issuerSpecs(staging), {
      "letsencrypt-staging": {
        acme: {
          server: "https://acme-staging-v02.api.letsencrypt.org/directory",
          email: "platform@fixture.example.test",
          privateKeySecretRef: { name: "letsencrypt-staging-account-key" },
          solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
        },
      },
    });
    assert.deepEqual(issuerSpecs(stagingDns01), {
      "letsencrypt-staging": {
        acme: {
          server: "https://acme-staging-v02.api.letsencrypt.org/directory",
          email: "platform@fixture.example.test",
          privateKeySecretRef: { name: "letsencrypt-staging-account-key" },
          solvers: [
            {
              selector: { dnsZones: ["staging.fixture.example.test"] },
              dns01: { route53: { region: "us-east-2", hostedZoneID: "Z0FIXTURESTAGING0000" } },
            },
          ],
        },
      },
    });
    assert.equal(staging.result.stackOutputs["clusterIssuer"], "letsencrypt-staging");
  });

  it("gives prod both Let's Encrypt environments, production by default", () => {
    const specs = issuerSpecs(prod);
    assert.deepEqual(Object.keys(specs).sort(), ["letsencrypt-production", "letsencrypt-staging"]);
    const acme = specs["letsencrypt-production"]!["acme"] as Record<string, unknown>;
    assert.equal(acme["server"], "https://acme-v02.api.letsencrypt.org/directory");
    assert.deepEqual(acme["privateKeySecretRef"], { name: "letsencrypt-production-account-key" });
    assert.equal(prod.result.stackOutputs["clusterIssuer"], "letsencrypt-production");
    assert.equal(clusterIssuerName("letsencrypt-production"), "letsencrypt-production");
  });

  it("solves HTTP-01 through the nginx class, and refuses it on the Gateway, whose certificate could not cover new hosts", () => {
    const nginxSolver = (issuerSpecs(nginxHttp01)["letsencrypt-staging"]!["acme"] as { solvers: unknown[] })
      .solvers;
    assert.deepEqual(nginxSolver, [{ http01: { ingress: { ingressClassName: "nginx" } } }]);
    // No DNS-01, no Route53 role.
    assert.equal(
      nginxHttp01.ofType("aws:iam/role:Role").filter((r) => r.name.includes("cert-manager")).length,
      0,
    );
    assert.deepEqual(
      configProblems("prod", (c) => {
        delete tls(c)["dns01"];
        delete c.values["idp:dns"];
      }),
      [
        "Invalid config idp:tls.dns01: is required with idp:ingress.controller gateway and idp:tls.issuer letsencrypt-production: with HTTP-01 the Gateway's certificate names only the hosts known at pulumi up, so an app created through self-service would get none. Set idp:tls.dns01 (a wildcard certificate), or use idp:ingress.controller nginx (a certificate per Ingress). Fix: pulumi config set --path 'idp:tls.dns01.route53.hostedZoneId' Z0123456789ABCDEFGHIJ",
      ],
    );
  });

  it("limits the Route53 role to the hosted zone's _acme-challenge TXT records", () => {
    assert.deepEqual(route53Policy("aws", "Z0FIXTURE00000000000"), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ChangeStatus",
          Effect: "Allow",
          Action: ["route53:GetChange"],
          Resource: ["arn:aws:route53:::change/*"],
        },
        {
          Sid: "AcmeChallengeRecords",
          Effect: "Allow",
          Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
          Resource: ["arn:aws:route53:::hostedzone/Z0FIXTURE00000000000"],
          Condition: {
            "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
            "ForAllValues:StringLike": {
              "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"],
            },
          },
        },
      ],
    });
    const policy = prod.one("aws:iam/rolePolicy:RolePolicy", "idp-cert-manager-route53-policy");
    assert.deepEqual(
      JSON.parse(prod.inputs(policy)["policy"] as string),
      route53Policy("aws", "Z0FIXTURE00000000000"),
    );
    const role = prod.inputs(prod.one("aws:iam/role:Role", "idp-cert-manager-route53"));
    assert.equal(role["name"], "fixture-prod-cert-manager");
    const trust = JSON.parse(role["assumeRolePolicy"] as string) as {
      Statement: Array<{ Condition: unknown }>;
    };
    assert.deepEqual(trust.Statement[0]!.Condition, {
      StringEquals: {
        "oidc.eks.us-east-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9:sub":
          "system:serviceaccount:cert-manager:cert-manager",
        "oidc.eks.us-east-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9:aud": "sts.amazonaws.com",
      },
    });
    // staging: EKS Pod Identity binds the role to the same service account.
    const association = stagingDns01.inputs(
      stagingDns01.one(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "idp-cert-manager-route53-association",
      ),
    );
    assert.deepEqual(
      [association["namespace"], association["serviceAccount"], association["clusterName"]],
      ["cert-manager", "cert-manager", "fixture-staging"],
    );
    // The release starts only once the role can be assumed.
    assert.ok(
      prod.dependsOn(
        prod.one(RELEASE, "idp-cert-manager-release"),
        prod.byName("idp-cert-manager-route53-policy"),
      ),
    );
  });

  it("makes every issuer and certificate wait for the operator, and the CA issuer for its root", () => {
    for (const synth of [dev, staging, stagingDns01, prod]) {
      const release = synth.one(RELEASE, "idp-cert-manager-release");
      for (const record of [...synth.ofType(CLUSTER_ISSUER), ...synth.ofType(CERTIFICATE)]) {
        assert.ok(synth.dependsOn(record, release), `${record.name} waits for the cert-manager release`);
      }
      for (const record of synth.ofType(CLUSTER_ISSUER)) {
        const metadata = synth.inputs(record)["metadata"] as { annotations: Record<string, string> };
        assert.equal(metadata.annotations["pulumi.com/waitFor"], "condition=Ready", record.name);
      }
    }
    assert.ok(
      dev.dependsOn(
        dev.one(CLUSTER_ISSUER, "idp-cert-manager-ca"),
        dev.one(CERTIFICATE, "idp-cert-manager-root-ca"),
      ),
    );
    assert.ok(
      dev.dependsOn(
        dev.one(CERTIFICATE, "idp-cert-manager-root-ca"),
        dev.one(CLUSTER_ISSUER, "idp-cert-manager-selfsigned"),
      ),
    );
  });

  it("protects and retains the namespace, the release and the root CA as the profile says", () => {
    const names = ["idp-cert-manager-namespace", "idp-cert-manager-release"];
    for (const [synth, expected] of [
      [dev, false],
      [staging, true],
      [prod, true],
    ] as const) {
      for (const name of names) {
        const record = synth.byName(name);
        assert.deepEqual([record.options.protect, record.options.retainOnDelete], [expected, expected], name);
      }
    }
    const rootCa = dev.byName("idp-cert-manager-root-ca");
    assert.deepEqual([rootCa.options.protect, rootCa.options.retainOnDelete], [false, false]);
    const namespace = dev.inputs<{ metadata: { labels: Record<string, string> } }>(
      dev.byName("idp-cert-manager-namespace"),
    );
    assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  it("creates only objects the upstream schemas accept", async function () {
    const validator = crdValidator();
    for (const synth of [dev, staging, stagingDns01, prod]) {
      for (const record of [...synth.ofType(CLUSTER_ISSUER), ...synth.ofType(CERTIFICATE)]) {
        const object = synth.inputs(record);
        assert.deepEqual(await modelErrors(object), [], `${record.name} (@kubernetes-models/cert-manager)`);
        if (validator) assert.deepEqual(validator.validate(object), [], `${record.name} (../shared/crds)`);
      }
    }
    if (!validator) this.skip(); // ../shared is absent: validated against @kubernetes-models only
  });

  it("refuses inconsistent arguments when used directly", () => {
    const base: CertManagerArgs = {
      profile: PROFILES.staging,
      domain: "x.example.com",
      issuer: "self-signed",
    };
    assert.deepEqual(certManagerArgsProblems(base), []);
    assert.deepEqual(certManagerArgsProblems({ ...base, issuer: "letsencrypt-production" }), [
      "letsencrypt-production is not allowed in the staging profile",
      "letsencrypt-production needs acmeEmail",
      "letsencrypt-production needs dns01 or an http01 route through the ingress layer",
    ]);
    assert.deepEqual(
      certManagerArgsProblems({
        ...base,
        dns01: { route53: { hostedZoneId: "Z1" } },
        http01: http01RouteFor("gateway"),
      }),
      [
        "dns01 applies to Let's Encrypt issuers only",
        "dns01 in Route53 needs aws",
        "an http01 route through a Gateway needs gatewayApi (the Gateway API CRDs)",
      ],
    );
  });
});

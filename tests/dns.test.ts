/**
 * Every host resolves and has a certificate: ExternalDNS per ingress layer and provider, and an App with
 * a host nobody configured, composed on each ingress layer, shown with the certificate that serves it.
 */
import * as assert from "node:assert/strict";
import {
  DNS_SOURCES,
  dnsOwnerId,
  dnsPolicy,
  externalDnsZonePolicy,
  LIST_HOSTED_ZONES_POLICY,
} from "../components/dns";
import { appResource } from "../components/crossplane/api";
import { ACME_SOLVER } from "../components/ingress";
import { PROFILES } from "../stacks/profiles";
import { admit, render } from "./crossplane-render";
import type { XrdObject } from "../components/crossplane/xrds";
import type { CompositionObject } from "../components/crossplane/pt";
import { configProblems, editedConfig, synthStack, type Synth } from "./harness";

type Json = Record<string, unknown>;
const RELEASE = "kubernetes:helm.sh/v3:Release";

function externalDnsValues(synth: Synth): Json {
  return synth.inputs(synth.one(RELEASE, "idp-external-dns-release"))["values"] as Json;
}

/** The App with a host nobody configured, composed by the stack's own XRD and Composition. */
async function composeNewApp(synth: Synth): Promise<Record<string, Json>> {
  const byKind = (type: string): Array<Json & { spec: Json }> =>
    synth.ofType(type).map((r) => synth.inputs<Json & { spec: Json }>(r));
  const xrd = byKind("kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition").find(
    (x) => (x.spec["names"] as { kind: string }).kind === "App",
  )!;
  const composition = byKind("kubernetes:apiextensions.crossplane.io/v1:Composition").find(
    (c) => (c.spec["compositeTypeRef"] as { kind: string }).kind === "App",
  )!;
  const xr = appResource({
    name: "brand-new",
    namespace: "team-orders",
    image: "ghcr.io/fixture-org/brand-new:1.0.0",
    host: "unused",
  });
  // No spec.host: the composition's default host, <name>.<domain>.
  delete (xr["spec"] as Json)["host"];
  const { object, errors } = await admit(xrd as unknown as XrdObject, xr);
  assert.deepEqual(errors, []);
  return (await render(composition as unknown as CompositionObject, object, {})).resources;
}

/** Whether a certificate name (possibly a wildcard) covers a host. */
function covers(name: string, host: string): boolean {
  return name.startsWith("*.") ? host.split(".").slice(1).join(".") === name.slice(2) : name === host;
}

describe("DNS and certificates for every host", () => {
  let dev: Synth;
  let staging: Synth;
  let prod: Synth;
  before(async () => {
    dev = await synthStack("dev");
    staging = await synthStack("staging");
    prod = await synthStack("prod");
  });

  it("publishes records for the ingress layer's routes, in the stack's domain, owned by the stack", () => {
    const cases: Array<[Synth, string, readonly string[], string]> = [
      [dev, "dev.fixture.example.test", DNS_SOURCES.gateway, "sync"],
      [staging, "staging.fixture.example.test", DNS_SOURCES.nginx, "sync"],
      [prod, "fixture.example.test", DNS_SOURCES.gateway, "upsert-only"],
    ];
    const owners = new Set<unknown>();
    for (const [synth, domain, sources, policy] of cases) {
      const values = externalDnsValues(synth);
      assert.deepEqual(values["sources"], sources);
      assert.deepEqual(values["domainFilters"], [domain]);
      assert.equal(values["registry"], "txt");
      assert.equal(values["policy"], policy);
      owners.add(values["txtOwnerId"]);
    }
    assert.deepEqual([...owners], ["idp-fixture-dev", "idp-fixture-staging", "idp-fixture-prod"]);
    assert.equal(dnsOwnerId("fixture-prod"), "idp-fixture-prod");
    assert.equal(dnsPolicy(PROFILES.prod), "upsert-only");
    assert.equal(dnsPolicy(PROFILES.staging), "sync");
  });

  it("lets prod's ExternalDNS change records in its hosted zone only", () => {
    const values = externalDnsValues(prod);
    assert.deepEqual(values["provider"], { name: "aws" });
    assert.deepEqual(values["extraArgs"], { "zone-id-filter": "Z0FIXTURE00000000000" });
    const role = prod.inputs(prod.one("aws:iam/role:Role", "idp-external-dns-route53"));
    assert.equal(role["name"], "fixture-prod-external-dns");
    const policies = prod
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((r) => r.name.startsWith("idp-external-dns-"))
      .map((r) => JSON.parse(String(prod.inputs(r)["policy"])) as unknown);
    assert.deepEqual(policies, [
      {
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
            Resource: ["arn:aws:route53:::hostedzone/Z0FIXTURE00000000000"],
          },
        ],
      },
      LIST_HOSTED_ZONES_POLICY,
    ]);
    assert.deepEqual(externalDnsZonePolicy("aws", "Z0FIXTURE00000000000"), policies[0]);
    // The release waits for its identity: Pod Identity binds the service account before ExternalDNS runs.
    const release = prod.one(RELEASE, "idp-external-dns-release");
    assert.ok(
      prod.dependsOn(
        release,
        prod.one("aws:iam/rolePolicy:RolePolicy", "idp-external-dns-route53-list-zones"),
      ),
    );
  });

  it("signs RFC2136 updates with a TSIG key from the secrets backend, never in Helm values", () => {
    const values = externalDnsValues(dev);
    assert.deepEqual(values["provider"], { name: "rfc2136" });
    assert.deepEqual(values["env"], [
      {
        name: "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
        valueFrom: { secretKeyRef: { name: "rfc2136-tsig", key: "secret" } },
      },
    ]);
    assert.deepEqual(values["extraArgs"], {
      "rfc2136-host": "172.18.0.53",
      "rfc2136-port": 53,
      "rfc2136-zone": "dev.fixture.example.test",
      "rfc2136-tsig-keyname": "fixture-dev-key",
      "rfc2136-tsig-secret-alg": "hmac-sha256",
      "rfc2136-tsig-axfr": true,
    });
    const external = dev.inputs(
      dev.one("kubernetes:external-secrets.io/v1:ExternalSecret", "idp-external-dns-tsig-secret"),
    );
    assert.equal((external["spec"] as { target: { name: string } }).target.name, "rfc2136-tsig");
    assert.ok(
      dev.dependsOn(
        dev.one(RELEASE, "idp-external-dns-release"),
        dev.one("kubernetes:external-secrets.io/v1:ExternalSecret", "idp-external-dns-tsig-secret"),
      ),
    );
  });

  it("gives an App created later a hostname and the Gateway's wildcard certificate (gateway, DNS-01)", async () => {
    const resources = await composeNewApp(prod);
    const hostnames = (resources["route"]!["spec"] as { hostnames: string[] }).hostnames;
    assert.deepEqual(hostnames, ["brand-new.fixture.example.test"]);
    const certificate = prod.inputs(
      prod.one("kubernetes:cert-manager.io/v1:Certificate", "idp-ingress-certificate"),
    );
    const dnsNames = (certificate["spec"] as { dnsNames: string[] }).dnsNames;
    assert.ok(
      dnsNames.some((name) => covers(name, hostnames[0]!)),
      `${dnsNames.join(", ")} covers ${hostnames[0]}`,
    );
  });

  it("gives an App created later its own certificate through its Ingress (nginx, HTTP-01), and admits the solver", async () => {
    const resources = await composeNewApp(staging);
    const ingress = resources["route"]! as {
      metadata: Json;
      spec: { tls: Json[]; rules: Array<{ host: string }> };
    };
    assert.deepEqual(
      ingress.spec.rules.map((r) => r.host),
      ["brand-new.staging.fixture.example.test"],
    );
    // cert-manager's ingress-shim issues the certificate for the Ingress's TLS hosts into its secret.
    assert.deepEqual(ingress.spec.tls, [
      { hosts: ["brand-new.staging.fixture.example.test"], secretName: "brand-new-tls" },
    ]);
    assert.deepEqual(ingress.metadata["annotations"], {
      "cert-manager.io/cluster-issuer": "letsencrypt-staging",
    });
    const issuer = staging.inputs(
      staging.one("kubernetes:cert-manager.io/v1:ClusterIssuer", "idp-cert-manager-letsencrypt-staging"),
    );
    assert.deepEqual((issuer["spec"] as { acme: { solvers: unknown[] } }).acme.solvers, [
      { http01: { ingress: { ingressClassName: "nginx" } } },
    ]);
    // Argo CD's namespace denies ingress by default (its chart): its certificate's solver is admitted.
    const policy = staging.inputs(
      staging.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "idp-argocd-acme-solver"),
    );
    const policySpec = policy["spec"] as Json;
    assert.equal((policy["metadata"] as Json)["namespace"], "argocd");
    assert.deepEqual(policySpec["podSelector"], { matchLabels: { [ACME_SOLVER.label]: "true" } });
    assert.deepEqual(policySpec["ingress"], [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
            podSelector: {
              matchLabels: {
                "app.kubernetes.io/name": "ingress-nginx",
                "app.kubernetes.io/component": "controller",
              },
            },
          },
        ],
        ports: [{ protocol: "TCP", port: 8089 }],
      },
    ]);
    // The Gateway stacks need none: their certificates are the Gateway's (DNS-01 or the local CA).
    assert.deepEqual(
      prod.find((r) => r.name === "idp-argocd-acme-solver"),
      [],
    );
  });

  it("gives every route an App composes a hostname, on both ingress layers", async () => {
    for (const synth of [prod, staging]) {
      const route = (await composeNewApp(synth))["route"]!;
      const hosts =
        route["kind"] === "HTTPRoute"
          ? (route["spec"] as { hostnames: string[] }).hostnames
          : (route["spec"] as { rules: Array<{ host: string }> }).rules.map((r) => r.host);
      assert.ok(
        hosts.length > 0 && hosts.every((h) => typeof h === "string" && h.length > 0),
        JSON.stringify(hosts),
      );
    }
  });

  it("is absent without idp:dns, and refuses two providers", async () => {
    const without = await synthStack("prod", {
      config: editedConfig("prod", (c) => {
        delete c.values["idp:dns"];
      }),
    });
    assert.deepEqual(
      without.find((r) => r.name.startsWith("idp-external-dns")),
      [],
    );
    assert.deepEqual(
      configProblems("prod", (c) => {
        c.values["idp:dns"] = { route53: {}, rfc2136: { host: "10.0.0.53", tsigKeyName: "k" } };
      }),
      [
        "Invalid config idp:dns.rfc2136: is set together with idp:dns.route53, but ExternalDNS writes to one provider: remove one of them. Fix: pulumi config rm --path 'idp:dns.rfc2136' (or 'idp:dns.route53')",
      ],
    );
  });
});

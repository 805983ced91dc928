/**
 * Config of the cluster foundations (idp:tls, idp:ingress, idp:secrets): every validation message,
 * exactly, and the defaults the program derives (secret prefix, recovery window, AWS partition).
 */
import * as assert from "node:assert/strict";
import { parseConfig } from "../stacks/config";
import { awsPartition, toPlatformArgs } from "../stacks/args";
import type { ResourceRecord } from "../synth/records";
import { synthesize } from "../synth/run";
import { editedConfig, stackConfigObject, toRaw, type StackConfigObject, configProblems } from "./harness";

type Edit = (config: StackConfigObject) => void;

const problems = configProblems;

function section(config: StackConfigObject, key: "tls" | "ingress" | "secrets"): Record<string, unknown> {
  return config.values[`idp:${key}`] as Record<string, unknown>;
}

const cases: ReadonlyArray<[string, string, Edit, string]> = [
  [
    "an issuer the profile does not allow",
    "staging",
    (c) => {
      section(c, "tls")["issuer"] = "letsencrypt-production";
    },
    "Invalid config idp:tls.issuer: letsencrypt-production is reserved for the prod profile (this stack's profile is staging); use letsencrypt-staging. Fix: pulumi config set --path 'idp:tls.issuer' letsencrypt-staging",
  ],
  [
    "an issuer kind that does not exist",
    "dev",
    (c) => {
      section(c, "tls")["issuer"] = "vault";
    },
    `Invalid config idp:tls.issuer: expected one of "self-signed", "letsencrypt-staging", "letsencrypt-production", got string "vault". Fix: pulumi config set --path 'idp:tls.issuer' letsencrypt-staging`,
  ],
  [
    "Let's Encrypt without a contact",
    "staging",
    (c) => {
      delete section(c, "tls")["acmeEmail"];
    },
    "Invalid config idp:tls.acmeEmail: is required when idp:tls.issuer is letsencrypt-staging (the Let's Encrypt account's contact). Fix: pulumi config set --path 'idp:tls.acmeEmail' platform-team@example.com",
  ],
  [
    "a contact that is no email address",
    "staging",
    (c) => {
      section(c, "tls")["acmeEmail"] = "platform-team";
    },
    `Invalid config idp:tls.acmeEmail: must be an email address (Let's Encrypt sends expiry notices there) (got string "platform-team"). Fix: pulumi config set --path 'idp:tls.acmeEmail' platform-team@example.com`,
  ],
  [
    "DNS-01 without a zone",
    "staging",
    (c) => {
      section(c, "tls")["dns01"] = { route53: {} };
    },
    "Invalid config idp:tls.dns01.route53.hostedZoneId: is required but not set. Fix: pulumi config set --path 'idp:tls.dns01.route53.hostedZoneId' Z0123456789ABCDEFGHIJ",
  ],
  [
    "DNS-01 with a malformed zone id",
    "staging",
    (c) => {
      section(c, "tls")["dns01"] = { route53: { hostedZoneId: "zone-1" } };
    },
    `Invalid config idp:tls.dns01.route53.hostedZoneId: must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ (got string "zone-1"). Fix: pulumi config set --path 'idp:tls.dns01.route53.hostedZoneId' Z0123456789ABCDEFGHIJ`,
  ],
  [
    "DNS-01 in Route53 on a stack without AWS",
    "dev",
    (c) => {
      Object.assign(section(c, "tls"), {
        issuer: "letsencrypt-staging",
        acmeEmail: "a@b.example",
        dns01: { route53: { hostedZoneId: "Z123" } },
      });
    },
    "Invalid config idp:aws: is required by idp:tls.dns01.route53 (cert-manager's IAM role for Route53 lives in that account). Fix: pulumi config set --path 'idp:aws.region' eu-west-1",
  ],
  [
    "DNS-01 with the self-signed issuer",
    "prod",
    (c) => {
      section(c, "tls")["issuer"] = "self-signed";
    },
    "Invalid config idp:tls.issuer: is self-signed, but idp:tls.dns01 is set: DNS-01 applies to Let's Encrypt issuers only (or remove idp:tls.dns01). Fix: pulumi config set --path 'idp:tls.issuer' letsencrypt-staging",
  ],
  [
    "an ingress choice that does not exist",
    "dev",
    (c) => {
      section(c, "ingress")["controller"] = "traefik";
    },
    `Invalid config idp:ingress.controller: expected one of "gateway", "nginx", got string "traefik". Fix: pulumi config set --path 'idp:ingress.controller' gateway`,
  ],
  [
    "node ports on a LoadBalancer service",
    "dev",
    (c) => {
      section(c, "ingress")["serviceType"] = "LoadBalancer";
    },
    "Invalid config idp:ingress.serviceType: must be NodePort when idp:ingress.nodePorts is set (it is LoadBalancer). Fix: pulumi config set --path 'idp:ingress.serviceType' NodePort",
  ],
  [
    "the same node port twice",
    "dev",
    (c) => {
      (section(c, "ingress")["nodePorts"] as Record<string, number>)["https"] = 30080;
    },
    "Invalid config idp:ingress.nodePorts.https: must differ from idp:ingress.nodePorts.http (both are 30080). Fix: pulumi config set --path 'idp:ingress.nodePorts.https' 30443",
  ],
  [
    "a node port outside the node port range",
    "dev",
    (c) => {
      (section(c, "ingress")["nodePorts"] as Record<string, number>)["http"] = 80;
    },
    "Invalid config idp:ingress.nodePorts.http: must be a node port between 30000 and 32767 (got number 80). Fix: pulumi config set --path 'idp:ingress.nodePorts.http' 30080",
  ],
  [
    "the AWS backend on a stack without AWS",
    "dev",
    (c) => {
      section(c, "secrets")["backend"] = "aws-secrets-manager";
    },
    "Invalid config idp:aws: is required by idp:secrets.backend aws-secrets-manager (or use the kubernetes backend). Fix: pulumi config set --path 'idp:aws.region' eu-west-1",
  ],
  [
    "a secrets backend that does not exist",
    "dev",
    (c) => {
      section(c, "secrets")["backend"] = "vault";
    },
    `Invalid config idp:secrets.backend: expected one of "kubernetes", "aws-secrets-manager", got string "vault". Fix: pulumi config set --path 'idp:secrets.backend' aws-secrets-manager`,
  ],
  [
    "an AWS-only setting on the in-cluster backend",
    "dev",
    (c) => {
      section(c, "secrets")["prefix"] = "idp/dev";
    },
    "Invalid config idp:secrets.backend: is kubernetes, but idp:secrets.prefix applies to aws-secrets-manager only (or remove idp:secrets.prefix). Fix: pulumi config set --path 'idp:secrets.backend' aws-secrets-manager",
  ],
  [
    "a prefix with a leading or trailing slash",
    "prod",
    (c) => {
      section(c, "secrets")["prefix"] = "/idp/prod/";
    },
    `Invalid config idp:secrets.prefix: must be a Secrets Manager name prefix of letters, digits and _+=.@- separated by single '/', without a leading or trailing '/' (got string "/idp/prod/"). Fix: pulumi config set --path 'idp:secrets.prefix' idp/prod`,
  ],
  [
    "a recovery window AWS does not accept",
    "prod",
    (c) => {
      section(c, "secrets")["recoveryWindowInDays"] = 3;
    },
    "Invalid config idp:secrets.recoveryWindowInDays: must be 0 (delete at once) or between 7 and 30 (got number 3). Fix: pulumi config set --path 'idp:secrets.recoveryWindowInDays' 30",
  ],
  [
    "a KMS alias instead of a key ARN",
    "prod",
    (c) => {
      section(c, "secrets")["kmsKeyArn"] = "alias/idp";
    },
    `Invalid config idp:secrets.kmsKeyArn: must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>) (got string "alias/idp"). Fix: pulumi config set --path 'idp:secrets.kmsKeyArn' arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  ],
  [
    "a misspelt field",
    "prod",
    (c) => {
      section(c, "tls")["acmeMail"] = "x@y.example";
    },
    `Invalid config idp:tls.acmeMail: unknown key (did you mean "acmeEmail"?). Fix: pulumi config rm --path 'idp:tls.acmeMail'`,
  ],
];

describe("foundations config", () => {
  for (const [what, stack, edit, line] of cases) {
    it(`rejects ${what} with one line`, () => {
      assert.deepEqual(problems(stack, edit), [line]);
    });
  }

  it("fails before any resource is registered", async () => {
    const registered: ResourceRecord[] = [];
    await assert.rejects(
      synthesize({
        stack: "dev",
        config: editedConfig("dev", (c) => {
          section(c, "ingress")["controller"] = "traefik";
        }),
        sink: registered,
      }),
      /Invalid config idp:ingress\.controller: expected one of "gateway", "nginx"/,
    );
    assert.deepEqual(
      registered.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });

  it("applies the defaults: gateway, the in-cluster backend, the self-signed CA", () => {
    const config = parseConfig(
      editedConfig("dev", (c) => {
        delete c.values["idp:tls"];
        delete c.values["idp:ingress"];
        delete c.values["idp:secrets"];
      }),
    );
    assert.deepEqual(config.settings.tls, { issuer: "self-signed" });
    assert.deepEqual(config.settings.ingress, {
      controller: "gateway",
      serviceType: "LoadBalancer",
      serviceAnnotations: {},
    });
    assert.deepEqual(config.settings.secrets, { backend: "kubernetes" });
  });

  it("derives the AWS secrets prefix from the stack and the recovery window from the profile", () => {
    const prod = toPlatformArgs(parseConfig(toRaw(stackConfigObject("prod"))), "prod");
    assert.deepEqual(
      prod.secrets.kind === "aws-secrets-manager"
        ? [prod.secrets.prefix, prod.secrets.recoveryWindowInDays, prod.secrets.aws.partition]
        : [],
      ["idp/prod", 30, "aws"],
    );
    const staging = toPlatformArgs(parseConfig(toRaw(stackConfigObject("staging"))), "staging");
    assert.deepEqual(
      staging.secrets.kind === "aws-secrets-manager"
        ? [staging.secrets.prefix, staging.secrets.recoveryWindowInDays]
        : [],
      ["idp/staging", 7],
    );
    const dev = toPlatformArgs(parseConfig(toRaw(stackConfigObject("dev"))), "dev");
    assert.deepEqual(dev.secrets, { kind: "kubernetes" });
    assert.equal(dev.aws, undefined);
    assert.deepEqual(dev.ingress, {
      controller: "gateway",
      service: { type: "NodePort", annotations: {}, nodePorts: { http: 30080, https: 30443 } },
    });
  });

  it("knows the AWS partitions", () => {
    assert.deepEqual(
      ["eu-west-1", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1"].map(awsPartition),
      ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"],
    );
  });
});

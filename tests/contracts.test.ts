/**
 * The shared building blocks parts rely on: workload identity (IAM trust and scope), the two secrets
 * backends, the ExternalSecret helper, and the Kubernetes helpers.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { assertScopedPolicy, oidcIssuer, trustPolicy, workloadIdentity } from "../components/aws-identity";
import type { AwsContext, SecretStoreRef } from "../components/contracts";
import { helmRelease, namespace, podSecurityLabels, statefulProtection, waitFor } from "../components/kube";
import {
  AwsSecretsManagerBackend,
  externalSecret,
  KubernetesSecretsBackend,
  kubernetesSecretName,
} from "../components/secrets-backend";
import { CHARTS } from "../components/versions";
import { PROFILES } from "../stacks/profiles";
import { crdValidator } from "./crd-schema";
import { synthProgram } from "./harness";

const irsa: AwsContext = {
  accountId: "123456789012",
  region: "eu-west-1",
  partition: "aws",
  identity: "irsa",
  oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
  clusterName: "idp-prod",
};
const podIdentity: AwsContext = { ...irsa, identity: "pod-identity" };
delete (podIdentity as { oidcProviderArn?: string }).oidcProviderArn;

/** Lets the mocks build ARNs in the context's account. */
const awsConfig = {
  stack: "test",
  values: { "idp:aws": JSON.stringify({ accountId: irsa.accountId, region: irsa.region }) },
  secretKeys: new Set<string>(),
};

class Marker extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Marker", name, {});
  }
}

describe("workload identity", () => {
  it("trusts exactly one service account through IRSA", () => {
    assert.equal(oidcIssuer(irsa.oidcProviderArn!), "oidc.eks.eu-west-1.amazonaws.com/id/ABC");
    assert.deepEqual(trustPolicy(irsa, "external-secrets", "external-secrets").Statement[0]!.Condition, {
      StringEquals: {
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub":
          "system:serviceaccount:external-secrets:external-secrets",
        "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
      },
    });
  });

  it("creates a role, a scoped inline policy and, with Pod Identity, the association", async () => {
    const policy = {
      Version: "2012-10-17" as const,
      Statement: [
        {
          Effect: "Allow" as const,
          Action: ["secretsmanager:GetSecretValue"],
          Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:idp/*"],
        },
      ],
    };
    for (const aws of [irsa, podIdentity]) {
      let annotations: Record<string, string> | undefined;
      const synth = await synthProgram(
        () => {
          const identity = workloadIdentity(
            "eso",
            {
              aws,
              namespace: "external-secrets",
              serviceAccount: "external-secrets",
              roleName: "idp-prod-eso",
              description: "ESO",
              policy,
            },
            {},
          );
          identity.serviceAccountAnnotations.apply((a) => (annotations = a));
        },
        { config: awsConfig },
      );
      const role = synth.one("aws:iam/role:Role", "eso");
      const trust = JSON.parse(synth.inputs(role)["assumeRolePolicy"] as string) as {
        Statement: Array<Record<string, unknown>>;
      };
      assert.equal(trust.Statement.length, 1);
      assert.ok(!("Resource" in trust.Statement[0]!), "a trust policy has no Resource element");
      const inline = synth.one("aws:iam/rolePolicy:RolePolicy", "eso-policy");
      assert.deepEqual(JSON.parse(synth.inputs(inline)["policy"] as string), policy);
      if (aws.identity === "irsa") {
        assert.deepEqual(trust.Statement[0]!["Principal"], { Federated: irsa.oidcProviderArn });
        assert.deepEqual(annotations, {
          "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/idp-prod-eso",
        });
        assert.equal(synth.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").length, 0);
      } else {
        assert.deepEqual(trust.Statement[0]!["Principal"], { Service: "pods.eks.amazonaws.com" });
        assert.deepEqual(trust.Statement[0]!["Action"], ["sts:AssumeRole", "sts:TagSession"]);
        assert.deepEqual(annotations, {});
        const association = synth.one("aws:eks/podIdentityAssociation:PodIdentityAssociation");
        assert.deepEqual(synth.inputs(association), {
          clusterName: "idp-prod",
          namespace: "external-secrets",
          serviceAccount: "external-secrets",
          roleArn: "arn:aws:iam::123456789012:role/idp-prod-eso",
        });
      }
    }
  });

  it("refuses wildcard actions and resources", () => {
    const doc = (Action: string[], Resource: string[]) => ({
      Version: "2012-10-17" as const,
      Statement: [{ Effect: "Allow" as const, Action, Resource }],
    });
    assert.throws(
      () => assertScopedPolicy(doc(["s3:*"], ["arn:aws:s3:::b"]), "role x"),
      /role x: the IAM policy allows the wildcard action "s3:\*"; name the actions/,
    );
    assert.throws(
      () => assertScopedPolicy(doc(["s3:GetObject"], ["*"]), "role x"),
      /role x: the IAM policy allows "s3:GetObject" on "\*"; name the resources/,
    );
    assert.doesNotThrow(() => assertScopedPolicy(doc(["s3:GetObject"], ["arn:aws:s3:::b/*"]), "role x"));
  });
});

describe("secrets backends and ExternalSecrets", () => {
  const MARKER = "marker-value-1f4e";

  it("writes AWS Secrets Manager secrets under the prefix, values only as secrets", async () => {
    const synth = await synthProgram(() => {
      const store: SecretStoreRef = {
        kind: "ClusterSecretStore",
        name: "platform",
        ready: [new Marker("eso")],
      };
      const backend = new AwsSecretsManagerBackend({
        store,
        prefix: "idp/prod",
        recoveryWindowInDays: 30,
        protect: true,
        retainOnDelete: true,
      });
      const stored = backend.put(
        "argocd-webhook",
        { name: "argocd/webhook", description: "Argo CD webhook", data: { secret: MARKER } },
        {},
      );
      assert.equal(stored.remoteKey, "idp/prod/argocd/webhook");
      assert.deepEqual(stored.properties, ["secret"]);
    });
    const secret = synth.one("aws:secretsmanager/secret:Secret", "argocd-webhook");
    assert.equal(synth.inputs(secret)["name"], "idp/prod/argocd/webhook");
    assert.equal(synth.inputs(secret)["recoveryWindowInDays"], 30);
    assert.deepEqual([secret.options.protect, secret.options.retainOnDelete], [true, true]);
    const version = synth.one("aws:secretsmanager/secretVersion:SecretVersion", "argocd-webhook-value");
    assert.deepEqual(synth.secretInputs(version), ["secretString"]);
    assert.equal(synth.inputs(version)["secretString"], JSON.stringify({ secret: MARKER }));
    assert.equal(version.options.deletedWith, secret.urn);
    assert.deepEqual(synth.plaintextLeaks(MARKER), []);
  });

  it("writes in-cluster secrets into the store's namespace", async () => {
    const synth = await synthProgram(() => {
      const store: SecretStoreRef = { kind: "ClusterSecretStore", name: "platform", ready: [] };
      const backend = new KubernetesSecretsBackend({
        store,
        namespace: "idp-secrets",
        protect: false,
        retainOnDelete: false,
      });
      const stored = backend.put(
        "arc-app",
        { name: "arc/github-app", description: "runner app", data: { key: MARKER } },
        {},
      );
      assert.equal(stored.remoteKey, "arc-github-app");
    });
    const secret = synth.one("kubernetes:core/v1:Secret", "arc-app");
    assert.deepEqual(synth.redacted(secret)["metadata"], {
      name: "arc-github-app",
      namespace: "idp-secrets",
      labels: {
        "app.kubernetes.io/part-of": "idp",
        "app.kubernetes.io/managed-by": "pulumi",
        "idp.platform/secret": "true",
      },
      annotations: { "idp.platform/description": "runner app" },
    });
    assert.deepEqual(synth.secretInputs(secret), ["stringData"]);
    assert.deepEqual(synth.plaintextLeaks(MARKER), []);
    assert.equal(kubernetesSecretName("ArgoCD/Dex Client"), "argocd-dex-client");
  });

  it("builds an external-secrets.io/v1 ExternalSecret that waits for the store and the backend", async () => {
    const synth = await synthProgram(() => {
      const eso = new Marker("eso");
      const store: SecretStoreRef = { kind: "ClusterSecretStore", name: "platform", ready: [eso] };
      const backend = new KubernetesSecretsBackend({
        store,
        namespace: "idp-secrets",
        protect: false,
        retainOnDelete: false,
      });
      const stored = backend.put(
        "webhook",
        { name: "argocd/webhook", description: "w", data: { secret: MARKER } },
        {},
      );
      externalSecret(
        "argocd-secret",
        {
          name: "argocd-secret",
          namespace: "argocd",
          store,
          data: [{ secretKey: "webhook.github.secret", from: stored, property: "secret" }],
          target: { labels: { "app.kubernetes.io/part-of": "argocd" } },
        },
        {},
      );
      assert.throws(
        () =>
          externalSecret(
            "bad",
            {
              name: "bad",
              namespace: "x",
              store,
              data: [{ secretKey: "k", from: stored, property: "nope" }],
            },
            {},
          ),
        /ExternalSecret bad: argocd-webhook has no property "nope" \(it has secret\)/,
      );
    });
    const es = synth.one("kubernetes:external-secrets.io/v1:ExternalSecret", "argocd-secret");
    const object = synth.inputs(es);
    assert.deepEqual((object["metadata"] as Record<string, unknown>)["annotations"], {
      "pulumi.com/waitFor": "condition=Ready",
    });
    assert.deepEqual(object["spec"], {
      refreshInterval: "1h",
      secretStoreRef: { kind: "ClusterSecretStore", name: "platform" },
      target: {
        name: "argocd-secret",
        creationPolicy: "Owner",
        deletionPolicy: "Retain",
        template: {
          engineVersion: "v2",
          metadata: { labels: { "app.kubernetes.io/part-of": "argocd" }, annotations: {} },
        },
      },
      data: [
        { secretKey: "webhook.github.secret", remoteRef: { key: "argocd-webhook", property: "secret" } },
      ],
    });
    assert.ok(synth.dependsOn(es, synth.one("test:index:Marker", "eso")));
    assert.ok(synth.dependsOn(es, synth.one("kubernetes:core/v1:Secret", "webhook")));
    const validator = crdValidator();
    if (validator) assert.deepEqual(validator.validate(object), []);
  });
});

describe("Kubernetes helpers", () => {
  it("label namespaces with pinned Pod Security levels", async () => {
    assert.deepEqual(podSecurityLabels("restricted"), {
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "v1.33",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "v1.33",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "v1.33",
    });
    const synth = await synthProgram(() => {
      namespace("ns", { name: "team-a", podSecurity: "baseline", labels: { team: "a" } }, { protect: true });
    });
    const ns = synth.one("kubernetes:core/v1:Namespace", "ns");
    assert.equal(
      (synth.inputs(ns)["metadata"] as { labels: Record<string, string> }).labels[
        "pod-security.kubernetes.io/enforce"
      ],
      "baseline",
    );
    assert.equal(ns.options.protect, true);
  });

  it("install pinned charts that wait for their workloads", async () => {
    const synth = await synthProgram(() => {
      helmRelease(
        "cm",
        {
          pin: CHARTS.certManager,
          releaseName: "cert-manager",
          namespace: "cert-manager",
          values: { crds: { enabled: true } },
        },
        {},
      );
      helmRelease(
        "eso",
        {
          pin: CHARTS.externalSecrets,
          releaseName: "external-secrets",
          namespace: "external-secrets",
          values: {},
          timeoutSeconds: 300,
        },
        {},
      );
    });
    const oci = synth.inputs(synth.one("kubernetes:helm.sh/v3:Release", "cm"));
    assert.equal(oci["chart"], "oci://quay.io/jetstack/charts/cert-manager");
    assert.equal(oci["version"], CHARTS.certManager.version);
    assert.equal(oci["repositoryOpts"], undefined);
    assert.deepEqual(
      [oci["skipAwait"], oci["waitForJobs"], oci["createNamespace"], oci["timeout"]],
      [false, true, false, 600],
    );
    const repo = synth.inputs(synth.one("kubernetes:helm.sh/v3:Release", "eso"));
    assert.equal(repo["chart"], "external-secrets");
    assert.deepEqual(repo["repositoryOpts"], { repo: "https://charts.external-secrets.io" });
    assert.equal(repo["timeout"], 300);
  });

  it("express readiness conditions and profile protection", () => {
    assert.deepEqual(waitFor("condition=Healthy"), { "pulumi.com/waitFor": "condition=Healthy" });
    assert.deepEqual(waitFor("condition=Installed", "condition=Healthy"), {
      "pulumi.com/waitFor": '["condition=Installed","condition=Healthy"]',
    });
    assert.throws(() => waitFor(), /at least one condition/);
    assert.deepEqual(statefulProtection(PROFILES.prod), { protect: true, retainOnDelete: true });
    assert.deepEqual(statefulProtection(PROFILES.dev), { protect: false, retainOnDelete: false });
  });
});

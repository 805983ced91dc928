/**
 * The policy pack through the analyzer protocol, started and fed the way the Pulumi engine does
 * (tests/policy-engine.ts): every policy fires on a bad resource shaped as the engine sends it and
 * passes a good one; a value unknown in preview is reported as "can't run policy", never as a pass;
 * provider-built components arrive empty; Releases arrive after Check; stack policies see outputs;
 * a missing required config stops the run before the pack is configured.
 */
import * as assert from "node:assert/strict";
import { POLICIES } from "../policy/policies";
import {
  checkedRelease,
  PolicyConfigError,
  PolicyEngine,
  UNKNOWN,
  type Diagnostic,
  type EngineResource,
} from "./policy-engine";
import { stackPolicyConfig } from "./policy-harness";

type Json = Record<string, unknown>;

let serial = 0;
function resource(type: string, properties: Json, extra: Partial<EngineResource> = {}): EngineResource {
  const name = extra.name ?? `r${++serial}`;
  return {
    type,
    urn: `urn:pulumi:prod::idp::${type}::${name}`,
    name,
    properties,
    outputs: properties,
    protect: false,
    dependencies: [],
    ...extra,
  };
}

const RELEASE = "kubernetes:helm.sh/v3:Release";
const release = (chart: string, props: Json = {}, extra: Partial<EngineResource> = {}) =>
  resource(
    RELEASE,
    checkedRelease({ chart, version: "1.0.0", namespace: "n", values: {}, ...props }, (_c, v) => v),
    extra,
  );

const byPolicy = (diagnostics: readonly Diagnostic[], policy: string) =>
  diagnostics.filter((d) => d.policy === policy);

describe("policy pack through the analyzer protocol, as the engine runs it", function () {
  // The pack compiles (type-checked) on start, as Pulumi starts it; the machine may be busy.
  this.timeout(240_000);
  let engine: PolicyEngine;

  before(async () => {
    engine = await PolicyEngine.start({ stack: "prod", dryRun: true });
    await engine.configure(stackPolicyConfig("prod"));
  });
  after(() => engine?.close());

  it("announces every policy of the pack, each mandatory", () => {
    assert.deepEqual(
      engine.policyNames,
      POLICIES.map((p) => p.name),
    );
  });

  /** One bad and one good resource per resource policy; what fires is exactly that policy. */
  const cases: Array<{ policy: string; bad: EngineResource; good: EngineResource; message: RegExp }> = [
    {
      policy: "no-cluster-built-components",
      // The engine sends a provider-built component with no properties: the type alone decides.
      bad: resource("kubernetes:helm.sh/v4:Chart", {}, { name: "crds", protect: true }),
      good: release("oci://quay.io/jetstack/charts/cert-manager", {}, { protect: true }),
      message: /crds is a kubernetes:helm\.sh\/v4:Chart, which the Kubernetes provider builds itself/,
    },
    {
      policy: "helm-chart-version-pinned",
      bad: release("podinfo", { version: "" }),
      good: release("podinfo"),
      message: /^Chart podinfo has no version, so Helm installs the newest/,
    },
    {
      policy: "images-pinned",
      bad: resource("kubernetes:apps/v1:Deployment", {
        spec: { template: { spec: { containers: [{ name: "a", image: "nginx" }] } } },
      }),
      good: resource("kubernetes:apps/v1:Deployment", {
        spec: { template: { spec: { containers: [{ name: "a", image: "nginx:1.29.1" }] } } },
      }),
      message: /spec\.template\.spec\.containers\[0\]\.image "nginx" has no tag/,
    },
    {
      policy: "no-secrets-in-helm-values",
      bad: release("some-chart", { values: { auth: { password: "hunter2" } } }),
      good: release("some-chart", { values: { auth: { existingSecret: "db-credentials" } } }),
      message: /values\.auth\.password holds a literal password/,
    },
    {
      policy: "no-secrets-in-configmaps",
      bad: resource("kubernetes:core/v1:ConfigMap", { data: { apiToken: "abc123secretvalue" } }),
      good: resource("kubernetes:core/v1:ConfigMap", { data: { logLevel: "info" } }),
      message: /data\.apiToken/,
    },
    {
      policy: "prod-protects-stateful",
      bad: release("oci://quay.io/jetstack/charts/cert-manager", {}, { name: "cm" }),
      good: release("oci://quay.io/jetstack/charts/cert-manager", {}, { name: "cm", protect: true }),
      message: /^cm is a release of the cert-manager chart, which installs CRDs/,
    },
    {
      policy: "management-repository-protected",
      bad: resource("github:index/repository:Repository", { name: "platform-management" }),
      good: resource(
        "github:index/repository:Repository",
        { name: "platform-management" },
        { protect: true },
      ),
      message: /The management repository platform-management is not protected/,
    },
    {
      policy: "iam-least-privilege",
      bad: resource("aws:iam/rolePolicy:RolePolicy", {
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
        }),
      }),
      good: resource("aws:iam/rolePolicy:RolePolicy", {
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["secretsmanager:GetSecretValue"],
              Resource: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:idp/prod/*"],
            },
          ],
        }),
      }),
      message: /"\*"/,
    },
    {
      policy: "runners-not-privileged",
      bad: release("oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set", {
        values: {
          template: { spec: { containers: [{ name: "runner", securityContext: { privileged: true } }] } },
        },
      }),
      good: release("oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set", {
        values: { template: { spec: { containers: [{ name: "runner" }] } } },
      }),
      message: /privileged/,
    },
  ];

  for (const c of cases) {
    it(`${c.policy}: fires on a bad resource and passes a good one`, async () => {
      const bad = await engine.analyze(c.bad);
      // Only this policy fires, mandatory; the SDK puts the policy's description on the first line.
      assert.deepEqual(
        [...new Set(bad.map((d) => `${d.policy} ${d.level}`))],
        [`${c.policy} mandatory`],
        JSON.stringify(bad),
      );
      assert.match(bad[0]!.message.split("\n").pop()!, c.message);
      assert.deepEqual(await engine.analyze(c.good), []);
    });
  }

  it("letsencrypt-production-only-in-prod: fires in staging, passes in prod", async () => {
    const issuer = resource("kubernetes:cert-manager.io/v1:ClusterIssuer", {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: "letsencrypt-production" },
      spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory" } },
    });
    assert.deepEqual(await engine.analyze(issuer), []);
    const staging = await PolicyEngine.start({ stack: "staging", dryRun: true });
    try {
      await staging.configure(stackPolicyConfig("staging"));
      const diagnostics = await staging.analyze(issuer);
      assert.deepEqual(
        diagnostics.map((d) => [d.policy, d.level]),
        [["letsencrypt-production-only-in-prod", "mandatory"]],
      );
    } finally {
      staging.close();
    }
  });

  it("prod-protects-stateful-namespaces: fires on outputs of an unprotected namespace that holds a protected release", async () => {
    const holder = release(
      "oci://quay.io/jetstack/charts/cert-manager",
      { namespace: "cert-manager" },
      { protect: true },
    );
    const unprotected = resource(
      "kubernetes:core/v1:Namespace",
      { metadata: { name: "cert-manager" } },
      { name: "ns" },
    );
    const fired = byPolicy(
      await engine.analyzeStack([holder, unprotected]),
      "prod-protects-stateful-namespaces",
    );
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.level, "mandatory");
    assert.match(fired[0]!.message.split("\n").pop()!, /^Namespace cert-manager holds/);
    assert.deepEqual(
      byPolicy(
        await engine.analyzeStack([holder, { ...unprotected, protect: true }]),
        "prod-protects-stateful-namespaces",
      ),
      [],
    );
  });

  it("reports a policy stopped by a value unknown in preview as not run (advisory), never as a pass", async () => {
    const diagnostics = await engine.analyze(
      release("some-chart", { values: { auth: { password: UNKNOWN } } }, { protect: true }),
    );
    const secrets = byPolicy(diagnostics, "no-secrets-in-helm-values");
    assert.equal(secrets.length, 1, JSON.stringify(diagnostics));
    assert.equal(secrets[0]!.level, "advisory");
    assert.match(
      secrets[0]!.message,
      /can't run policy 'no-secrets-in-helm-values' from policy pack 'idp-guardrails@v[^']+' during preview: string value at \.values\.auth\.password can't be known during preview/,
    );
  });

  it("sees a Release after Check: a range is resolved unless an input is unknown", async () => {
    // Check loaded the chart: the version the analyzer sees is the exact one the registry resolved.
    const resolved = resource(
      RELEASE,
      checkedRelease(
        { chart: "podinfo", version: "^6.0.0", namespace: "podinfo", values: {} },
        () => "6.9.2",
      ),
      { protect: true },
    );
    assert.deepEqual(await engine.analyze(resolved), []);
    // An unknown input: Check leaves the chart unloaded and the range as written, and the policy fires.
    const unresolved = resource(
      RELEASE,
      checkedRelease(
        { chart: "podinfo", version: "^6.0.0", namespace: "podinfo", values: { a: UNKNOWN } },
        () => "6.9.2",
      ),
      { protect: true },
    );
    const fired = byPolicy(await engine.analyze(unresolved), "helm-chart-version-pinned");
    assert.equal(fired.length, 1);
    assert.match(fired[0]!.message, /version "\^6\.0\.0" is not an exact version/);
  });

  it("stops before configuring the pack when a stack's config leaves out a required property, as the engine does", async () => {
    const fresh = await PolicyEngine.start({ stack: "prod", dryRun: true });
    try {
      await assert.rejects(
        fresh.configure({}),
        (error: unknown) =>
          error instanceof PolicyConfigError &&
          error.message.includes(
            "validating policy config: idp-guardrails prod-protects-stateful: profile is required",
          ),
      );
    } finally {
      fresh.close();
    }
  });
});

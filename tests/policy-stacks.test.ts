/**
 * The policy pack over every stack, through the analyzer protocol as the engine runs it
 * (tests/policy-engine.ts): the synthesized resources of each stack, as an update and as a preview,
 * with the stack's policy config: no mandatory violation, and nothing a policy could not look at
 * because of an unknown value. Run again after each merge, this catches a new part that breaks a
 * guardrail.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { PRIVILEGED_OPT_IN_ANNOTATION as PROGRAM_OPT_IN } from "../components/runners";
import { PROFILES } from "../policy/lib";
import { POLICIES } from "../policy/policies";
import { PRIVILEGED_OPT_IN_ANNOTATION } from "../policy/runners";
import { listStacks, loadStackConfig, PROJECT_ROOT } from "../synth/stack-files";
import { packViolations, stackPolicyConfig } from "./policy-harness";
import { engineResources, PolicyEngine } from "./policy-engine";
import { synthStack, synthUserStack } from "./harness";

describe("policy pack over every stack, through the analyzer protocol", function () {
  this.timeout(240_000);
  const runs = [
    ...listStacks().map((stack) => ({ stack, label: stack, synth: synthUserStack })),
    ...["dev", "staging", "prod"].map((stack) => ({ stack, label: `fixture ${stack}`, synth: synthStack })),
  ];
  for (const { stack, label, synth: synthesizeStack } of runs) {
    for (const preview of [false, true]) {
      it(`finds nothing in ${label}${preview ? " (preview)" : ""}`, async () => {
        const synth = await synthesizeStack(stack, { preview });
        const engine = await PolicyEngine.start({ stack, dryRun: preview });
        try {
          await engine.configure(stackPolicyConfig(stack));
          const diagnostics = await engine.run(engineResources(synth.resources));
          // Neither a violation nor an advisory "can't run policy during preview".
          assert.deepEqual(
            diagnostics.map((d) => `${d.level} ${d.policy}: ${d.message.split("\n").pop()!}`),
            [],
          );
        } finally {
          engine.close();
        }
      });
    }
  }
});

describe("policy pack over every stack, with the wrong config", () => {
  it("flags Let's Encrypt production when prod is checked as staging", async () => {
    const synth = await synthStack("prod");
    assert.deepEqual(packViolations(synth.resources, stackPolicyConfig("staging")), [
      "letsencrypt-production-only-in-prod: idp-cert-manager-letsencrypt-production: idp-cert-manager-letsencrypt-production uses Let's Encrypt production (https://acme-v02.api.letsencrypt.org/directory) in a staging stack: only prod may; use letsencrypt-staging (idp:tls.issuer).",
    ]);
  });

  it("flags every unprotected stateful part when dev is checked as prod", async () => {
    const synth = await synthStack("dev");
    const violations = packViolations(synth.resources, stackPolicyConfig("prod"));
    const flagged = (policy: string) =>
      violations.filter((v) => v.startsWith(`${policy}: `)).map((v) => v.split(": ")[1]);
    assert.deepEqual(flagged("prod-protects-stateful").sort(), [
      "idp-argocd-release",
      "idp-argocd-repository-secret",
      "idp-argocd-server-secret",
      "idp-cert-manager-release",
      "idp-crossplane-provider-helm",
      "idp-crossplane-provider-kubernetes",
      "idp-crossplane-provider-sql",
      "idp-crossplane-release",
      "idp-crossplane-xrd-app",
      "idp-crossplane-xrd-sqldatabase",
      "idp-envoy-gateway-release",
      "idp-external-dns-tsig",
      // The registry login copied into each team's secrets namespace (in-cluster backend).
      "idp-external-secrets-registry-team-core",
      "idp-external-secrets-registry-team-orders",
      "idp-external-secrets-registry-team-search",
      "idp-external-secrets-release",
      "idp-port-exporter-credentials",
      "idp-runners-controller",
      "idp-runners-github-app",
      "idp-schemahero-crds",
      // Rook (the fixture dev stack runs a Ceph cluster): its CRDs and the cluster holding the data.
      "idp-storage-rook-cluster",
      "idp-storage-rook-operator",
    ]);
    assert.deepEqual(
      violations
        .filter((v) => v.startsWith("prod-protects-stateful-namespaces: "))
        .map((v) => /^prod-protects-stateful-namespaces: Namespace (\S+) /.exec(v)![1])
        .sort(),
      [
        "arc-systems",
        "argocd",
        "cert-manager",
        "crossplane-system",
        "envoy-gateway-system",
        "external-secrets",
        "idp-secrets",
        "idp-secrets-team-core",
        "idp-secrets-team-orders",
        "idp-secrets-team-search",
        "rook-ceph",
        "schemahero",
      ],
    );
    // 21 resources and 13 namespaces: nothing else is flagged.
    assert.equal(violations.length, 34);
  });
});

describe("policy pack packaging", () => {
  const root = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const pack = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "policy", "package.json"), "utf8")) as {
    main: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  it("declares the same exact versions as the project, which installs them for it", () => {
    const installed = { ...root.dependencies, ...root.devDependencies };
    for (const [name, version] of Object.entries({ ...pack.dependencies, ...pack.devDependencies })) {
      assert.equal(version, installed[name], `${name} in policy/package.json`);
    }
    assert.equal(pack.main, "index.ts");
  });

  it("is a Node.js policy pack", () => {
    const manifest = YAML.parse(
      fs.readFileSync(path.join(PROJECT_ROOT, "policy", "PulumiPolicy.yaml"), "utf8"),
    ) as {
      runtime: string;
      description: string;
    };
    assert.equal(manifest.runtime, "nodejs");
    assert.ok(manifest.description.length > 0);
  });

  it("has policies with unique names, each mandatory", () => {
    const names = POLICIES.map((policy) => policy.name);
    assert.equal(new Set(names).size, names.length);
    for (const policy of POLICIES) assert.equal(policy.enforcementLevel, "mandatory", policy.name);
  });

  it("has a config per stack naming the stack's own profile, for every policy that takes one", () => {
    const takesProfile = POLICIES.filter(
      (policy) => policy.configSchema?.properties["profile"] !== undefined,
    );
    assert.ok(takesProfile.length >= 3);
    for (const stack of listStacks()) {
      const config = stackPolicyConfig(stack);
      const profile = loadStackConfig(stack).values["idp:profile"];
      assert.ok((PROFILES as readonly unknown[]).includes(profile));
      for (const policy of takesProfile) {
        assert.equal(config[policy.name]?.["profile"], profile, `${stack}: ${policy.name}`);
      }
      for (const name of Object.keys(config)) {
        assert.ok(
          POLICIES.some((policy) => policy.name === name),
          `${stack}: ${name} is a policy`,
        );
      }
    }
  });

  it("names the management repository as the stacks do", () => {
    for (const stack of listStacks()) {
      const github = JSON.parse(loadStackConfig(stack).values["idp:github"]!) as {
        managementRepository?: string;
      };
      assert.equal(
        stackPolicyConfig(stack)["management-repository-protected"]?.["managementRepository"],
        github.managementRepository ?? "platform-management",
      );
    }
  });

  it("agrees with the program on the runners' opt-in mark", () => {
    assert.equal(PRIVILEGED_OPT_IN_ANNOTATION, PROGRAM_OPT_IN);
  });
});

/**
 * Every guardrail of the policy pack (policy/): a violating input fails with its exact message, a
 * compliant one passes, and values a preview cannot know are left to `pulumi up`.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RUNNERS_DEFAULTS, scaleSetValues, type RunnerScaleSetArgs } from "../components/runners";
import { EXACT_VERSION, imageReferenceProblem } from "../policy/lib";
import { iamLeastPrivilege } from "../policy/iam";
import { noClusterBuiltComponents } from "../policy/components";
import {
  managementRepositoryProtected,
  prodProtectsStateful,
  prodProtectsStatefulNamespaces,
} from "../policy/protection";
import { PRIVILEGED_OPT_IN_ANNOTATION, runnersNotPrivileged } from "../policy/runners";
import { keyWords, noSecretsInConfigMaps, noSecretsInHelmValues, secretKeyKind } from "../policy/secrets";
import { letsEncryptProductionOnlyInProd } from "../policy/tls";
import { helmChartVersionPinned, imagesPinned } from "../policy/versions";
import { resourceViolations, stackViolations, type PolicyInput } from "./policy-harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const CHART = "kubernetes:helm.sh/v4:Chart";
const UNKNOWN = pulumi.runtime.unknownValue;

function profileConfig(profile: string) {
  const config: Record<string, Record<string, unknown>> = {};
  for (const name of [
    "policy-config-present",
    "prod-protects-stateful",
    "prod-protects-stateful-namespaces",
    "letsencrypt-production-only-in-prod",
  ]) {
    config[name] = { profile };
  }
  return config;
}
const PROD = profileConfig("prod");
const STAGING = profileConfig("staging");

function release(
  chart: string,
  props: Record<string, unknown> = {},
  extra: Partial<PolicyInput> = {},
): PolicyInput {
  return {
    type: RELEASE,
    name: "release",
    props: { chart, version: "1.0.0", namespace: "ns", ...props },
    ...extra,
  };
}

describe("policy helm-chart-version-pinned", () => {
  const check = (input: PolicyInput) => resourceViolations(helmChartVersionPinned, input);

  it("passes exact versions, with or without v, with a pre-release", () => {
    for (const version of ["1.2.3", "v1.21.1", "2.0.0-rc.1", "1.0.0+build.5"]) {
      assert.deepEqual(
        check(release("oci://quay.io/jetstack/charts/cert-manager", { version })),
        [],
        version,
      );
      assert.match(version, EXACT_VERSION);
    }
    // A provider-built Chart reaches analyzers with no properties: this policy cannot judge it (see
    // no-cluster-built-components, which refuses the type).
    assert.deepEqual(check({ type: CHART, name: "crds", props: {} }), []);
  });

  it("fails a release without a version", () => {
    assert.deepEqual(check(release("oci://quay.io/jetstack/charts/cert-manager", { version: "" })), [
      "Chart cert-manager has no version, so Helm installs the newest: pin an exact version in components/versions.ts.",
    ]);
  });

  it("fails ranges, wildcards and tags", () => {
    for (const version of ["^1.2.0", "~1.2", "1.x", ">=1.0.0", "*", "latest", "1.2"]) {
      assert.deepEqual(check(release("argo-cd", { version })), [
        `Chart argo-cd version "${version}" is not an exact version: pin one release in components/versions.ts.`,
      ]);
    }
  });

  it("says it could not judge a version unknown in preview, and leaves other types alone", () => {
    assert.deepEqual(check(release("argo-cd", { version: UNKNOWN })), [
      "skipped: can't run policy 'helm-chart-version-pinned' during preview: string value at .version can't be known during preview",
    ]);
    assert.deepEqual(check({ type: "kubernetes:core/v1:ConfigMap", props: { version: "latest" } }), []);
  });
});

describe("policy images-pinned", () => {
  const check = (input: PolicyInput) => resourceViolations(imagesPinned, input);

  it("passes tags, digests and image objects with a tag or digest", () => {
    const values = {
      template: {
        spec: { containers: [{ name: "runner", image: "ghcr.io/actions/actions-runner:2.336.0" }] },
      },
      proxy: { image: "registry.example:5000/team/proxy:1.2.3" },
      pinned: { image: `docker.io/library/busybox@sha256:${"a".repeat(64)}` },
      controller: { image: { repository: "quay.io/jetstack/cert-manager-controller", tag: "v1.21.1" } },
      webhook: { image: { repository: "x/webhook", digest: `sha256:${"b".repeat(64)}` } },
    };
    assert.deepEqual(check(release("gha-runner-scale-set", { values })), []);
    // An OpenAPI property named image is not an image reference.
    assert.deepEqual(
      check({
        type: "kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition",
        props: { spec: { image: { type: "string" } } },
      }),
      [],
    );
    assert.deepEqual(
      check({
        type: "kubernetes:pkg.crossplane.io/v1:Provider",
        props: { spec: { package: "xpkg.crossplane.io/crossplane-contrib/provider-sql:v0.16.0" } },
      }),
      [],
    );
  });

  it("fails untagged and latest images in Helm values, with their path", () => {
    const values = {
      a: { image: "nginx" },
      b: { image: "registry.example:5000/team/app" },
      c: { image: "nginx:latest" },
      d: { image: { repository: "quay.io/x/y" } },
      e: { image: { repository: "quay.io/x/y", tag: "latest" } },
      f: { image: "busybox@sha256:abc" },
    };
    assert.deepEqual(check(release("some-chart", { values })), [
      'values.a.image "nginx" has no tag (it means latest): pin it in components/versions.ts.',
      'values.b.image "registry.example:5000/team/app" has no tag (it means latest): pin it in components/versions.ts.',
      'values.c.image "nginx:latest" uses the moving tag latest: pin it in components/versions.ts.',
      "values.d.image names a repository without a tag or digest: pin it in components/versions.ts.",
      "values.e.image uses the moving tag latest: pin it in components/versions.ts.",
      'values.f.image "busybox@sha256:abc" has a malformed digest: pin it in components/versions.ts.',
    ]);
  });

  it("fails unpinned images of Kubernetes objects and Crossplane packages", () => {
    assert.deepEqual(
      check({
        type: "kubernetes:apps/v1:Deployment",
        props: { spec: { template: { spec: { containers: [{ name: "app", image: "app:latest" }] } } } },
      }),
      [
        'spec.template.spec.containers[0].image "app:latest" uses the moving tag latest: pin it in components/versions.ts.',
      ],
    );
    assert.deepEqual(
      check({
        type: "kubernetes:pkg.crossplane.io/v1:Function",
        props: { spec: { package: "xpkg.crossplane.io/fn" } },
      }),
      [
        'spec.package "xpkg.crossplane.io/fn" has no tag (it means latest): pin it in components/versions.ts.',
      ],
    );
  });

  it("says it could not judge values unknown in preview, and leaves non-Kubernetes resources alone", () => {
    assert.deepEqual(
      check(
        release("c", { values: { a: { image: UNKNOWN }, b: { image: { repository: "x", tag: UNKNOWN } } } }),
      ),
      [
        "skipped: can't run policy 'images-pinned' during preview: string value at .values.a.image can't be known during preview",
      ],
    );
    assert.deepEqual(check({ type: "aws:ecs/taskDefinition:TaskDefinition", props: { image: "nginx" } }), []);
    assert.equal(imageReferenceProblem("localhost:5000/app:1.0"), undefined);
  });
});

describe("policy no-secrets-in-helm-values", () => {
  const check = (values: unknown, chart = "gha-runner-scale-set") =>
    resourceViolations(noSecretsInHelmValues, release(chart, { values }));
  const FIX =
    "put the secret in the secrets backend (Platform.secrets.put), create it with an ExternalSecret and name that Secret in the values.";

  it("passes references to Secrets and non-secret settings", () => {
    assert.deepEqual(
      check({
        githubConfigSecret: "arc-github-app",
        existingSecret: "db-credentials",
        auth: { secretName: "x", tokenPath: "/var/run/token", passwordFile: "/etc/pw" },
        serviceAccount: { automountServiceAccountToken: false },
        admin: { password: "" },
        webhook: { secretKey: "tls.key" },
        oidc: { clientSecret: "$oidc.clientSecret", apiKey: "${API_KEY}", token: "$(TOKEN)" },
      }),
      [],
    );
  });

  it("fails literal secret values, by key", () => {
    assert.deepEqual(
      check({
        auth: { adminPassword: "hunter2" },
        oidc: { clientSecret: "abcdef" },
        api_key: "k",
        github: { token: "not a name!" },
      }),
      [
        `values.auth.adminPassword holds a literal admin password: ${FIX}`,
        `values.oidc.clientSecret holds a literal client secret: ${FIX}`,
        `values.api_key holds a literal api key: ${FIX}`,
        `values.github.token holds a literal token (not the name of a Secret): ${FIX}`,
      ],
    );
  });

  it("fails credentials whatever the key", () => {
    assert.deepEqual(
      check({
        githubConfigSecret: { github_token: `ghp_${"a".repeat(36)}` },
        extraEnv: [{ name: "KEY", value: "-----BEGIN RSA PRIVATE KEY-----\nMIIB..." }],
        region: "AKIAABCDEFGHIJKLMNOP",
      }),
      [
        `values.githubConfigSecret.github_token holds a GitHub token: ${FIX}`,
        `values.extraEnv[0].value holds a PEM private key: ${FIX}`,
        `values.region holds an AWS access key id: ${FIX}`,
      ],
    );
  });

  it("reads key names word by word", () => {
    assert.deepEqual(keyWords("githubConfigSecret"), ["github", "config", "secret"]);
    assert.deepEqual(keyWords("CLIENT_SECRET"), ["client", "secret"]);
    assert.deepEqual(keyWords("privateKeyPEM"), ["private", "key", "pem"]);
    assert.equal(secretKeyKind("privateKey"), "value");
    assert.equal(secretKeyKind("github-app-private-key"), "value");
    assert.equal(secretKeyKind("githubConfigSecret"), "maybe-reference");
    assert.equal(secretKeyKind("existingSecret"), undefined);
    assert.equal(secretKeyKind("secretName"), undefined);
    assert.equal(secretKeyKind("replicaCount"), undefined);
  });

  it("checks Helm releases only (a provider-built Chart arrives without properties)", () => {
    assert.deepEqual(resourceViolations(noSecretsInHelmValues, { type: CHART, props: {} }), []);
    assert.deepEqual(
      resourceViolations(noSecretsInHelmValues, {
        type: "kubernetes:core/v1:Secret",
        props: { stringData: { password: "p" } },
      }),
      [],
    );
  });
});

describe("policy no-secrets-in-configmaps", () => {
  const check = (data: Record<string, unknown>) =>
    resourceViolations(noSecretsInConfigMaps, {
      type: "kubernetes:core/v1:ConfigMap",
      props: { metadata: { name: "c" }, ...data },
    });

  it("passes configuration", () => {
    assert.deepEqual(
      check({ data: { arcVersion: "0.14.2", LOG_LEVEL: "info", "tls-secret": "gateway-tls" } }),
      [],
    );
  });

  it("fails secret-looking data", () => {
    assert.deepEqual(
      check({ data: { DATABASE_PASSWORD: "s3cret", id_rsa: "-----BEGIN OPENSSH PRIVATE KEY-----\n..." } }),
      [
        "data.DATABASE_PASSWORD holds a literal database password: move it to the secrets backend and read it through an ExternalSecret.",
        "data.id_rsa holds a PEM private key: move it to the secrets backend and read it through an ExternalSecret.",
      ],
    );
  });
});

describe("policy prod-protects-stateful", () => {
  const check = (input: PolicyInput, config = PROD) =>
    resourceViolations(prodProtectsStateful, input, config);

  it("fails unprotected CRD-bearing releases, CRDs, providers, XRDs, secrets and databases in prod", () => {
    const cases: Array<[PolicyInput, string]> = [
      [
        release("oci://quay.io/jetstack/charts/cert-manager", {}, { name: "cm" }),
        "cm is a release of the cert-manager chart, which installs CRDs (deleting a CRD deletes every object of its kind) and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).",
      ],
      [
        release("oci://docker.io/envoyproxy/gateway-helm", {}, { name: "envoy" }),
        "envoy is a release of the gateway-helm chart, which installs CRDs (deleting a CRD deletes every object of its kind) and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).",
      ],
      [
        { type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", name: "crd", props: {} },
        "crd is a CRD (deleting it deletes every object of its kind) and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).",
      ],
      [
        { type: "kubernetes:pkg.crossplane.io/v1:Provider", name: "p", props: {} },
        "p is a Crossplane provider (its managed resources need it to be updated or deleted) and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).",
      ],
      [
        {
          type: "kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition",
          name: "xrd",
          props: {},
        },
        "xrd is an XRD (deleting it deletes every composite resource of its kind, databases included) and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).",
      ],
      [
        { type: "aws:secretsmanager/secret:Secret", name: "s", props: {} },
        "s is a platform secret and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).",
      ],
      [
        { type: "aws:rds/instance:Instance", name: "db", props: {} },
        "db is a database and is not protected in prod: give it statefulProtection(profile) (components/kube.ts).",
      ],
    ];
    for (const [input, message] of cases) {
      assert.deepEqual(check(input), [message], input.type);
      assert.deepEqual(check({ ...input, protect: true }), [], `${input.type} protected`);
    }
  });

  it("passes releases without CRDs, and everything outside prod", () => {
    assert.deepEqual(check(release("ingress-nginx")), []);
    assert.deepEqual(check({ type: "kubernetes:core/v1:ConfigMap", props: {} }), []);
    assert.deepEqual(check(release("crossplane"), STAGING), []);
  });

  it("needs its profile: the engine refuses a run without it (tests/policy-engine.test.ts), never a silent default", () => {
    assert.throws(
      () => check(release("crossplane"), {}),
      /policy config profile undefined is not one of dev, staging, prod/,
    );
  });
});

describe("policy prod-protects-stateful-namespaces", () => {
  const namespace = (name: string, protect: boolean): PolicyInput => ({
    type: "kubernetes:core/v1:Namespace",
    name: `${name}-namespace`,
    props: { metadata: { name } },
    protect,
  });
  const resources = [
    release("crossplane", { namespace: "crossplane-system" }, { name: "crossplane", protect: true }),
    namespace("crossplane-system", false),
    {
      type: "kubernetes:core/v1:Secret",
      name: "key",
      props: { metadata: { name: "k", namespace: "idp-secrets" } },
      protect: true,
    },
    namespace("idp-secrets", true),
    release("ingress-nginx", { namespace: "ingress-nginx" }, { name: "nginx" }),
    namespace("ingress-nginx", false),
  ];

  it("fails a namespace holding protected state that is not protected itself, in prod", () => {
    assert.deepEqual(stackViolations(prodProtectsStatefulNamespaces, resources, PROD), [
      "Namespace crossplane-system holds crossplane, which prod protects, but is not protected itself (deleting the namespace deletes what it holds): give it statefulProtection(profile). [crossplane-system-namespace]",
    ]);
  });

  it("passes protected namespaces, and every namespace outside prod", () => {
    const fixed = resources.map((r) =>
      r.name === "crossplane-system-namespace" ? { ...r, protect: true } : r,
    );
    assert.deepEqual(stackViolations(prodProtectsStatefulNamespaces, fixed, PROD), []);
    assert.deepEqual(stackViolations(prodProtectsStatefulNamespaces, resources, STAGING), []);
  });
});

describe("policy management-repository-protected", () => {
  const repository = (name: string, protect: boolean): PolicyInput => ({
    type: "github:index/repository:Repository",
    name: `repo-${name}`,
    props: { name },
    protect,
  });

  it("fails an unprotected management repository in every profile", () => {
    const message =
      "The management repository platform-management is not protected: it is the GitOps source of every environment; register it with protect: true.";
    for (const config of [{}, profileConfig("dev"), PROD]) {
      assert.deepEqual(
        resourceViolations(managementRepositoryProtected, repository("platform-management", false), config),
        [message],
      );
    }
  });

  it("passes it protected, other repositories, and follows the configured name", () => {
    assert.deepEqual(
      resourceViolations(managementRepositoryProtected, repository("platform-management", true)),
      [],
    );
    assert.deepEqual(
      resourceViolations(managementRepositoryProtected, repository("app-template", false)),
      [],
    );
    const config = { "management-repository-protected": { managementRepository: "gitops" } };
    assert.equal(
      resourceViolations(managementRepositoryProtected, repository("gitops", false), config).length,
      1,
    );
    assert.deepEqual(
      resourceViolations(managementRepositoryProtected, repository("platform-management", false), config),
      [],
    );
  });
});

describe("policy iam-least-privilege", () => {
  const rolePolicy = (...statements: unknown[]): PolicyInput => ({
    type: "aws:iam/rolePolicy:RolePolicy",
    name: "policy",
    props: { role: "r", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
  });
  const check = (input: PolicyInput) => resourceViolations(iamLeastPrivilege, input);

  it("passes named actions on named resources, and region-bound Describe actions on *", () => {
    assert.deepEqual(
      check(
        rolePolicy(
          {
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue"],
            Resource: ["arn:aws:secretsmanager:eu-west-1:1:secret:idp/prod/*"],
          },
          {
            Effect: "Allow",
            Action: ["ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"],
            Resource: ["*"],
            Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } },
          },
          { Effect: "Deny", Action: "*", Resource: "*" },
        ),
      ),
      [],
    );
  });

  it("fails wildcard actions, NotAction and NotResource", () => {
    assert.deepEqual(
      check(
        rolePolicy(
          { Sid: "All", Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" },
          { Effect: "Allow", Action: ["s3:*", "s3:Get*"], Resource: ["arn:aws:s3:::b/*"] },
          { Effect: "Allow", NotAction: ["iam:*"], NotResource: ["arn:aws:iam::1:role/x"] },
        ),
      ),
      [
        'policy: statement All allows every action ("*"): name the actions it needs.',
        'policy: statement 2 allows every action of s3 ("s3:*"): name the actions it needs.',
        'policy: statement 2 allows the wildcard action "s3:Get*": name the actions it needs.',
        "policy: statement 3 allows every action except some (NotAction): name the actions it needs.",
        "policy: statement 3 applies to every resource except some (NotResource): name the resources.",
      ],
    );
  });

  it('fails "*" resources, unless every action is a Describe action under a Condition', () => {
    const why =
      'name the resources (only read-only Describe actions without resource-level permissions may use "*", and only under a Condition).';
    assert.deepEqual(
      check(
        rolePolicy(
          { Effect: "Allow", Action: ["rds:DeleteDBInstance"], Resource: "*" },
          { Effect: "Allow", Action: ["ec2:DescribeSecurityGroups"], Resource: ["*"] },
          {
            Effect: "Allow",
            Action: ["ec2:DescribeSecurityGroups", "ec2:CreateTags"],
            Resource: ["*"],
            Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } },
          },
          // Route53's zone listing has no resource and no condition: alone it passes, not with a change.
          { Effect: "Allow", Action: ["route53:ListHostedZones"], Resource: ["*"] },
          {
            Effect: "Allow",
            Action: ["route53:ListHostedZones", "route53:ChangeResourceRecordSets"],
            Resource: ["*"],
          },
        ),
      ),
      [
        `policy: statement 1 allows rds:DeleteDBInstance on every resource ("*"): ${why}`,
        `policy: statement 2 allows ec2:DescribeSecurityGroups on every resource ("*"): ${why}`,
        `policy: statement 3 allows ec2:DescribeSecurityGroups, ec2:CreateTags on every resource ("*"): ${why}`,
        `policy: statement 5 allows route53:ListHostedZones, route53:ChangeResourceRecordSets on every resource ("*"): ${why}`,
      ],
    );
  });

  it("fails a role anyone may assume, broad inline policies and administrator attachments", () => {
    assert.deepEqual(
      check({
        type: "aws:iam/role:Role",
        name: "role",
        props: {
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { AWS: "*" } }],
          }),
          inlinePolicies: [
            {
              name: "p",
              policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "arn:x" }] }),
            },
          ],
          managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
        },
      }),
      [
        'role: statement 1 of the trust policy lets any principal ("*") assume the role.',
        'role: inline policy: statement 1 allows every action ("*"): name the actions it needs.',
        "role: attaches arn:aws:iam::aws:policy/AdministratorAccess: write a scoped policy instead.",
      ],
    );
    assert.deepEqual(
      check({
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        name: "attach",
        props: { role: "r", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" },
      }),
      ["attach: attaches arn:aws:iam::aws:policy/AmazonS3FullAccess: write a scoped policy instead."],
    );
  });

  it("passes a trust policy naming its principal, and a scoped attachment", () => {
    assert.deepEqual(
      check({
        type: "aws:iam/role:Role",
        name: "role",
        props: {
          assumeRolePolicy: JSON.stringify({
            Statement: [
              { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "pods.eks.amazonaws.com" } },
            ],
          }),
        },
      }),
      [],
    );
    assert.deepEqual(
      check({
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        props: { policyArn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy" },
      }),
      [],
    );
  });

  it("says it could not judge a policy unknown in preview", () => {
    assert.deepEqual(check({ type: "aws:iam/rolePolicy:RolePolicy", props: { policy: UNKNOWN } }), [
      "skipped: can't run policy 'iam-least-privilege' during preview: string value at .policy can't be known during preview",
    ]);
  });
});

describe("policy letsencrypt-production-only-in-prod", () => {
  const issuer = (server: string, kind = "ClusterIssuer"): PolicyInput => ({
    type: `kubernetes:cert-manager.io/v1:${kind}`,
    name: "issuer",
    props: { metadata: { name: "le" }, spec: { acme: { server, email: "a@b.c" } } },
  });
  const PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory";
  const STAGING_SERVER = "https://acme-staging-v02.api.letsencrypt.org/directory";

  it("passes production in prod and staging anywhere", () => {
    assert.deepEqual(resourceViolations(letsEncryptProductionOnlyInProd, issuer(PRODUCTION), PROD), []);
    assert.deepEqual(
      resourceViolations(letsEncryptProductionOnlyInProd, issuer(STAGING_SERVER), profileConfig("dev")),
      [],
    );
    assert.deepEqual(
      resourceViolations(
        letsEncryptProductionOnlyInProd,
        { type: "kubernetes:cert-manager.io/v1:ClusterIssuer", props: { spec: { selfSigned: {} } } },
        {},
      ),
      [],
    );
  });

  it("fails production outside prod, for ClusterIssuers and Issuers", () => {
    assert.deepEqual(resourceViolations(letsEncryptProductionOnlyInProd, issuer(PRODUCTION), STAGING), [
      `issuer uses Let's Encrypt production (${PRODUCTION}) in a staging stack: only prod may; use letsencrypt-staging (idp:tls.issuer).`,
    ]);
    assert.equal(
      resourceViolations(letsEncryptProductionOnlyInProd, issuer(PRODUCTION, "Issuer"), profileConfig("dev"))
        .length,
      1,
    );
  });
});

describe("policy runners-not-privileged", () => {
  const scaleSet = (containerMode: "kubernetes" | "dind"): RunnerScaleSetArgs => ({
    name: "linux",
    runnerGroup: "Default",
    labels: [],
    minRunners: 0,
    maxRunners: 2,
    resources: {},
    containerMode,
    workVolumeSize: "10Gi",
  });
  const values = (mode: "kubernetes" | "dind") =>
    scaleSetValues({
      scaleSet: scaleSet(mode),
      githubOwner: "acme",
      controllerNamespace: "arc-systems",
      jobsNamespace: "arc-jobs",
      listenerResources: RUNNERS_DEFAULTS.listenerResources,
    });
  const scaleSetRelease = (v: Record<string, unknown>): PolicyInput =>
    release(
      "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set",
      { values: v },
      { name: "linux" },
    );
  const check = (input: PolicyInput) => resourceViolations(runnersNotPrivileged, input);
  const HINT =
    "without the opt-in: use containerMode kubernetes, or opt the scale set in to docker-in-docker (idp:runners.scaleSets[].containerMode dind), which marks it with idp.platform/privileged-opt-in.";

  it("passes kubernetes-mode scale sets, and dind scale sets the program marks as opted in", () => {
    assert.deepEqual(check(scaleSetRelease(values("kubernetes"))), []);
    const dind = values("dind");
    assert.equal(
      (dind["template"] as { metadata: { annotations: Record<string, string> } }).metadata.annotations[
        PRIVILEGED_OPT_IN_ANNOTATION
      ],
      "docker-in-docker",
    );
    assert.deepEqual(check(scaleSetRelease(dind)), []);
  });

  it("fails a privileged runner without the opt-in", () => {
    const dind = values("dind") as { template: { metadata?: unknown } };
    delete dind.template.metadata;
    assert.deepEqual(check(scaleSetRelease(dind)), [
      `linux: values.template.spec.initContainers[1] (dind) is privileged ${HINT}`,
    ]);
    assert.deepEqual(check(scaleSetRelease({ containerMode: { type: "dind" } })), [
      `linux: values.containerMode.type is dind (a privileged Docker daemon) ${HINT}`,
    ]);
    assert.deepEqual(
      check(
        scaleSetRelease({
          template: {
            spec: {
              containers: [{ name: "runner", securityContext: { capabilities: { add: ["SYS_ADMIN"] } } }],
            },
          },
        }),
      ),
      [`linux: values.template.spec.containers[0] (runner) adds SYS_ADMIN ${HINT}`],
    );
  });

  it("fails host access and privileged listeners even with the opt-in", () => {
    const v = {
      template: {
        metadata: { annotations: { [PRIVILEGED_OPT_IN_ANNOTATION]: "docker-in-docker" } },
        spec: {
          hostNetwork: true,
          volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }],
          containers: [],
        },
      },
      listenerTemplate: {
        spec: { containers: [{ name: "listener", securityContext: { privileged: true } }] },
      },
    };
    assert.deepEqual(check(scaleSetRelease(v)), [
      "linux: values.template.spec.hostNetwork: runner pods never get host access.",
      "linux: values.template.spec.volumes[0] (hostPath): runner pods never get host access.",
      "linux: values.listenerTemplate.spec.containers[0] (listener) is privileged: listener pods are never privileged.",
    ]);
  });

  it("leaves other charts alone", () => {
    assert.deepEqual(
      check(
        release("some-chart", {
          values: { template: { spec: { containers: [{ securityContext: { privileged: true } }] } } },
        }),
      ),
      [],
    );
  });
});

describe("policy no-cluster-built-components", () => {
  it("refuses every component the Kubernetes provider builds itself, by type alone", () => {
    for (const type of [
      CHART,
      "kubernetes:yaml/v2:ConfigGroup",
      "kubernetes:yaml/v2:ConfigFile",
      "kubernetes:kustomize/v2:Directory",
    ]) {
      const violations = resourceViolations(noClusterBuiltComponents, { type, name: "x", props: {} });
      assert.equal(violations.length, 1, type);
      assert.match(
        violations[0]!,
        new RegExp(`^x is a ${type.replace(/[/.]/g, "\\$&")}, which the Kubernetes provider builds itself`),
      );
    }
    assert.deepEqual(
      resourceViolations(noClusterBuiltComponents, release("oci://quay.io/jetstack/charts/cert-manager")),
      [],
    );
  });
});

/**
 * External Secrets Operator: the pinned chart and its values, the ClusterSecretStore of each backend,
 * ESO's IAM scope (read below the prefix, write only database secrets), the locked-down in-cluster
 * backend, readiness, protection, and the store against the upstream schemas.
 */
import * as assert from "node:assert/strict";
import type { AwsContext } from "../components/contracts";
import { externalSecret } from "../components/secrets-backend";
import {
  EXTERNAL_SECRETS_DEFAULTS,
  ExternalSecrets,
  externalSecretsArgsProblems,
  externalSecretsPolicy,
  secretArnPattern,
  secretsManagerDeletion,
  dockerConfigTemplate,
  teamSecretsPolicy,
  teamSecretsTrust,
} from "../components/external-secrets";
import { CHARTS } from "../components/versions";
import { PROFILES } from "../stacks/profiles";
import { chartValuesValidator } from "./chart-schema";
import { crdValidator } from "./crd-schema";
import { editedConfig, synthProgram, synthStack, type Synth } from "./harness";
import { modelErrors } from "./kubernetes-models";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const STORE = "kubernetes:external-secrets.io/v1:ClusterSecretStore";

const prodAws: AwsContext = {
  accountId: "444455556666",
  region: "us-east-2",
  partition: "aws",
  identity: "irsa",
  oidcProviderArn:
    "arn:aws:iam::444455556666:oidc-provider/oidc.eks.us-east-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9",
  clusterName: "fixture-prod",
};

function values(synth: Synth): Record<string, unknown> {
  return synth.inputs(synth.one(RELEASE, "idp-external-secrets-release"))["values"] as Record<
    string,
    unknown
  >;
}

function storeSpec(synth: Synth): unknown {
  return synth.inputs(synth.one(STORE, "idp-external-secrets-store"))["spec"];
}

describe("External Secrets Operator", () => {
  let dev: Synth;
  let staging: Synth;
  let prod: Synth;
  let prodWithKey: Synth;

  before(async () => {
    dev = await synthStack("dev");
    staging = await synthStack("staging");
    prod = await synthStack("prod");
    prodWithKey = await synthStack("prod", {
      config: editedConfig("prod", (c) => {
        const secrets = c.values["idp:secrets"] as Record<string, unknown>;
        secrets["prefix"] = "platform/eu";
        secrets["recoveryWindowInDays"] = 14;
        secrets["kmsKeyArn"] = "arn:aws:kms:us-east-2:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
      }),
    });
  });

  it("installs the pinned chart with its CRDs, kept on uninstall", () => {
    const release = dev.inputs(dev.one(RELEASE, "idp-external-secrets-release"));
    assert.equal(release["chart"], "external-secrets");
    assert.equal(release["version"], CHARTS.externalSecrets.version);
    assert.deepEqual(release["repositoryOpts"], { repo: "https://charts.external-secrets.io" });
    assert.equal(release["namespace"], "external-secrets");
    const { resources } = EXTERNAL_SECRETS_DEFAULTS;
    const single = { enabled: false, minAvailable: 1 };
    assert.deepEqual(values(dev), {
      installCRDs: true,
      crds: { annotations: { "helm.sh/resource-policy": "keep" } },
      replicaCount: 1,
      leaderElect: false,
      podDisruptionBudget: single,
      resources: resources.controller,
      serviceAccount: { name: "external-secrets", annotations: {} },
      webhook: { replicaCount: 1, podDisruptionBudget: single, resources: resources.webhook },
      certController: { replicaCount: 1, podDisruptionBudget: single, resources: resources.certController },
    });
  });

  it("runs several replicas with leader election and disruption budgets outside dev", () => {
    const prodValues = values(prod);
    assert.equal(prodValues["replicaCount"], 3);
    assert.equal(prodValues["leaderElect"], true);
    assert.deepEqual(prodValues["podDisruptionBudget"], { enabled: true, minAvailable: 1 });
    assert.deepEqual(prodValues["serviceAccount"], {
      name: "external-secrets",
      annotations: {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::444455556666:role/fixture-prod-external-secrets",
      },
    });
    assert.equal(values(staging)["replicaCount"], 2);
    assert.deepEqual(values(staging)["serviceAccount"], { name: "external-secrets", annotations: {} });
  });

  it("passes the chart's values schema (draft 2020-12)", function () {
    const validate = chartValuesValidator("external-secrets", CHARTS.externalSecrets.version);
    if (!validate) {
      console.log("      (skipped: ../shared/chart-schemas is not beside this clone)");
      this.skip();
    }
    for (const synth of [dev, staging, prod]) assert.deepEqual(validate(values(synth)), []);
    assert.notDeepEqual(validate({ replicaCount: "3" }), [], "the validator rejects a wrong type");
  });

  describe("AWS Secrets Manager backend", () => {
    it("lets ESO read the platform's secrets, never a team's, and assume the team role; nothing on *", () => {
      const teamRole = "arn:aws:iam::444455556666:role/fixture-prod-external-secrets-teams";
      assert.deepEqual(externalSecretsPolicy(prodAws, "idp/prod", { teamRoleArn: teamRole }), {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "ReadPlatformSecrets",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Resource: ["arn:aws:secretsmanager:us-east-2:444455556666:secret:idp/prod/*"],
          },
          {
            Sid: "NoTeamSecrets",
            Effect: "Deny",
            Action: [
              "secretsmanager:GetSecretValue",
              "secretsmanager:CreateSecret",
              "secretsmanager:PutSecretValue",
              "secretsmanager:DeleteSecret",
            ],
            Resource: ["arn:aws:secretsmanager:us-east-2:444455556666:secret:idp/prod/databases/*"],
          },
          {
            Sid: "AssumeTeamRole",
            Effect: "Allow",
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Resource: [teamRole],
          },
        ],
      });
      const inline = prod.one("aws:iam/rolePolicy:RolePolicy", "idp-external-secrets-identity-policy");
      assert.deepEqual(
        JSON.parse(prod.inputs(inline)["policy"] as string),
        externalSecretsPolicy(prodAws, "idp/prod", { teamRoleArn: teamRole }),
      );
      assert.equal(
        secretArnPattern({ ...prodAws, partition: "aws-cn", region: "cn-north-1" }, "p"),
        "arn:aws-cn:secretsmanager:cn-north-1:444455556666:secret:p/*",
      );
    });

    it("gives the team stores one role, trusted by ESO's only, that reaches the session's own namespace", () => {
      const role = prod.inputs(prod.one("aws:iam/role:Role", "idp-external-secrets-team-role"));
      assert.equal(role["name"], "fixture-prod-external-secrets-teams");
      assert.deepEqual(
        JSON.parse(role["assumeRolePolicy"] as string),
        teamSecretsTrust("arn:aws:iam::444455556666:role/fixture-prod-external-secrets"),
      );
      assert.deepEqual(teamSecretsTrust("arn:x"), {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "TeamStoresOfExternalSecrets",
            Effect: "Allow",
            Principal: { AWS: "arn:x" },
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Condition: { StringLike: { "aws:RequestTag/idp-namespace": "team-*" } },
          },
        ],
      });
      const policy = JSON.parse(
        prod.inputs(prod.one("aws:iam/rolePolicy:RolePolicy", "idp-external-secrets-team-role-policy"))[
          "policy"
        ] as string,
      ) as unknown;
      // Prod keeps pushed passwords (no DeleteSecret); the registry login is readable, nothing else.
      assert.deepEqual(policy, {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "OwnDatabaseSecrets",
            Effect: "Allow",
            Action: [
              "secretsmanager:GetSecretValue",
              "secretsmanager:DescribeSecret",
              "secretsmanager:CreateSecret",
              "secretsmanager:PutSecretValue",
              "secretsmanager:TagResource",
            ],
            Resource: [
              "arn:aws:secretsmanager:us-east-2:444455556666:secret:idp/prod/databases/${aws:PrincipalTag/idp-namespace}/*",
            ],
          },
          {
            Sid: "RegistryPullCredentials",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Resource: ["arn:aws:secretsmanager:us-east-2:444455556666:secret:idp/prod/registry/pull-??????"],
          },
        ],
      });
      // Where databases are deleted with their data (staging), their pushed passwords may be too.
      const stagingPolicy = JSON.parse(
        staging.inputs(staging.one("aws:iam/rolePolicy:RolePolicy", "idp-external-secrets-team-role-policy"))[
          "policy"
        ] as string,
      ) as { Statement: Array<{ Sid: string; Action: string[] }> };
      assert.ok(stagingPolicy.Statement[0]!.Action.includes("secretsmanager:DeleteSecret"));
      // Staging has no registry login: no statement for it.
      assert.deepEqual(
        stagingPolicy.Statement.map((st) => st.Sid),
        ["OwnDatabaseSecrets"],
      );
      assert.deepEqual(
        teamSecretsPolicy(prodAws, "p", {
          kmsKeyArn: "arn:aws:kms:us-east-2:444455556666:key/k",
        }).Statement.map((st) => st.Sid),
        ["OwnDatabaseSecrets", "UsePlatformKey"],
      );
    });

    it("gives every team namespace a store of its own: only that namespace, the team role with its tag", () => {
      const stores = prod
        .kind("ClusterSecretStore")
        .map((r) => prod.inputs<{ metadata: { name: string }; spec: unknown }>(r));
      assert.deepEqual(stores.map((st) => st.metadata.name).sort(), [
        "platform-secrets",
        "secrets-team-core",
        "secrets-team-orders",
        "secrets-team-search",
      ]);
      assert.deepEqual(stores.find((st) => st.metadata.name === "secrets-team-orders")!.spec, {
        provider: {
          aws: {
            service: "SecretsManager",
            region: "us-east-2",
            secretsManager: { recoveryWindowInDays: 30 },
            role: "arn:aws:iam::444455556666:role/fixture-prod-external-secrets-teams",
            sessionTags: [{ key: "idp-namespace", value: "team-orders" }],
          },
        },
        conditions: [{ namespaces: ["team-orders"] }],
      });
      const store = prod.one(STORE, "idp-external-secrets-store-team-orders");
      assert.ok(
        prod.dependsOn(
          store,
          prod.one("aws:iam/rolePolicy:RolePolicy", "idp-external-secrets-team-role-policy"),
        ),
      );
      assert.ok(prod.dependsOn(store, prod.one(RELEASE, "idp-external-secrets-release")));
    });

    it("adds the customer-managed key, through Secrets Manager only, and honours prefix and window", () => {
      const inline = prodWithKey.one("aws:iam/rolePolicy:RolePolicy", "idp-external-secrets-identity-policy");
      const policy = JSON.parse(prodWithKey.inputs(inline)["policy"] as string) as {
        Statement: Array<{ Sid: string; Resource: string[] }>;
      };
      const key = {
        Sid: "UsePlatformKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: ["arn:aws:kms:us-east-2:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"],
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-2.amazonaws.com" } },
      };
      assert.deepEqual(policy.Statement[3], key);
      assert.deepEqual(policy.Statement[1]!.Resource, [
        "arn:aws:secretsmanager:us-east-2:444455556666:secret:platform/eu/databases/*",
      ]);
      const teams = JSON.parse(
        prodWithKey.inputs(
          prodWithKey.one("aws:iam/rolePolicy:RolePolicy", "idp-external-secrets-team-role-policy"),
        )["policy"] as string,
      ) as { Statement: unknown[] };
      assert.deepEqual(teams.Statement.at(-1), key);
      assert.ok(prodWithKey.result.stackOutputs["nextSteps"]);
      const steps = prodWithKey.result.stackOutputs["nextSteps"] as string[];
      assert.ok(steps.some((line) => line.includes("below platform/eu/")));
    });

    it("binds the role to ESO's service account through IRSA (prod) or Pod Identity (staging)", () => {
      const trust = JSON.parse(
        prod.inputs(prod.one("aws:iam/role:Role", "idp-external-secrets-identity"))[
          "assumeRolePolicy"
        ] as string,
      ) as { Statement: Array<{ Condition: { StringEquals: Record<string, string> } }> };
      assert.equal(
        trust.Statement[0]!.Condition.StringEquals[
          "oidc.eks.us-east-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9:sub"
        ],
        "system:serviceaccount:external-secrets:external-secrets",
      );
      const association = staging.inputs(
        staging.one(
          "aws:eks/podIdentityAssociation:PodIdentityAssociation",
          "idp-external-secrets-identity-association",
        ),
      );
      assert.deepEqual(
        [association["namespace"], association["serviceAccount"]],
        ["external-secrets", "external-secrets"],
      );
      assert.equal(
        staging.inputs(staging.one("aws:iam/role:Role", "idp-external-secrets-identity"))["name"],
        "fixture-staging-external-secrets",
      );
    });

    it("points the ClusterSecretStore at Secrets Manager with ESO's own identity, for the platform's namespaces only", () => {
      assert.deepEqual(storeSpec(prod), {
        provider: {
          aws: {
            service: "SecretsManager",
            region: "us-east-2",
            // The profile's window (prod: 30 days) instead of ESO's silent AWS default.
            secretsManager: { recoveryWindowInDays: 30 },
          },
        },
        // Namespaces Pulumi creates; a team's namespace (Argo CD's) carries none of these labels.
        conditions: [
          {
            namespaceSelector: {
              matchLabels: { "app.kubernetes.io/part-of": "idp", "app.kubernetes.io/managed-by": "pulumi" },
            },
          },
        ],
      });
      assert.deepEqual(secretsManagerDeletion(0), { forceDeleteWithoutRecovery: true });
      assert.deepEqual(secretsManagerDeletion(7), { recoveryWindowInDays: 7 });
      const store = prod.one(STORE, "idp-external-secrets-store");
      assert.equal((prod.inputs(store)["metadata"] as { name: string }).name, "platform-secrets");
      assert.ok(prod.dependsOn(store, prod.one(RELEASE, "idp-external-secrets-release")));
      assert.ok(prod.dependsOn(store, prod.byName("idp-external-secrets-identity-policy")));
      assert.equal(prod.result.stackOutputs["secretStore"], "platform-secrets");
      // No in-cluster backend pieces on AWS stacks.
      assert.equal(prod.find((r) => r.name.startsWith("idp-external-secrets-secrets-")).length, 0);
    });
  });

  describe("in-cluster backend", () => {
    it("locks the secrets namespace down: restricted, no pods, no traffic", () => {
      const namespace = dev.inputs(
        dev.one("kubernetes:core/v1:Namespace", "idp-external-secrets-secrets-namespace"),
      );
      const labels = (namespace["metadata"] as { name: string; labels: Record<string, string> }).labels;
      assert.equal((namespace["metadata"] as { name: string }).name, "idp-secrets");
      assert.equal(labels["pod-security.kubernetes.io/enforce"], "restricted");
      const quota = dev.inputs(
        dev.one("kubernetes:core/v1:ResourceQuota", "idp-external-secrets-secrets-no-pods"),
      );
      assert.deepEqual(quota["spec"], { hard: { pods: "0" } });
      const denyAll = dev.inputs(
        dev.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "idp-external-secrets-secrets-deny-all"),
      );
      assert.deepEqual(denyAll["spec"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      assert.equal((denyAll["metadata"] as { namespace: string }).namespace, "idp-secrets");
    });

    it("gives the store a dedicated account: read secrets there, write and delete only databases-* Secrets", async () => {
      const account = dev.inputs(
        dev.one("kubernetes:core/v1:ServiceAccount", "idp-external-secrets-store-account"),
      );
      assert.deepEqual(account["metadata"], {
        name: "platform-secret-store",
        namespace: "external-secrets",
        labels: { "app.kubernetes.io/part-of": "idp", "app.kubernetes.io/managed-by": "pulumi" },
      });
      assert.equal(account["automountServiceAccountToken"], false);
      const role = dev.inputs(
        dev.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "idp-external-secrets-store-role"),
      );
      assert.equal((role["metadata"] as { namespace: string }).namespace, "idp-secrets");
      assert.deepEqual(role["rules"], [
        { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
        // delete: a dev database's PushSecret removes its copy before its finalizer goes.
        { apiGroups: [""], resources: ["secrets"], verbs: ["create", "update", "delete"] },
      ]);
      const binding = dev.inputs(
        dev.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "idp-external-secrets-store-binding"),
      );
      assert.deepEqual(binding["subjects"], [
        { kind: "ServiceAccount", name: "platform-secret-store", namespace: "external-secrets" },
      ]);
      const review = dev.inputs(
        dev.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "idp-external-secrets-store-review"),
      );
      assert.deepEqual(review["rules"], [
        {
          apiGroups: ["authorization.k8s.io"],
          resources: ["selfsubjectrulesreviews", "selfsubjectaccessreviews"],
          verbs: ["create"],
        },
      ]);
      const policy = dev.inputs(
        dev.one(
          "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
          "idp-external-secrets-store-write-policy",
        ),
      );
      assert.deepEqual(policy["spec"], {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [""],
              apiVersions: ["v1"],
              operations: ["CREATE", "UPDATE", "DELETE"],
              resources: ["secrets"],
            },
          ],
        },
        matchConditions: [
          {
            name: "store-account",
            // Every store's account: the platform's and one per team namespace.
            expression:
              'request.userInfo.username in ["system:serviceaccount:external-secrets:platform-secret-store", "system:serviceaccount:external-secrets:secret-store-team-core", "system:serviceaccount:external-secrets:secret-store-team-orders", "system:serviceaccount:external-secrets:secret-store-team-search"]',
          },
        ],
        validations: [
          {
            expression:
              '(request.operation == "DELETE" ? oldObject : object).metadata.name.startsWith("databases-")',
            message: "the secret stores may write and delete only databases-* Secrets",
          },
        ],
      });
      // The expression as the API server evaluates it: on DELETE only oldObject is set.
      const { evaluate } = await import("@marcbachmann/cel-js");
      const expression = (policy["spec"] as { validations: Array<{ expression: string }> }).validations[0]!
        .expression;
      const allowed = (operation: string, name: string): unknown =>
        evaluate(
          expression,
          operation === "DELETE"
            ? { request: { operation }, object: null, oldObject: { metadata: { name } } }
            : { request: { operation }, object: { metadata: { name } }, oldObject: null },
        );
      assert.equal(allowed("DELETE", "databases-team-a-db-app"), true);
      assert.equal(allowed("DELETE", "argocd-admin"), false);
      assert.equal(allowed("CREATE", "databases-team-a-db-app"), true);
      assert.equal(allowed("UPDATE", "runners-github-app"), false);
      const policyBinding = dev.inputs(
        dev.one(
          "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
          "idp-external-secrets-store-write-policy-binding",
        ),
      );
      assert.deepEqual(policyBinding["spec"], {
        policyName: "platform-secret-store-writes-databases-only",
        validationActions: ["Deny"],
        // Every secrets namespace (the platform's and the teams'), which all carry the label.
        matchResources: { namespaceSelector: { matchLabels: { "idp.platform/purpose": "secrets" } } },
      });
    });

    it("reads the namespace through ESO's Kubernetes provider, once access is in place", () => {
      assert.deepEqual(storeSpec(dev), {
        provider: {
          kubernetes: {
            remoteNamespace: "idp-secrets",
            server: {
              caProvider: {
                type: "ConfigMap",
                name: "kube-root-ca.crt",
                key: "ca.crt",
                namespace: "idp-secrets",
              },
            },
            auth: { serviceAccount: { name: "platform-secret-store", namespace: "external-secrets" } },
          },
        },
        conditions: [
          {
            namespaceSelector: {
              matchLabels: { "app.kubernetes.io/part-of": "idp", "app.kubernetes.io/managed-by": "pulumi" },
            },
          },
        ],
      });
      const store = dev.one(STORE, "idp-external-secrets-store");
      for (const prerequisite of [
        "idp-external-secrets-release",
        "idp-external-secrets-store-binding",
        "idp-external-secrets-store-review-binding",
        "idp-external-secrets-store-write-policy-binding",
        "idp-external-secrets-secrets-namespace",
      ]) {
        assert.ok(dev.dependsOn(store, dev.byName(prerequisite)), `the store waits for ${prerequisite}`);
      }
      const metadata = dev.inputs(store)["metadata"] as { annotations: Record<string, string> };
      assert.equal(metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
    });
    it("gives each team namespace its own locked-down secrets namespace, account and store", () => {
      const spec = dev.inputs(dev.one(STORE, "idp-external-secrets-store-team-orders"))["spec"];
      assert.deepEqual(spec, {
        provider: {
          kubernetes: {
            remoteNamespace: "idp-secrets-team-orders",
            server: {
              caProvider: {
                type: "ConfigMap",
                name: "kube-root-ca.crt",
                key: "ca.crt",
                namespace: "idp-secrets-team-orders",
              },
            },
            auth: { serviceAccount: { name: "secret-store-team-orders", namespace: "external-secrets" } },
          },
        },
        conditions: [{ namespaces: ["team-orders"] }],
      });
      const holder = dev.inputs<{ metadata: { name: string; labels: Record<string, string> } }>(
        dev.one("kubernetes:core/v1:Namespace", "idp-external-secrets-team-orders-secrets-namespace"),
      );
      assert.equal(holder.metadata.name, "idp-secrets-team-orders");
      assert.equal(holder.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
      assert.deepEqual(
        dev.inputs(
          dev.one("kubernetes:core/v1:ResourceQuota", "idp-external-secrets-team-orders-secrets-no-pods"),
        )["spec"],
        { hard: { pods: "0" } },
      );
      const binding = dev.inputs(
        dev.one(
          "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
          "idp-external-secrets-team-orders-store-binding",
        ),
      );
      assert.deepEqual(binding["metadata"], {
        name: "secret-store-team-orders",
        namespace: "idp-secrets-team-orders",
        labels: { "app.kubernetes.io/part-of": "idp", "app.kubernetes.io/managed-by": "pulumi" },
      });
      assert.deepEqual(binding["subjects"], [
        { kind: "ServiceAccount", name: "secret-store-team-orders", namespace: "external-secrets" },
      ]);
      // One account per store, none bound anywhere but its own secrets namespace.
      const bindings = dev
        .find(
          (r) =>
            r.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" &&
            r.name.startsWith("idp-external-secrets-"),
        )
        .map((r) => dev.inputs<{ metadata: { namespace: string }; subjects: Array<{ name: string }> }>(r));
      assert.deepEqual(
        bindings.map((b) => `${b.subjects.map((x) => x.name).join()}@${b.metadata.namespace}`).sort(),
        [
          "platform-secret-store@idp-secrets",
          "secret-store-team-core@idp-secrets-team-core",
          "secret-store-team-orders@idp-secrets-team-orders",
          "secret-store-team-search@idp-secrets-team-search",
        ],
      );
    });
  });

  describe("registry login in every team namespace", () => {
    it("reaches each team namespace through its own store as a dockerconfigjson Secret", () => {
      for (const synth of [dev, prod]) {
        const secrets = synth
          .kind("ClusterExternalSecret")
          .map((r) => synth.inputs<{ metadata: { name: string }; spec: Record<string, unknown> }>(r));
        assert.deepEqual(secrets.map((x) => x.metadata.name).sort(), [
          "registry-pull-team-core",
          "registry-pull-team-orders",
          "registry-pull-team-search",
        ]);
        const orders = secrets.find((x) => x.metadata.name === "registry-pull-team-orders")!;
        const remoteKey = synth === prod ? "idp/prod/registry/pull" : "registry-pull";
        assert.deepEqual(orders.spec, {
          externalSecretName: "registry-pull",
          namespaceSelectors: [{ matchLabels: { "kubernetes.io/metadata.name": "team-orders" } }],
          refreshTime: "1h",
          externalSecretSpec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: "secrets-team-orders" },
            target: {
              name: "registry-pull",
              creationPolicy: "Owner",
              template: {
                engineVersion: "v2",
                type: "kubernetes.io/dockerconfigjson",
                data: {
                  ".dockerconfigjson":
                    '{"auths":{"ghcr.io":{"username":"{{ .username }}","password":"{{ .token }}","auth":"{{ printf "%s:%s" .username .token | b64enc }}"}}}',
                },
              },
            },
            data: [
              { secretKey: "username", remoteRef: { key: remoteKey, property: "username" } },
              { secretKey: "token", remoteRef: { key: remoteKey, property: "token" } },
            ],
          },
        });
      }
      // The in-cluster backend copies the login into each team's own secrets namespace.
      const copy = dev.inputs<{ metadata: { name: string; namespace: string } }>(
        dev.one("kubernetes:core/v1:Secret", "idp-external-secrets-registry-team-orders"),
      );
      assert.deepEqual(
        [copy.metadata.name, copy.metadata.namespace],
        ["registry-pull", "idp-secrets-team-orders"],
      );
      const stored = prod.inputs<{ name: string }>(
        prod.one("aws:secretsmanager/secret:Secret", "idp-external-secrets-registry"),
      );
      assert.equal(stored.name, "idp/prod/registry/pull");
    });

    it("renders a login kubelet accepts, with ESO's template functions", () => {
      // ESO's engine v2 is Go text/template with sprig: `printf` and `b64enc` as below.
      const rendered = dockerConfigTemplate("ghcr.io")
        .replace(
          /\{\{ printf "%s:%s" \.username \.token \| b64enc \}\}/,
          Buffer.from("bot:tok").toString("base64"),
        )
        .replace("{{ .username }}", "bot")
        .replace("{{ .token }}", "tok");
      assert.deepEqual(JSON.parse(rendered), {
        auths: {
          "ghcr.io": { username: "bot", password: "tok", auth: Buffer.from("bot:tok").toString("base64") },
        },
      });
    });

    it("is absent where the stack has no registry login, and Apps then name no pull Secret", () => {
      assert.deepEqual(staging.kind("ClusterExternalSecret"), []);
      assert.equal(staging.find((r) => r.name.includes("registry")).length, 0);
    });
  });

  it("does not wait for cert-manager or the ingress layer", () => {
    const release = prod.one(RELEASE, "idp-external-secrets-release");
    const store = prod.one(STORE, "idp-external-secrets-store");
    for (const other of ["idp-cert-manager-release", "idp-envoy-gateway-release"]) {
      assert.ok(!prod.dependsOn(release, prod.byName(other)), `ESO is independent of ${other}`);
      assert.ok(!prod.dependsOn(store, prod.byName(other)), `the store is independent of ${other}`);
    }
  });

  it("admits only webhook traffic into ESO's namespace", () => {
    const deny = dev.inputs(
      dev.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "idp-external-secrets-deny-ingress"),
    );
    assert.deepEqual(deny["spec"], { podSelector: {}, policyTypes: ["Ingress"] });
    const webhook = dev.inputs(
      dev.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "idp-external-secrets-allow-webhook"),
    );
    assert.deepEqual(webhook["spec"], {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "external-secrets-webhook" } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ protocol: "TCP", port: 10250 }] }],
    });
  });

  it("protects and retains the namespaces and the release as the profile says", () => {
    for (const [synth, expected, names] of [
      [
        dev,
        false,
        [
          "idp-external-secrets-namespace",
          "idp-external-secrets-release",
          "idp-external-secrets-secrets-namespace",
        ],
      ],
      [prod, true, ["idp-external-secrets-namespace", "idp-external-secrets-release"]],
    ] as const) {
      for (const name of names) {
        const record = synth.byName(name);
        assert.deepEqual([record.options.protect, record.options.retainOnDelete], [expected, expected], name);
      }
    }
  });

  it("hands parts a backend whose ExternalSecrets wait for the store", async () => {
    const synth = await synthProgram(() => {
      const eso = new ExternalSecrets("eso", { profile: PROFILES.dev, backend: { kind: "kubernetes" } });
      assert.equal(eso.backend.kind, "kubernetes");
      assert.equal(eso.backend.remoteKey("databases/team-a/orders"), "databases-team-a-orders");
      const stored = eso.backend.put(
        "eso-webhook",
        { name: "argocd/webhook", description: "d", data: { secret: "s" } },
        { parent: eso },
      );
      externalSecret(
        "argocd-webhook",
        {
          name: "argocd-webhook",
          namespace: "argocd",
          store: eso.store,
          data: [{ secretKey: "secret", from: stored, property: "secret" }],
        },
        {},
      );
    });
    const es = synth.one("kubernetes:external-secrets.io/v1:ExternalSecret", "argocd-webhook");
    assert.ok(synth.dependsOn(es, synth.one(STORE, "eso-store")));
    assert.ok(synth.dependsOn(es, synth.one(RELEASE, "eso-release")));
    const secret = synth.inputs(synth.one("kubernetes:core/v1:Secret", "eso-webhook"));
    assert.equal((secret["metadata"] as { namespace: string }).namespace, "idp-secrets");
  });

  it("refuses inconsistent arguments when used directly", () => {
    const aws = (prefix: string, recoveryWindowInDays: number) =>
      externalSecretsArgsProblems({
        profile: PROFILES.prod,
        backend: { kind: "aws-secrets-manager", aws: prodAws, prefix, recoveryWindowInDays },
      });
    assert.deepEqual(aws("idp/prod", 30), []);
    assert.deepEqual(aws("idp/prod", 0), []);
    assert.deepEqual(aws("idp/prod/", 3), [
      'prefix "idp/prod/" must be non-empty and must not start or end with "/"',
      "recoveryWindowInDays 3 must be 0 or between 7 and 30",
    ]);
    assert.deepEqual(
      externalSecretsArgsProblems({ profile: PROFILES.dev, backend: { kind: "kubernetes" } }),
      [],
    );
  });

  it("creates only external-secrets.io/v1 objects the upstream schemas accept", async function () {
    const validator = crdValidator();
    for (const synth of [dev, staging, prod]) {
      const objects = synth.find((r) => r.type.startsWith("kubernetes:external-secrets.io/"));
      assert.ok(objects.length > 0);
      for (const record of objects) {
        assert.ok(record.type.startsWith("kubernetes:external-secrets.io/v1:"), record.type);
        const object = synth.inputs(record);
        assert.deepEqual(
          await modelErrors(object),
          [],
          `${record.name} (@kubernetes-models/external-secrets)`,
        );
        if (validator) assert.deepEqual(validator.validate(object), [], `${record.name} (../shared/crds)`);
      }
    }
    if (!validator) this.skip(); // ../shared is absent: validated against @kubernetes-models only
  });
});

/**
 * External Secrets Operator, the platform's ClusterSecretStore and the secrets backend behind it.
 *
 * - `aws-secrets-manager`: ESO's controller service account gets an IAM role (IRSA or EKS Pod Identity)
 *   that reads secrets below the platform prefix and writes only below `<prefix>/databases/`, where the
 *   SQLDatabase composition pushes generated passwords (ESO PushSecret).
 * - `kubernetes` (local stacks): secrets live in a locked-down namespace (restricted Pod Security, no pods
 *   allowed by quota, default-deny NetworkPolicy). The store authenticates as a dedicated service account
 *   that may read Secrets there and write only `databases-*` Secrets (RBAC cannot scope create by name; a
 *   ValidatingAdmissionPolicy does).
 *
 * Only `external-secrets.io/v1` objects are created; the chart installs the CRDs and keeps them on uninstall.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile } from "./profile";
import {
  workloadIdentity,
  type PolicyDocument,
  type PolicyStatement,
  type WorkloadIdentity,
} from "./aws-identity";
import type { AwsContext, Readiness, SecretsBackend, SecretStoreRef } from "./contracts";
import { DATABASE_SECRETS_PREFIX, PLATFORM_SECRET_STORE } from "./conventions";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection, waitFor } from "./kube";
import { AwsSecretsManagerBackend, KubernetesSecretsBackend } from "./secrets-backend";
import { CHARTS } from "./versions";

export type ExternalSecretsBackendArgs =
  | { readonly kind: "kubernetes" }
  | {
      readonly kind: "aws-secrets-manager";
      readonly aws: AwsContext;
      /** Name prefix of every platform secret, e.g. `idp/prod` (no trailing `/`). */
      readonly prefix: string;
      /** Days a deleted secret stays recoverable (0, or 7–30). */
      readonly recoveryWindowInDays: number;
      /** Customer-managed KMS key of the secrets. Default: the account's `aws/secretsmanager` key. */
      readonly kmsKeyArn?: string;
    };

export interface ExternalSecretsArgs {
  /** Environment profile: replicas and protection. */
  readonly profile: EnvironmentProfile;
  /** Where the platform's secrets live. */
  readonly backend: ExternalSecretsBackendArgs;
  /** Name of ESO's namespace. Default `external-secrets`. */
  readonly namespace?: string;
  /** Name of the in-cluster secrets namespace (kubernetes backend). Default `idp-secrets`. */
  readonly secretsNamespace?: string;
}

export const EXTERNAL_SECRETS_DEFAULTS = {
  namespace: "external-secrets",
  releaseName: "external-secrets",
  serviceAccount: "external-secrets",
  webhookPort: 10250,
  secretsNamespace: "idp-secrets",
  storeServiceAccount: "platform-secret-store",
  resources: {
    controller: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
    webhook: { requests: { cpu: "25m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    certController: { requests: { cpu: "25m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  },
} as const;

/** ARN pattern of secrets below a name prefix (Secrets Manager appends `-XXXXXX` to every name). */
export function secretArnPattern(aws: AwsContext, prefix: string): string {
  return `arn:${aws.partition}:secretsmanager:${aws.region}:${aws.accountId}:secret:${prefix}/*`;
}

/**
 * ESO's permissions: read every platform secret; create and write only database secrets (PushSecret of
 * the SQLDatabase composition). Delete, also only of database secrets, only where the profile deletes a
 * database's data with it (its PushSecret has `deletionPolicy: Delete`); elsewhere pushed passwords are
 * retained. No wildcard resource.
 */
export function externalSecretsPolicy(
  aws: AwsContext,
  prefix: string,
  options: { readonly kmsKeyArn?: string; readonly deleteDatabaseSecrets?: boolean } = {},
): PolicyDocument {
  const { kmsKeyArn, deleteDatabaseSecrets = false } = options;
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadPlatformSecrets",
      Effect: "Allow",
      // What ESO v2.9.0's AWS provider calls to read (providers/v1/aws/secretsmanager/secretsmanager.go);
      // it never lists versions, so ListSecretVersionIds is not granted.
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: [secretArnPattern(aws, prefix)],
    },
    {
      Sid: "PushDatabaseSecrets",
      Effect: "Allow",
      Action: [
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:TagResource",
        "secretsmanager:DescribeSecret",
        ...(deleteDatabaseSecrets ? ["secretsmanager:DeleteSecret"] : []),
      ],
      Resource: [secretArnPattern(aws, `${prefix}/${DATABASE_SECRETS_PREFIX}`)],
    },
  ];
  if (kmsKeyArn !== undefined) {
    statements.push({
      Sid: "UsePlatformKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: [kmsKeyArn],
      Condition: {
        StringEquals: { "kms:ViaService": `secretsmanager.${aws.region}.amazonaws.com` },
      },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * How ESO deletes a pushed secret (`spec.provider.aws.secretsManager`): at once where the profile keeps
 * nothing (0 days), else with the profile's recovery window. ESO refuses both set together.
 */
export function secretsManagerDeletion(
  days: number,
): { readonly forceDeleteWithoutRecovery: true } | { readonly recoveryWindowInDays: number } {
  return days === 0 ? { forceDeleteWithoutRecovery: true } : { recoveryWindowInDays: days };
}

/** Misuse of the component (config validation reports the same problems earlier, with the key to fix). */
export function externalSecretsArgsProblems(args: ExternalSecretsArgs): string[] {
  const backend = args.backend;
  if (backend.kind !== "aws-secrets-manager") return [];
  const problems: string[] = [];
  if (backend.prefix.length === 0 || backend.prefix.startsWith("/") || backend.prefix.endsWith("/")) {
    problems.push(`prefix "${backend.prefix}" must be non-empty and must not start or end with "/"`);
  }
  const days = backend.recoveryWindowInDays;
  if (!(days === 0 || (Number.isInteger(days) && days >= 7 && days <= 30))) {
    problems.push(`recoveryWindowInDays ${days} must be 0 or between 7 and 30`);
  }
  return problems;
}

export class ExternalSecrets extends pulumi.ComponentResource {
  /** Where parts write their secrets (`put`) and which store ExternalSecrets read them from. */
  public readonly backend: SecretsBackend;
  /** The platform's ClusterSecretStore. */
  public readonly store: SecretStoreRef;
  public readonly release: kubernetes.helm.v3.Release;
  /** ESO's IAM role (AWS backend). */
  public readonly identity?: WorkloadIdentity;
  public readonly ready: Readiness;

  constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:secrets:ExternalSecrets", name, {}, opts);
    const problems = externalSecretsArgsProblems(args);
    if (problems.length > 0) throw new Error(`ExternalSecrets ${name}: ${problems.join("; ")}`);
    const defaults = EXTERNAL_SECRETS_DEFAULTS;
    const ns = args.namespace ?? defaults.namespace;
    const protection = statefulProtection(args.profile);
    const replicas = args.profile.controllerReplicas;
    const disruptionBudget =
      replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false, minAvailable: 1 };

    const namespaceResource = namespace(
      `${name}-namespace`,
      { name: ns, podSecurity: "restricted" },
      { parent: this, ...protection },
    );

    const backend = args.backend;
    if (backend.kind === "aws-secrets-manager") {
      this.identity = workloadIdentity(
        `${name}-identity`,
        {
          aws: backend.aws,
          namespace: ns,
          serviceAccount: defaults.serviceAccount,
          roleName: `${backend.aws.clusterName}-external-secrets`,
          description: `External Secrets Operator: platform secrets below ${backend.prefix}/`,
          policy: externalSecretsPolicy(backend.aws, backend.prefix, {
            ...(backend.kmsKeyArn !== undefined ? { kmsKeyArn: backend.kmsKeyArn } : {}),
            deleteDatabaseSecrets: args.profile.dataDeletionPolicy === "Delete",
          }),
        },
        { parent: this },
      );
    }

    const { resources } = defaults;
    this.release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.externalSecrets,
        releaseName: defaults.releaseName,
        namespace: namespaceResource.metadata.name,
        values: {
          // CRDs come with the chart and survive an uninstall (every ExternalSecret would go with them).
          installCRDs: true,
          crds: { annotations: { "helm.sh/resource-policy": "keep" } },
          replicaCount: replicas,
          leaderElect: replicas > 1,
          podDisruptionBudget: disruptionBudget,
          resources: resources.controller,
          serviceAccount: {
            name: defaults.serviceAccount,
            annotations: this.identity?.serviceAccountAnnotations ?? {},
          },
          webhook: {
            replicaCount: replicas,
            podDisruptionBudget: disruptionBudget,
            resources: resources.webhook,
          },
          certController: {
            replicaCount: replicas,
            podDisruptionBudget: disruptionBudget,
            resources: resources.certController,
          },
        },
      },
      { parent: this, ...protection, dependsOn: [...(this.identity?.resources ?? [])] },
    );

    // The chart's own NetworkPolicies differ between versions; these are explicit and tested. Ingress:
    // only the webhook port (the API server calls it; its source address is not selectable portably).
    // Egress stays open: the API server and the AWS endpoints have no stable addresses.
    new kubernetes.networking.v1.NetworkPolicy(
      `${name}-deny-ingress`,
      {
        metadata: { name: "default-deny-ingress", namespace: ns, labels: { ...PLATFORM_LABELS } },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      },
      { parent: this, dependsOn: [namespaceResource] },
    );
    new kubernetes.networking.v1.NetworkPolicy(
      `${name}-allow-webhook`,
      {
        metadata: { name: "allow-webhook-from-apiserver", namespace: ns, labels: { ...PLATFORM_LABELS } },
        spec: {
          podSelector: { matchLabels: { "app.kubernetes.io/name": "external-secrets-webhook" } },
          policyTypes: ["Ingress"],
          ingress: [{ ports: [{ protocol: "TCP", port: defaults.webhookPort }] }],
        },
      },
      { parent: this, dependsOn: [namespaceResource] },
    );

    const storeMetadata = {
      name: PLATFORM_SECRET_STORE,
      labels: { ...PLATFORM_LABELS },
      annotations: waitFor("condition=Ready"),
    };
    if (backend.kind === "aws-secrets-manager") {
      const store = new kubernetes.apiextensions.CustomResource(
        `${name}-store`,
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ClusterSecretStore",
          metadata: storeMetadata,
          // No auth block: ESO uses its own pod's identity (the role above). Deleting a pushed secret
          // (a dev or staging database's password) uses the profile's recovery window; without it ESO
          // would use AWS's 30 days, and a database re-created under the same name could not push its
          // password until then (providers/v1/aws/secretsmanager/secretsmanager.go, DeleteSecret).
          spec: {
            provider: {
              aws: {
                service: "SecretsManager",
                region: backend.aws.region,
                secretsManager: secretsManagerDeletion(backend.recoveryWindowInDays),
              },
            },
          },
        },
        { parent: this, dependsOn: [this.release, ...(this.identity?.resources ?? [])] },
      );
      this.store = { kind: "ClusterSecretStore", name: PLATFORM_SECRET_STORE, ready: [this.release, store] };
      this.backend = new AwsSecretsManagerBackend({
        store: this.store,
        prefix: backend.prefix,
        recoveryWindowInDays: backend.recoveryWindowInDays,
        ...(backend.kmsKeyArn !== undefined ? { kmsKeyId: backend.kmsKeyArn } : {}),
        protect: args.profile.protectStateful,
        retainOnDelete: args.profile.retainStateful,
      });
    } else {
      const secretsNamespace = args.secretsNamespace ?? defaults.secretsNamespace;
      const storeAccess = this.buildInClusterStore(name, ns, secretsNamespace, protection);
      const store = new kubernetes.apiextensions.CustomResource(
        `${name}-store`,
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ClusterSecretStore",
          metadata: storeMetadata,
          spec: {
            provider: {
              kubernetes: {
                remoteNamespace: secretsNamespace,
                server: {
                  caProvider: {
                    type: "ConfigMap",
                    name: "kube-root-ca.crt",
                    key: "ca.crt",
                    namespace: secretsNamespace,
                  },
                },
                auth: { serviceAccount: { name: defaults.storeServiceAccount, namespace: ns } },
              },
            },
          },
        },
        { parent: this, dependsOn: [this.release, ...storeAccess] },
      );
      this.store = { kind: "ClusterSecretStore", name: PLATFORM_SECRET_STORE, ready: [this.release, store] };
      this.backend = new KubernetesSecretsBackend({
        store: this.store,
        namespace: secretsNamespace,
        protect: args.profile.protectStateful,
        retainOnDelete: args.profile.retainStateful,
      });
    }
    this.ready = this.store.ready;

    this.registerOutputs({ store: PLATFORM_SECRET_STORE, backend: this.backend.kind });
  }

  /** The locked-down secrets namespace and the identity the store reads it with. */
  private buildInClusterStore(
    name: string,
    esoNamespace: string,
    secretsNamespace: string,
    protection: ReturnType<typeof statefulProtection>,
  ): pulumi.Resource[] {
    const account = EXTERNAL_SECRETS_DEFAULTS.storeServiceAccount;
    const labels = { ...PLATFORM_LABELS };
    const holder = namespace(
      `${name}-secrets-namespace`,
      { name: secretsNamespace, podSecurity: "restricted", labels: { "idp.platform/purpose": "secrets" } },
      { parent: this, ...protection },
    );
    const inHolder = { parent: this, dependsOn: [holder] };
    // Nothing runs here: no pod can be created, and no traffic flows in or out.
    new kubernetes.core.v1.ResourceQuota(
      `${name}-secrets-no-pods`,
      {
        metadata: { name: "no-workloads", namespace: secretsNamespace, labels },
        spec: { hard: { pods: "0" } },
      },
      inHolder,
    );
    new kubernetes.networking.v1.NetworkPolicy(
      `${name}-secrets-deny-all`,
      {
        metadata: { name: "default-deny-all", namespace: secretsNamespace, labels },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      inHolder,
    );

    const serviceAccount = new kubernetes.core.v1.ServiceAccount(
      `${name}-store-account`,
      { metadata: { name: account, namespace: esoNamespace, labels }, automountServiceAccountToken: false },
      { parent: this },
    );
    const subject = { kind: "ServiceAccount", name: account, namespace: esoNamespace };
    const role = new kubernetes.rbac.v1.Role(
      `${name}-store-role`,
      {
        metadata: { name: account, namespace: secretsNamespace, labels },
        rules: [
          { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
          // PushSecret of database passwords: create and update to push, delete when a database whose
          // profile deletes data goes (ESO deletes the copy before it releases the PushSecret's finalizer,
          // providers/v1/kubernetes/client.go at v2.9.0; without it the PushSecret, and its namespace,
          // stay Terminating). RBAC cannot limit these by name: the admission policy below limits every
          // write and delete of this account to `databases-*` Secrets.
          { apiGroups: [""], resources: ["secrets"], verbs: ["create", "update", "delete"] },
        ],
      },
      inHolder,
    );
    const binding = new kubernetes.rbac.v1.RoleBinding(
      `${name}-store-binding`,
      {
        metadata: { name: account, namespace: secretsNamespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: account },
        subjects: [subject],
      },
      { parent: this, dependsOn: [role, serviceAccount] },
    );
    // The store validates its access with a self-review (SelfSubjectRulesReview, then SelfSubjectAccessReview).
    const reviewRole = new kubernetes.rbac.v1.ClusterRole(
      `${name}-store-review`,
      {
        metadata: { name: `${account}-self-review`, labels },
        rules: [
          {
            apiGroups: ["authorization.k8s.io"],
            resources: ["selfsubjectrulesreviews", "selfsubjectaccessreviews"],
            verbs: ["create"],
          },
        ],
      },
      { parent: this },
    );
    const reviewBinding = new kubernetes.rbac.v1.ClusterRoleBinding(
      `${name}-store-review-binding`,
      {
        metadata: { name: `${account}-self-review`, labels },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: `${account}-self-review`,
        },
        subjects: [subject],
      },
      { parent: this, dependsOn: [reviewRole, serviceAccount] },
    );

    const policyName = `${account}-writes-databases-only`;
    const policy = new kubernetes.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-store-write-policy`,
      {
        metadata: { name: policyName, labels },
        spec: {
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
              expression: `request.userInfo.username == "system:serviceaccount:${esoNamespace}:${account}"`,
            },
          ],
          validations: [
            {
              // On DELETE there is no `object`, only `oldObject`.
              expression: `(request.operation == "DELETE" ? oldObject : object).metadata.name.startsWith("${DATABASE_SECRETS_PREFIX}-")`,
              message: `${account} may write and delete only ${DATABASE_SECRETS_PREFIX}-* Secrets`,
            },
          ],
        },
      },
      { parent: this },
    );
    const policyBinding = new kubernetes.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-store-write-policy-binding`,
      {
        metadata: { name: policyName, labels },
        spec: {
          policyName,
          validationActions: ["Deny"],
          matchResources: {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": secretsNamespace } },
          },
        },
      },
      { parent: this, dependsOn: [policy, holder] },
    );
    return [holder, binding, reviewBinding, policyBinding];
  }
}

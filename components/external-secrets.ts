/**
 * External Secrets Operator, the platform's ClusterSecretStore and the secrets backend behind it.
 *
 * Two kinds of ClusterSecretStore, each usable only from the namespaces it serves (`spec.conditions`):
 * - `platform-secrets`, for the namespaces Pulumi creates (Argo CD's keys, the runners' App key);
 * - `secrets-team-<team>`, one per team namespace, reaching only that namespace's database secrets (which
 *   the SQLDatabase composition pushes there) and the registry's pull credentials.
 * ESO's chart lets anyone with `edit` in a namespace create ExternalSecrets and PushSecrets against any
 * ClusterSecretStore; the conditions and the stores' own reach are what keep a team to its own secrets.
 *
 * - `aws-secrets-manager`: ESO's controller service account gets an IAM role (IRSA or EKS Pod Identity)
 *   that reads the platform's secrets below the prefix and none of the teams'. A team store assumes a
 *   second role with the session tag `idp-namespace=<namespace>`, which may read and write only below
 *   `<prefix>/databases/<that namespace>/` (an IAM policy variable on the tag).
 * - `kubernetes` (local stacks): secrets live in locked-down namespaces (restricted Pod Security, no pods
 *   allowed by quota, default-deny NetworkPolicy): `idp-secrets` for the platform, `idp-secrets-<team
 *   namespace>` per team. Each store authenticates as a service account of its own that may read Secrets
 *   in its namespace and write only `databases-*` Secrets (RBAC cannot scope create by name; a
 *   ValidatingAdmissionPolicy does).
 *
 * Only `external-secrets.io/v1` objects are created; the chart installs the CRDs and keeps them on uninstall.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile } from "./profile";
import * as awsSdk from "@pulumi/aws";
import {
  assertScopedPolicy,
  roleArn,
  workloadIdentity,
  type PolicyDocument,
  type PolicyStatement,
  type WorkloadIdentity,
} from "./aws-identity";
import type { AwsContext, Readiness, SecretsBackend, SecretStoreRef, StoredSecret } from "./contracts";
import {
  DATABASE_SECRETS_PREFIX,
  PLATFORM_SECRET_STORE,
  REGISTRY_PULL_SECRET,
  teamSecretStore,
} from "./conventions";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection, waitFor } from "./kube";
import { AwsSecretsManagerBackend, KubernetesSecretsBackend } from "./secrets-backend";
import { CHARTS, type Mirror } from "./versions";

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
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Environment profile: replicas and protection. */
  readonly profile: EnvironmentProfile;
  /** Where the platform's secrets live. */
  readonly backend: ExternalSecretsBackendArgs;
  /** Name of ESO's namespace. Default `external-secrets`. */
  readonly namespace?: string;
  /** Name of the in-cluster secrets namespace (kubernetes backend). Default `idp-secrets`. */
  readonly secretsNamespace?: string;
  /**
   * Team namespaces (`team-<slug>`): each gets a ClusterSecretStore of its own (`secrets-<namespace>`)
   * that only it may use. Default none.
   */
  readonly teamNamespaces?: readonly string[];
  /**
   * Credentials the team namespaces pull the apps' private images with: every team namespace gets them as
   * the Secret `registry-pull`, through its own store. Default none (images must be public).
   */
  readonly registry?: RegistryCredentials;
}

/** A registry login (GHCR: a classic token with `read:packages` only, and its owner's login). */
export interface RegistryCredentials {
  /** Registry host, e.g. `ghcr.io`. */
  readonly server: string;
  readonly username: string;
  readonly token: pulumi.Input<string>;
}

export const EXTERNAL_SECRETS_DEFAULTS = {
  namespace: "external-secrets",
  releaseName: "external-secrets",
  serviceAccount: "external-secrets",
  webhookPort: 10250,
  secretsNamespace: "idp-secrets",
  /** Logical name of the registry's pull credentials in the backend. */
  registrySecret: "registry/pull",
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

/** Session tag a team store passes when it assumes the team role: the namespace it serves. */
export const TEAM_SESSION_TAG = "idp-namespace";

/**
 * ESO's own permissions: read the platform's secrets, never a team's (an explicit deny on the database
 * secrets, which only team stores reach), and assume the team role. No wildcard resource.
 */
export function externalSecretsPolicy(
  aws: AwsContext,
  prefix: string,
  options: { readonly kmsKeyArn?: string; readonly teamRoleArn?: string } = {},
): PolicyDocument {
  const { kmsKeyArn, teamRoleArn } = options;
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
      Sid: "NoTeamSecrets",
      Effect: "Deny",
      Action: [
        "secretsmanager:GetSecretValue",
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:DeleteSecret",
      ],
      Resource: [secretArnPattern(aws, `${prefix}/${DATABASE_SECRETS_PREFIX}`)],
    },
  ];
  if (teamRoleArn !== undefined) {
    statements.push({
      Sid: "AssumeTeamRole",
      Effect: "Allow",
      // TagSession: the team stores pass the namespace they serve as a session tag.
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Resource: [teamRoleArn],
    });
  }
  if (kmsKeyArn !== undefined) statements.push(kmsStatement(aws, kmsKeyArn));
  return { Version: "2012-10-17", Statement: statements };
}

function kmsStatement(aws: AwsContext, kmsKeyArn: string): PolicyStatement {
  return {
    Sid: "UsePlatformKey",
    Effect: "Allow",
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: [kmsKeyArn],
    Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${aws.region}.amazonaws.com` } },
  };
}

/**
 * The team role's permissions, for the session of one team store: the database secrets of the namespace
 * in its session tag (an IAM policy variable, so one role serves every team and none reaches another's),
 * pushed once and read back; deleted only where the profile deletes a database's data with it (its
 * PushSecret has `deletionPolicy: Delete`). The registry's pull credentials, read-only, when there are any.
 */
export function teamSecretsPolicy(
  aws: AwsContext,
  prefix: string,
  options: {
    readonly kmsKeyArn?: string;
    readonly deleteDatabaseSecrets?: boolean;
    readonly registrySecret?: string;
  } = {},
): PolicyDocument {
  const { kmsKeyArn, deleteDatabaseSecrets = false, registrySecret } = options;
  const ownNamespace = `\${aws:PrincipalTag/${TEAM_SESSION_TAG}}`;
  const statements: PolicyStatement[] = [
    {
      Sid: "OwnDatabaseSecrets",
      Effect: "Allow",
      Action: [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "secretsmanager:CreateSecret",
        "secretsmanager:PutSecretValue",
        "secretsmanager:TagResource",
        ...(deleteDatabaseSecrets ? ["secretsmanager:DeleteSecret"] : []),
      ],
      Resource: [secretArnPattern(aws, `${prefix}/${DATABASE_SECRETS_PREFIX}/${ownNamespace}`)],
    },
  ];
  if (registrySecret !== undefined) {
    statements.push({
      Sid: "RegistryPullCredentials",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      // Secrets Manager appends `-XXXXXX` to the name: the ARN of this one secret ends in `-??????`.
      Resource: [
        `arn:${aws.partition}:secretsmanager:${aws.region}:${aws.accountId}:secret:${prefix}/${registrySecret}-??????`,
      ],
    });
  }
  if (kmsKeyArn !== undefined) statements.push(kmsStatement(aws, kmsKeyArn));
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * Who may assume the team role: ESO's controller role only, and only with a session tag naming a team
 * namespace (the team stores set it; a session without it could not reach a database secret anyway).
 */
export function teamSecretsTrust(controllerRoleArn: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TeamStoresOfExternalSecrets",
        Effect: "Allow",
        Principal: { AWS: controllerRoleArn },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: { StringLike: { [`aws:RequestTag/${TEAM_SESSION_TAG}`]: "team-*" } },
      },
    ],
  };
}

/**
 * The `.dockerconfigjson` of a registry login, as ESO's template engine v2 renders it from the
 * `username` and `token` keys (docs/guides/common-k8s-secret-types.md at v2.9.0).
 */
export function dockerConfigTemplate(server: string): string {
  return `{"auths":{"${server}":{"username":"{{ .username }}","password":"{{ .token }}","auth":"{{ printf "%s:%s" .username .token | b64enc }}"}}}`;
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

/** Label of the in-cluster secrets namespaces: the write policy applies there. */
const SECRETS_HOLDER_LABEL = "idp.platform/purpose";

/** An in-cluster secrets namespace and the service account its store authenticates as. */
interface InClusterHolder {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly ready: readonly pulumi.Resource[];
}

/** The in-cluster secrets namespace of a team namespace (kubernetes backend): `idp-secrets-team-<team>`. */
export function teamSecretsHolder(secretsNamespace: string, teamNamespace: string): string {
  return `${secretsNamespace}-${teamNamespace}`;
}

/** The service account a team namespace's store authenticates as (kubernetes backend). */
export function teamStoreServiceAccount(teamNamespace: string): string {
  return `secret-store-${teamNamespace}`;
}

export class ExternalSecrets extends pulumi.ComponentResource {
  /** Where parts write their secrets (`put`) and which store ExternalSecrets read them from. */
  public readonly backend: SecretsBackend;
  /** The platform's ClusterSecretStore. */
  public readonly store: SecretStoreRef;
  public readonly release: kubernetes.helm.v3.Release;
  /** ESO's IAM role (AWS backend). */
  public readonly identity?: WorkloadIdentity;
  /** Each team namespace's own ClusterSecretStore, by namespace. */
  public readonly teamStores: Readonly<Record<string, SecretStoreRef>>;
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
    const teamNamespaces = [...new Set(args.teamNamespaces ?? [])];
    let teamRole: { readonly arn: string; readonly resources: readonly pulumi.Resource[] } | undefined;
    if (backend.kind === "aws-secrets-manager") {
      const controllerRole = `${backend.aws.clusterName}-external-secrets`;
      const teamRoleName = `${backend.aws.clusterName}-external-secrets-teams`;
      const kms = backend.kmsKeyArn !== undefined ? { kmsKeyArn: backend.kmsKeyArn } : {};
      this.identity = workloadIdentity(
        `${name}-identity`,
        {
          aws: backend.aws,
          namespace: ns,
          serviceAccount: defaults.serviceAccount,
          roleName: controllerRole,
          description: `External Secrets Operator: platform secrets below ${backend.prefix}/`,
          policy: externalSecretsPolicy(backend.aws, backend.prefix, {
            ...kms,
            ...(teamNamespaces.length > 0 ? { teamRoleArn: roleArn(backend.aws, teamRoleName) } : {}),
          }),
        },
        { parent: this },
      );
      if (teamNamespaces.length > 0) {
        const policy = teamSecretsPolicy(backend.aws, backend.prefix, {
          ...kms,
          deleteDatabaseSecrets: args.profile.dataDeletionPolicy === "Delete",
          ...(args.registry !== undefined ? { registrySecret: defaults.registrySecret } : {}),
        });
        assertScopedPolicy(policy, `IAM role ${teamRoleName}`);
        const role = new awsSdk.iam.Role(
          `${name}-team-role`,
          {
            name: teamRoleName,
            description: `External Secrets Operator, team stores: each team namespace's own secrets below ${backend.prefix}/${DATABASE_SECRETS_PREFIX}/`,
            assumeRolePolicy: JSON.stringify(teamSecretsTrust(roleArn(backend.aws, controllerRole))),
            maxSessionDuration: 3600,
          },
          { parent: this },
        );
        const rolePolicy = new awsSdk.iam.RolePolicy(
          `${name}-team-role-policy`,
          { role: role.name, name: teamRoleName, policy: JSON.stringify(policy) },
          { parent: this },
        );
        // The ARN from its known parts (as for the controller's role): the store specs stay known at preview.
        teamRole = { arn: roleArn(backend.aws, teamRoleName), resources: [role, rolePolicy] };
      }
    }

    const { resources } = defaults;
    this.release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.externalSecrets,
        mirror: args.mirror,
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

    // The platform's store: only namespaces Pulumi creates carry PLATFORM_LABELS (a team's namespace is
    // Argo CD's, from the managed namespaces file, and no team can label a Namespace).
    const platformConditions = [{ namespaceSelector: { matchLabels: { ...PLATFORM_LABELS } } }];
    const clusterStore = (
      resourceName: string,
      storeName: string,
      provider: Record<string, unknown>,
      conditions: ReadonlyArray<Record<string, unknown>>,
      dependsOn: readonly pulumi.Resource[],
    ): SecretStoreRef => {
      const store = new kubernetes.apiextensions.CustomResource(
        resourceName,
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ClusterSecretStore",
          metadata: {
            name: storeName,
            labels: { ...PLATFORM_LABELS },
            annotations: waitFor("condition=Ready"),
          },
          spec: { provider, conditions },
        },
        { parent: this, dependsOn: [this.release, ...dependsOn] },
      );
      return { kind: "ClusterSecretStore", name: storeName, ready: [this.release, store] };
    };
    const teamStores: Record<string, SecretStoreRef> = {};
    const registryData: Record<string, StoredSecret> = {};
    const registry = args.registry;
    const registryPut = (backendOf: SecretsBackend, resourceName: string): StoredSecret =>
      backendOf.put(
        resourceName,
        {
          name: defaults.registrySecret,
          description: `Pull credentials of ${registry!.server} for the apps' images (read-only token)`,
          data: { username: registry!.username, token: registry!.token },
        },
        { parent: this },
      );

    if (backend.kind === "aws-secrets-manager") {
      // No auth block: ESO uses its own pod's identity (the role above). Deleting a pushed secret
      // (a dev or staging database's password) uses the profile's recovery window; without it ESO
      // would use AWS's 30 days, and a database re-created under the same name could not push its
      // password until then (providers/v1/aws/secretsmanager/secretsmanager.go, DeleteSecret).
      const aws = {
        service: "SecretsManager",
        region: backend.aws.region,
        secretsManager: secretsManagerDeletion(backend.recoveryWindowInDays),
      };
      this.store = clusterStore(`${name}-store`, PLATFORM_SECRET_STORE, { aws }, platformConditions, [
        ...(this.identity?.resources ?? []),
      ]);
      this.backend = new AwsSecretsManagerBackend({
        store: this.store,
        prefix: backend.prefix,
        recoveryWindowInDays: backend.recoveryWindowInDays,
        ...(backend.kmsKeyArn !== undefined ? { kmsKeyId: backend.kmsKeyArn } : {}),
        protect: args.profile.protectStateful,
        retainOnDelete: args.profile.retainStateful,
      });
      if (teamRole !== undefined) {
        const stored = registry !== undefined ? registryPut(this.backend, `${name}-registry`) : undefined;
        for (const teamNamespace of teamNamespaces) {
          // ESO assumes the team role with the namespace as a session tag: the role's policy variable
          // keeps the session to that namespace's secrets (providers/v1/aws/auth/auth.go at v2.9.0).
          teamStores[teamNamespace] = clusterStore(
            `${name}-store-${teamNamespace}`,
            teamSecretStore(teamNamespace),
            {
              aws: {
                ...aws,
                role: teamRole.arn,
                sessionTags: [{ key: TEAM_SESSION_TAG, value: teamNamespace }],
              },
            },
            [{ namespaces: [teamNamespace] }],
            [...(this.identity?.resources ?? []), ...teamRole.resources],
          );
          if (stored !== undefined) registryData[teamNamespace] = stored;
        }
      }
    } else {
      const secretsNamespace = args.secretsNamespace ?? defaults.secretsNamespace;
      const holders = this.buildInClusterStores(name, ns, secretsNamespace, teamNamespaces, protection);
      const kubernetesProvider = (holder: InClusterHolder) => ({
        kubernetes: {
          remoteNamespace: holder.namespace,
          server: {
            caProvider: {
              type: "ConfigMap",
              name: "kube-root-ca.crt",
              key: "ca.crt",
              namespace: holder.namespace,
            },
          },
          auth: { serviceAccount: { name: holder.serviceAccount, namespace: ns } },
        },
      });
      const platform = holders.platform;
      this.store = clusterStore(
        `${name}-store`,
        PLATFORM_SECRET_STORE,
        kubernetesProvider(platform),
        platformConditions,
        platform.ready,
      );
      this.backend = new KubernetesSecretsBackend({
        store: this.store,
        namespace: secretsNamespace,
        protect: args.profile.protectStateful,
        retainOnDelete: args.profile.retainStateful,
      });
      for (const teamNamespace of teamNamespaces) {
        const holder = holders.teams[teamNamespace]!;
        teamStores[teamNamespace] = clusterStore(
          `${name}-store-${teamNamespace}`,
          teamSecretStore(teamNamespace),
          kubernetesProvider(holder),
          [{ namespaces: [teamNamespace] }],
          holder.ready,
        );
        if (registry !== undefined) {
          // Each team's store reaches only its own holder: the credentials are copied into each.
          const teamBackend = new KubernetesSecretsBackend({
            store: teamStores[teamNamespace],
            namespace: holder.namespace,
            protect: args.profile.protectStateful,
            retainOnDelete: args.profile.retainStateful,
          });
          registryData[teamNamespace] = registryPut(teamBackend, `${name}-registry-${teamNamespace}`);
        }
      }
    }
    this.teamStores = teamStores;

    // The registry's pull Secret in every team namespace, through that namespace's own store. A
    // ClusterExternalSecret, so the Secret appears whenever Argo CD creates the namespace.
    if (registry !== undefined) {
      for (const teamNamespace of teamNamespaces) {
        const stored = registryData[teamNamespace]!;
        const store = teamStores[teamNamespace]!;
        new kubernetes.apiextensions.CustomResource(
          `${name}-registry-pull-${teamNamespace}`,
          {
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterExternalSecret",
            metadata: { name: `${REGISTRY_PULL_SECRET}-${teamNamespace}`, labels: { ...PLATFORM_LABELS } },
            spec: {
              externalSecretName: REGISTRY_PULL_SECRET,
              namespaceSelectors: [{ matchLabels: { "kubernetes.io/metadata.name": teamNamespace } }],
              refreshTime: "1h",
              externalSecretSpec: {
                refreshInterval: "1h",
                secretStoreRef: { kind: store.kind, name: store.name },
                target: {
                  name: REGISTRY_PULL_SECRET,
                  creationPolicy: "Owner",
                  template: {
                    engineVersion: "v2",
                    type: "kubernetes.io/dockerconfigjson",
                    data: { ".dockerconfigjson": dockerConfigTemplate(registry.server) },
                  },
                },
                data: ["username", "token"].map((property) => ({
                  secretKey: property,
                  remoteRef: { key: stored.remoteKey, property },
                })),
              },
            },
          },
          { parent: this, dependsOn: [...store.ready, ...stored.resources] },
        );
      }
    }
    this.ready = this.store.ready;

    this.registerOutputs({ store: PLATFORM_SECRET_STORE, backend: this.backend.kind });
  }

  /**
   * The locked-down secrets namespaces (the platform's and one per team namespace) and the identity each
   * store reads its own with. Platform resources keep their names; a team's carry its namespace.
   */
  private buildInClusterStores(
    name: string,
    esoNamespace: string,
    secretsNamespace: string,
    teamNamespaces: readonly string[],
    protection: ReturnType<typeof statefulProtection>,
  ): { readonly platform: InClusterHolder; readonly teams: Readonly<Record<string, InClusterHolder>> } {
    const labels = { ...PLATFORM_LABELS };
    const holderOf = (
      prefix: string,
      holderNamespace: string,
      account: string,
    ): InClusterHolder & { readonly role: pulumi.Resource; readonly holder: pulumi.Resource } => {
      const holder = namespace(
        `${prefix}-secrets-namespace`,
        { name: holderNamespace, podSecurity: "restricted", labels: { [SECRETS_HOLDER_LABEL]: "secrets" } },
        { parent: this, ...protection },
      );
      const inHolder = { parent: this, dependsOn: [holder] };
      // Nothing runs here: no pod can be created, and no traffic flows in or out.
      new kubernetes.core.v1.ResourceQuota(
        `${prefix}-secrets-no-pods`,
        {
          metadata: { name: "no-workloads", namespace: holderNamespace, labels },
          spec: { hard: { pods: "0" } },
        },
        inHolder,
      );
      new kubernetes.networking.v1.NetworkPolicy(
        `${prefix}-secrets-deny-all`,
        {
          metadata: { name: "default-deny-all", namespace: holderNamespace, labels },
          spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        },
        inHolder,
      );
      const serviceAccount = new kubernetes.core.v1.ServiceAccount(
        `${prefix}-store-account`,
        { metadata: { name: account, namespace: esoNamespace, labels }, automountServiceAccountToken: false },
        { parent: this },
      );
      const role = new kubernetes.rbac.v1.Role(
        `${prefix}-store-role`,
        {
          metadata: { name: account, namespace: holderNamespace, labels },
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
        `${prefix}-store-binding`,
        {
          metadata: { name: account, namespace: holderNamespace, labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: account },
          subjects: [{ kind: "ServiceAccount", name: account, namespace: esoNamespace }],
        },
        { parent: this, dependsOn: [role, serviceAccount] },
      );
      return { namespace: holderNamespace, serviceAccount: account, ready: [holder, binding], role, holder };
    };

    const platform = holderOf(name, secretsNamespace, EXTERNAL_SECRETS_DEFAULTS.storeServiceAccount);
    const teams: Record<string, InClusterHolder> = {};
    for (const teamNamespace of teamNamespaces) {
      teams[teamNamespace] = holderOf(
        `${name}-${teamNamespace}`,
        teamSecretsHolder(secretsNamespace, teamNamespace),
        teamStoreServiceAccount(teamNamespace),
      );
    }
    const accounts = [platform, ...Object.values(teams)].map((h) => h.serviceAccount);
    const subjects = accounts.map((account) => ({
      kind: "ServiceAccount",
      name: account,
      namespace: esoNamespace,
    }));
    const account = EXTERNAL_SECRETS_DEFAULTS.storeServiceAccount;

    // Every store validates its access with a self-review (SelfSubjectRulesReview, then SelfSubjectAccessReview).
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
        subjects,
      },
      { parent: this, dependsOn: [reviewRole] },
    );

    const policyName = `${account}-writes-databases-only`;
    const usernames = accounts.map((a) => `"system:serviceaccount:${esoNamespace}:${a}"`);
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
              expression:
                usernames.length === 1
                  ? `request.userInfo.username == ${usernames[0]!}`
                  : `request.userInfo.username in [${usernames.join(", ")}]`,
            },
          ],
          validations: [
            {
              // On DELETE there is no `object`, only `oldObject`.
              expression: `(request.operation == "DELETE" ? oldObject : object).metadata.name.startsWith("${DATABASE_SECRETS_PREFIX}-")`,
              message: `the secret stores may write and delete only ${DATABASE_SECRETS_PREFIX}-* Secrets`,
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
          matchResources: { namespaceSelector: { matchLabels: { [SECRETS_HOLDER_LABEL]: "secrets" } } },
        },
      },
      { parent: this, dependsOn: [policy, platform.holder, ...Object.values(teams).flatMap((h) => h.ready)] },
    );
    const shared = [reviewBinding, policyBinding];
    return {
      platform: { ...platform, ready: [...platform.ready, ...shared] },
      teams: Object.fromEntries(
        Object.entries(teams).map(([key, holder]) => [
          key,
          { ...holder, ready: [...holder.ready, ...shared] },
        ]),
      ),
    };
  }
}

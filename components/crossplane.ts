/**
 * `Crossplane`: the control plane behind the developer API. It installs Crossplane v2 (pinned chart),
 * the providers and functions the compositions use (pinned packages, each with its own service
 * account), the provider configs once their providers are healthy, cloud identity for the AWS
 * providers, RBAC for composed kinds, and the `App` / `SQLDatabase` XRDs and Compositions.
 *
 * Developers then ask for an `App` or a `SQLDatabase` in Git; Argo CD applies it; Crossplane composes
 * the rest. Stack-level values (ingress layer, domain, profile, network) are rendered into the XRDs
 * and Compositions, so `npm run synth -- --diff dev prod` shows exactly how environments differ.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile } from "./profile";
import { workloadIdentity, type WorkloadIdentity } from "./aws-identity";
import type { AwsContext, IngressLayerRef, Readiness } from "./contracts";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection, waitFor } from "./kube";
import {
  CHARTS,
  CROSSPLANE_PACKAGES,
  packageReference,
  type CrossplanePackagePin,
  type Mirror,
  packageRegistries,
} from "./versions";
import { appComposition } from "./crossplane/app";
import {
  assertDescribeOnlyPolicy,
  describePolicy,
  ec2ProviderPolicy,
  rdsProviderPolicy,
} from "./crossplane/aws-iam";
import { FUNCTION_NAMES, functionsOf, type CompositionObject, type FunctionName } from "./crossplane/pt";
import { AGGREGATE_TO_CROSSPLANE, composedKinds, composeRules, COMPOSED_RESOURCES } from "./crossplane/rbac";
import { sqlDatabaseComposition, type DatabaseSecretsBackend } from "./crossplane/sql-database";
import { appXrd, sqlDatabaseXrd, XR_PLURALS, xrdName, type XrdObject } from "./crossplane/xrds";

/** Where SQLDatabases run, resolved from `idp:databases` (see stacks/args.ts). */
export type DatabaseSettings =
  | { readonly mode: "in-cluster" }
  | {
      readonly mode: "rds";
      readonly vpcId: string;
      readonly subnetIds: readonly string[];
      readonly clientSecurityGroupIds: readonly string[];
      readonly allowedCidrs: readonly string[];
    };

export interface CrossplaneArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Environment profile: protection, controller replicas, data deletion policy, schema deploys, App replica defaults. */
  readonly profile: EnvironmentProfile;
  /** Cluster name: IAM role names, AWS tags and security group names. */
  readonly clusterName: string;
  /** Platform domain: an App's default host is `<name>.<domain>`, and hosts must stay below it. */
  readonly domain: string;
  /** Where SQLDatabases run: RDS (needs `aws`) or in-cluster. */
  readonly databases: DatabaseSettings;
  /** AWS account and workload identity. Required when `databases.mode` is rds. */
  readonly aws?: AwsContext;
  /** The stack's ingress layer: the App composition renders an HTTPRoute or an Ingress for it. */
  readonly ingress: IngressLayerRef;
  /** Where generated database passwords go: each XR namespace's own store (`ready`: those stores). */
  readonly databaseSecrets: DatabaseSecretsBackend;
  /** Image pull Secret of the Apps' pods (each team namespace's registry login). Default none. */
  readonly imagePullSecret?: string;
  /** StorageClass of in-cluster Postgres volumes. Default none: the cluster's default class. */
  readonly storageClassName?: string;
  /** Workload clusters Apps may run on (each has a ClusterProviderConfig of its name). Default none. */
  readonly workloadClusters?: readonly string[];
  /** Namespace of Crossplane and its packages. Default `crossplane-system`. */
  readonly namespace?: string;
}

/** What `Crossplane` needs from config; `Platform` adds the ingress layer and the secrets backend. */
export type CrossplaneSettings = Omit<
  CrossplaneArgs,
  "ingress" | "databaseSecrets" | "imagePullSecret" | "storageClassName" | "workloadClusters"
>;

export const CROSSPLANE_DEFAULTS = {
  namespace: "crossplane-system",
  releaseName: "crossplane",
  /** Name of every ClusterProviderConfig (what managed resources use when they name none). */
  providerConfig: "default",
} as const;

/** A package the component installs: its Provider/Function name, pin and (providers) service account. */
interface PackageSpec {
  readonly key: string;
  readonly name: string;
  readonly pin: CrossplanePackagePin;
}

export const PROVIDERS = {
  kubernetes: { key: "kubernetes", name: "provider-kubernetes", pin: CROSSPLANE_PACKAGES.providerKubernetes },
  helm: { key: "helm", name: "provider-helm", pin: CROSSPLANE_PACKAGES.providerHelm },
  sql: { key: "sql", name: "provider-sql", pin: CROSSPLANE_PACKAGES.providerSql },
  familyAws: { key: "family-aws", name: "provider-family-aws", pin: CROSSPLANE_PACKAGES.providerFamilyAws },
  awsRds: { key: "aws-rds", name: "provider-aws-rds", pin: CROSSPLANE_PACKAGES.providerAwsRds },
  awsEc2: { key: "aws-ec2", name: "provider-aws-ec2", pin: CROSSPLANE_PACKAGES.providerAwsEc2 },
} as const satisfies Record<string, PackageSpec>;

export const FUNCTIONS = {
  [FUNCTION_NAMES.patchAndTransform]: {
    key: "patch-and-transform",
    name: FUNCTION_NAMES.patchAndTransform,
    pin: CROSSPLANE_PACKAGES.functionPatchAndTransform,
  },
  [FUNCTION_NAMES.celFilter]: {
    key: "cel-filter",
    name: FUNCTION_NAMES.celFilter,
    pin: CROSSPLANE_PACKAGES.functionCelFilter,
  },
} as const satisfies Record<FunctionName, PackageSpec>;

/** Composition names: one per XRD and stack, so each XRD's default is unambiguous. */
export const COMPOSITION_NAMES = {
  app: (ingress: IngressLayerRef["kind"]) => `apps-${ingress}.${XR_PLURALS.app}`,
  sqlDatabase: (mode: DatabaseSettings["mode"]) => `sqldatabases-${mode}`,
} as const;

/** IAM role names of the AWS providers (at most 64 characters). */
export function awsRoleName(clusterName: string, provider: "rds" | "ec2"): string {
  return `${clusterName}-crossplane-aws-${provider}`;
}

/** Refuses argument combinations the compositions cannot serve. Pure; the config schema reports the same cases per key. */
export function validateCrossplaneArgs(args: CrossplaneArgs): void {
  const { databases } = args;
  if (databases.mode === "in-cluster") {
    if (args.profile.dataDeletionPolicy === "Orphan") {
      throw new Error(
        `Crossplane: the ${args.profile.name} profile keeps databases (dataDeletionPolicy Orphan); in-cluster databases cannot, use rds`,
      );
    }
    return;
  }
  if (args.aws === undefined) throw new Error("Crossplane: RDS databases need an AwsContext (args.aws)");
  if (databases.subnetIds.length < 2) throw new Error("Crossplane: RDS databases need at least two subnets");
  if (databases.clientSecurityGroupIds.length + databases.allowedCidrs.length === 0) {
    throw new Error("Crossplane: RDS databases need a client security group or an allowed CIDR");
  }
  if (args.databaseSecrets.kind === "aws-secrets-manager" && args.databaseSecrets.prefix.length === 0) {
    throw new Error("Crossplane: the AWS secrets backend needs its key prefix");
  }
  for (const provider of ["rds", "ec2"] as const) {
    const role = awsRoleName(args.clusterName, provider);
    if (role.length > 64) throw new Error(`Crossplane: IAM role name ${role} is longer than 64 characters`);
  }
}

/** ManagedResourceDefinition names (`<plural>.<group>`) of the managed resources a composition composes. */
export function managedResourceDefinitions(compositions: readonly CompositionObject[]): string[] {
  const names = new Set<string>();
  for (const composition of compositions) {
    for (const kind of composedKinds(composition)) {
      const group = kind.slice(0, kind.indexOf("/"));
      // Managed resources are served by provider packages; everything else is Kubernetes or ESO.
      if (!/\.(upbound\.io|crossplane\.io)$/.test(group) || group === "protection.crossplane.io") continue;
      if (kind.endsWith("/ProviderConfig")) continue;
      names.add(`${COMPOSED_RESOURCES[kind]}.${group}`);
    }
  }
  return [...names].sort();
}

export class Crossplane extends pulumi.ComponentResource {
  /** The Crossplane release: its CRDs served, core and RBAC manager available. */
  public readonly ready: Readiness;
  /** Namespace of Crossplane and its packages. */
  public readonly namespace: pulumi.Output<string>;
  /** The XRDs and Compositions: what must exist before XRs (the management repository's apps) apply. */
  public readonly api: Readiness;
  /** provider-kubernetes and provider-helm installed and healthy: their ProviderConfig kinds are served. */
  public readonly clusterProviders: Readiness;
  /** Names of the Compositions the XRDs default to. */
  public readonly compositionNames: { readonly app: string; readonly sqlDatabase: string };
  /** IAM roles of the AWS providers (RDS mode only). */
  public readonly awsRoleArns: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: CrossplaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:crossplane:Crossplane", name, {}, opts);
    validateCrossplaneArgs(args);
    const protection = statefulProtection(args.profile);
    const namespaceName = args.namespace ?? CROSSPLANE_DEFAULTS.namespace;

    // Crossplane's own pods and the provider pods it starts run as non-root without privileges;
    // baseline rather than restricted because provider pods do not set a seccomp profile.
    const ns = namespace(
      `${name}-namespace`,
      { name: namespaceName, podSecurity: "baseline" },
      { parent: this, ...protection },
    );
    this.namespace = ns.metadata.name;

    const release = helmRelease(
      `${name}-release`,
      {
        pin: CHARTS.crossplane,
        mirror: args.mirror,
        releaseName: CROSSPLANE_DEFAULTS.releaseName,
        namespace: ns.metadata.name,
        values: crossplaneValues(args.profile),
      },
      { parent: this, ...protection },
    );
    this.ready = [release];
    const afterCrossplane = (...more: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
      parent: this,
      dependsOn: [release, ...more],
    });

    // The compositions decide everything downstream: providers, activations, RBAC.
    this.compositionNames = {
      app: COMPOSITION_NAMES.app(args.ingress.kind),
      sqlDatabase: COMPOSITION_NAMES.sqlDatabase(args.databases.mode),
    };
    const app = appComposition({
      name: this.compositionNames.app,
      domain: args.domain,
      ingress: args.ingress,
      ...(args.imagePullSecret !== undefined ? { imagePullSecret: args.imagePullSecret } : {}),
    });
    const sql = sqlDatabaseComposition({
      name: this.compositionNames.sqlDatabase,
      ...(args.mirror !== undefined ? { mirror: args.mirror } : {}),
      ...(args.storageClassName !== undefined ? { storageClassName: args.storageClassName } : {}),
      clusterName: args.clusterName,
      profile: args.profile,
      secrets: args.databaseSecrets,
      server:
        args.databases.mode === "rds"
          ? {
              ...args.databases,
              region: args.aws!.region,
              providerConfigName: CROSSPLANE_DEFAULTS.providerConfig,
            }
          : { mode: "in-cluster" },
    });

    // Only the managed resources the compositions compose are activated (Crossplane v2 safe-start):
    // the AWS providers would otherwise register hundreds of CRDs nobody uses.
    const activations = new kubernetes.apiextensions.CustomResource(
      `${name}-activations`,
      {
        apiVersion: "apiextensions.crossplane.io/v1alpha1",
        kind: "ManagedResourceActivationPolicy",
        metadata: { name: "idp-platform", labels: { ...PLATFORM_LABELS } },
        spec: { activate: managedResourceDefinitions([app, sql]) },
      },
      afterCrossplane(),
    );

    // --- Packages from the mirror: one ImageConfig per upstream registry rewrites every pull (the
    // packages, their dependencies, the provider and function pods) while spec.package keeps the upstream
    // name, which is what Crossplane's lock resolves dependencies by (v2.3.4
    // internal/controller/pkg/resolver/reconciler.go: the lock always holds original sources).
    const mirror = args.mirror;
    const imageConfigs =
      mirror === undefined
        ? []
        : packageRegistries().map((registry) => {
            const slug = registry.replace(/[^a-z0-9]+/g, "-").replace(/-+$/, "");
            return new kubernetes.apiextensions.CustomResource(
              `${name}-image-config-${slug}`,
              {
                apiVersion: "pkg.crossplane.io/v1beta1",
                kind: "ImageConfig",
                metadata: { name: `idp-mirror-${slug}`, labels: { ...PLATFORM_LABELS } },
                spec: {
                  matchImages: [{ type: "Prefix", prefix: registry }],
                  rewriteImage: { prefix: `${mirror.packages}/${registry}` },
                },
              },
              afterCrossplane(),
            );
          });

    // --- Providers, each with its own service account (DeploymentRuntimeConfig). -------------
    const identities: Partial<Record<"rds" | "ec2", WorkloadIdentity>> = {};
    if (args.databases.mode === "rds") {
      const context = args.aws!;
      const deletion = { deletes: args.profile.dataDeletionPolicy === "Delete" };
      const policies = {
        rds: rdsProviderPolicy(context, deletion),
        ec2: ec2ProviderPolicy(context, { vpcId: args.databases.vpcId }, deletion),
      };
      for (const provider of ["rds", "ec2"] as const) {
        identities[provider] = workloadIdentity(
          `${name}-aws-${provider}-identity`,
          {
            aws: context,
            namespace: namespaceName,
            serviceAccount: PROVIDERS[provider === "rds" ? "awsRds" : "awsEc2"].name,
            roleName: awsRoleName(args.clusterName, provider),
            description: `Crossplane provider-aws-${provider} of ${args.clusterName}: resources of SQLDatabase compositions`,
            policy: policies[provider],
          },
          { parent: this },
        );
      }
      // Describe calls AWS authorizes only against "*": a separate, read-only, region-bound policy.
      const describe = describePolicy(context);
      assertDescribeOnlyPolicy(describe, `IAM role ${awsRoleName(args.clusterName, "ec2")}`);
      const describeAttachment = new aws.iam.RolePolicy(
        `${name}-aws-ec2-identity-describe`,
        {
          role: identities.ec2!.role.name,
          name: `${awsRoleName(args.clusterName, "ec2")}-describe`,
          policy: JSON.stringify(describe),
        },
        { parent: this },
      );
      identities.ec2 = { ...identities.ec2!, resources: [...identities.ec2!.resources, describeAttachment] };
    }
    this.awsRoleArns = pulumi
      .all(
        Object.fromEntries(
          Object.entries(identities).map(([provider, identity]) => [provider, identity.role.arn]),
        ) as Record<string, pulumi.Output<string>>,
      )
      .apply((arns) => ({ ...arns }));

    const installProvider = (
      spec: PackageSpec,
      identity?: WorkloadIdentity,
      after: pulumi.Resource[] = [],
    ) => {
      const runtime = new kubernetes.apiextensions.CustomResource(
        `${name}-runtime-${spec.key}`,
        {
          apiVersion: "pkg.crossplane.io/v1beta1",
          kind: "DeploymentRuntimeConfig",
          metadata: { name: spec.name, labels: { ...PLATFORM_LABELS } },
          spec: {
            // A fixed name: IAM trusts (IRSA) or binds (Pod Identity) exactly this service account,
            // and RBAC granted to a provider names it.
            serviceAccountTemplate: {
              metadata: {
                name: spec.name,
                ...(identity !== undefined ? { annotations: identity.serviceAccountAnnotations } : {}),
              },
            },
          },
        },
        afterCrossplane(...(identity?.resources ?? [])),
      );
      return new kubernetes.apiextensions.CustomResource(
        `${name}-provider-${spec.key}`,
        crossplanePackage("Provider", spec.name, spec.pin, {
          runtimeConfigRef: {
            apiVersion: "pkg.crossplane.io/v1beta1",
            kind: "DeploymentRuntimeConfig",
            name: spec.name,
          },
        }),
        { ...afterCrossplane(runtime, activations, ...imageConfigs, ...after), ...protection },
      );
    };
    const providers = {
      kubernetes: installProvider(PROVIDERS.kubernetes),
      helm: installProvider(PROVIDERS.helm),
      sql: installProvider(PROVIDERS.sql),
    };
    this.clusterProviders = [providers.kubernetes, providers.helm];
    let awsProviders: pulumi.Resource[] = [];
    let awsProviderConfig: kubernetes.apiextensions.CustomResource | undefined;
    if (args.databases.mode === "rds") {
      // The family package first: it owns the ProviderConfig CRDs, and this pinned install satisfies
      // the service providers' dependency instead of an unpinned automatic one.
      const family = installProvider(PROVIDERS.familyAws);
      awsProviders = [
        family,
        installProvider(PROVIDERS.awsRds, identities.rds, [family]),
        installProvider(PROVIDERS.awsEc2, identities.ec2, [family]),
      ];
      awsProviderConfig = new kubernetes.apiextensions.CustomResource(
        `${name}-providerconfig-aws`,
        {
          apiVersion: "aws.m.upbound.io/v1beta1",
          kind: "ClusterProviderConfig",
          metadata: { name: CROSSPLANE_DEFAULTS.providerConfig, labels: { ...PLATFORM_LABELS } },
          spec: { credentials: { source: args.aws!.identity === "irsa" ? "IRSA" : "PodIdentity" } },
        },
        { ...afterCrossplane(...awsProviders), ...protection },
      );
    }
    // provider-kubernetes and provider-helm act as their own service accounts, which hold no rights
    // beyond their CRDs: a composition that uses them must grant what it needs (docs/control-plane.md, "RBAC").
    const injectedIdentity = (key: string, apiVersion: string, provider: pulumi.Resource) =>
      new kubernetes.apiextensions.CustomResource(
        `${name}-providerconfig-${key}`,
        {
          apiVersion,
          kind: "ClusterProviderConfig",
          metadata: { name: CROSSPLANE_DEFAULTS.providerConfig, labels: { ...PLATFORM_LABELS } },
          spec: { credentials: { source: "InjectedIdentity" } },
        },
        afterCrossplane(provider),
      );
    injectedIdentity("kubernetes", "kubernetes.m.crossplane.io/v1alpha1", providers.kubernetes);
    injectedIdentity("helm", "helm.m.crossplane.io/v1beta1", providers.helm);

    // --- Functions. ----------------------------------------------------------------------------
    const functions = Object.fromEntries(
      Object.values(FUNCTIONS).map((spec) => [
        spec.name,
        new kubernetes.apiextensions.CustomResource(
          `${name}-function-${spec.key}`,
          crossplanePackage("Function", spec.name, spec.pin, {}),
          afterCrossplane(...imageConfigs),
        ),
      ]),
    ) as Record<FunctionName, kubernetes.apiextensions.CustomResource>;

    // --- RBAC for composed kinds. --------------------------------------------------------------
    const composeRole = (key: string, composition: CompositionObject) =>
      new kubernetes.rbac.v1.ClusterRole(
        `${name}-compose-${key}`,
        {
          metadata: {
            name: `crossplane:compose:${key}`,
            labels: { ...PLATFORM_LABELS, [AGGREGATE_TO_CROSSPLANE]: "true" },
          },
          rules: composeRules(composition).map((rule) => ({
            apiGroups: [...rule.apiGroups],
            resources: [...rule.resources],
            verbs: [...rule.verbs],
          })),
        },
        { parent: this },
      );

    // --- XRDs and Compositions. ----------------------------------------------------------------
    const defineXrd = (key: string, xrd: XrdObject, after: pulumi.Resource[]) =>
      new kubernetes.apiextensions.CustomResource(
        `${name}-xrd-${key}`,
        {
          apiVersion: xrd.apiVersion,
          kind: xrd.kind,
          metadata: {
            ...xrd.metadata,
            labels: { ...PLATFORM_LABELS, ...xrd.metadata.labels },
            annotations: waitFor("condition=Established"),
          },
          spec: xrd.spec,
        },
        // Deleting an XRD deletes every XR of its kind (and so their databases): protected like data.
        { ...afterCrossplane(...after), ...protection },
      );
    const compose = (
      key: string,
      composition: CompositionObject,
      xrd: pulumi.Resource,
      after: pulumi.Resource[],
    ) =>
      new kubernetes.apiextensions.CustomResource(
        `${name}-composition-${key}`,
        {
          apiVersion: composition.apiVersion,
          kind: composition.kind,
          metadata: {
            ...composition.metadata,
            labels: { ...PLATFORM_LABELS, ...composition.metadata.labels },
          },
          spec: composition.spec,
        },
        afterCrossplane(
          xrd,
          composeRole(key, composition),
          ...functionsOf(composition).map((fn) => functions[fn]),
          ...after,
        ),
      );

    const appXrdResource = defineXrd(
      "app",
      appXrd({
        domain: args.domain,
        replicas: args.profile.appReplicas,
        defaultComposition: this.compositionNames.app,
        immutableImages: args.profile.immutableImages,
        workloadClusters: args.workloadClusters ?? [],
      }),
      [],
    );
    // The SQLDatabase API exists only once its providers and provider config do: during teardown
    // Pulumi deletes it (and Crossplane all SQLDatabases with it) before them.
    const sqlXrdResource = defineXrd(
      "sqldatabase",
      sqlDatabaseXrd({ defaultComposition: this.compositionNames.sqlDatabase }),
      [providers.sql, ...awsProviders, ...(awsProviderConfig !== undefined ? [awsProviderConfig] : [])],
    );
    const appCompositionResource = compose("app", app, appXrdResource, [...args.ingress.ready]);
    const sqlCompositionResource = compose("sqldatabase", sql, sqlXrdResource, [
      providers.sql,
      ...awsProviders,
      ...(awsProviderConfig !== undefined ? [awsProviderConfig] : []),
      ...args.databaseSecrets.ready,
    ]);

    if (awsProviderConfig !== undefined) {
      // In the cluster, too: the AWS provider config cannot be deleted while the SQLDatabase API exists
      // (Crossplane removes that XRD only after every SQLDatabase and its managed resources are gone).
      new kubernetes.apiextensions.CustomResource(
        `${name}-usage-aws-providerconfig`,
        {
          apiVersion: "protection.crossplane.io/v1beta1",
          kind: "ClusterUsage",
          metadata: { name: "aws-providerconfig-by-sqldatabases", labels: { ...PLATFORM_LABELS } },
          spec: {
            of: {
              apiVersion: "aws.m.upbound.io/v1beta1",
              kind: "ClusterProviderConfig",
              resourceRef: { name: CROSSPLANE_DEFAULTS.providerConfig },
            },
            by: {
              apiVersion: "apiextensions.crossplane.io/v2",
              kind: "CompositeResourceDefinition",
              resourceRef: { name: xrdName(XR_PLURALS.sqlDatabase) },
            },
          },
        },
        afterCrossplane(awsProviderConfig, sqlXrdResource),
      );
    }

    this.api = [appXrdResource, sqlXrdResource, appCompositionResource, sqlCompositionResource];
    this.registerOutputs({
      namespace: this.namespace,
      compositionNames: this.compositionNames,
      awsRoleArns: this.awsRoleArns,
    });
  }
}

/** Chart values: replicas from the profile, no package installs (Pulumi owns every package). */
export function crossplaneValues(profile: { readonly controllerReplicas: number }) {
  return {
    replicas: profile.controllerReplicas,
    leaderElection: true,
    rbacManager: { deploy: true, replicas: profile.controllerReplicas, leaderElection: true },
    // No managed resource is active unless the activation policy names it.
    provider: { defaultActivations: [] as string[] },
    metrics: { enabled: true },
  };
}

/**
 * A pinned Crossplane package (`Provider` or `Function`) that Pulumi counts as created only once it is
 * Installed and Healthy, so what depends on it (provider configs, compositions) waits for its CRDs.
 */
function crossplanePackage(
  kind: "Provider" | "Function",
  name: string,
  pin: CrossplanePackagePin,
  extraSpec: Record<string, unknown>,
): kubernetes.apiextensions.CustomResourceArgs {
  return {
    apiVersion: "pkg.crossplane.io/v1",
    kind,
    metadata: {
      name,
      labels: { ...PLATFORM_LABELS },
      annotations: waitFor("condition=Installed", "condition=Healthy"),
    },
    spec: {
      package: packageReference(pin),
      packagePullPolicy: "IfNotPresent",
      revisionActivationPolicy: "Automatic",
      revisionHistoryLimit: 1,
      ...extraSpec,
    },
  };
}

/**
 * `Platform`: the one top-level component. It builds the platform's parts and orders them through
 * their outputs and `dependsOn`; providers arrive through `opts.providers` and reach every child
 * through the parent chain, so no part ever falls back to a default provider.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnvironmentProfile } from "./profile";
import { CertManager, type TlsIssuer } from "./cert-manager";
import type { AwsContext, IngressLayerRef, Readiness, SecretsBackend } from "./contracts";
import {
  managementRepoUrl,
  PLATFORM_SECRET_STORE,
  REGISTRY_PULL_SECRET,
  serviceHost,
  teamNamespace,
} from "./conventions";
import {
  EXTERNAL_SECRETS_DEFAULTS,
  ExternalSecrets,
  type ExternalSecretsBackendArgs,
  type RegistryCredentials,
} from "./external-secrets";
import {
  EnvoyGatewayController,
  http01RouteFor,
  INGRESS_NAMES,
  IngressLayer,
  type IngressController,
  type ProxyServiceArgs,
} from "./ingress";
import { Runners, type RunnersSettings } from "./runners";
import { Crossplane, CROSSPLANE_DEFAULTS, type CrossplaneSettings } from "./crossplane";
import { GitHubOrganization, type GitHubOrganizationArgs } from "./github";
import { EnvironmentFolder, type EnvironmentFolderArgs } from "./github/environment-folder";
import { ArgoCd, ARGOCD_NAMES, type ArgoCdApp, type ArgoCdArgs, type ArgoCdTeam } from "./argocd";
import { SchemaHero, type SchemaHeroArgs } from "./schemahero";
import { PortExporter, type PortRegion } from "./port";
import { dnsOwnerId, ExternalDns, type DnsProvider } from "./dns";
import { Storage, type StorageArgs } from "./storage";
import { WorkloadClusters, type WorkloadCluster } from "./workload-clusters";
import type { Mirror } from "./versions";

export interface PlatformArgs {
  /** Stack name; used only in tags and descriptions, never to branch behaviour (that is the profile's job). */
  readonly stack: string;
  /** Where every chart, image and package comes from instead of upstream (components/versions.ts). Default none. */
  readonly mirror?: Mirror;
  /** Environment profile: protection, issuers, replicas, deletion policies, runner limits. */
  readonly profile: EnvironmentProfile;
  /** Base DNS domain; every exposed service is `<service>.<domain>`. */
  readonly domain: string;
  /** Name of the existing cluster the platform is installed onto. */
  readonly clusterName: string;
  /** GitHub organization that drives the platform. */
  readonly githubOwner: string;

  // --- Cluster foundations ---
  /** AWS account and workload identity wiring; absent on stacks without AWS. */
  readonly aws?: AwsContext;
  /** Applications from config; their hosts go on the Gateway's certificate when it cannot be a wildcard. */
  readonly apps: ReadonlyArray<{ readonly name: string }>;
  /** Certificates: the default issuer and how ACME challenges are solved. */
  readonly tls: {
    readonly issuer: TlsIssuer;
    readonly acmeEmail?: string;
    readonly dns01?: { readonly route53: { readonly hostedZoneId: string; readonly region?: string } };
  };
  /** The ingress layer: Envoy Gateway (default) or ingress-nginx, and the proxies' Service. */
  readonly ingress: { readonly controller: IngressController; readonly service: ProxyServiceArgs };
  /** Where platform secrets live. */
  readonly secrets: ExternalSecretsBackendArgs;
  /** Pull credentials of the apps' registry: every team namespace gets them; absent: public images only. */
  readonly registry?: RegistryCredentials;

  // --- Crossplane ---
  /** The control plane: providers, functions, the App and SQLDatabase APIs and their compositions. */
  readonly crossplane: CrossplaneSettings;

  // --- Runners ---
  /** Self-hosted CI runners (ARC); absent when the stack has no idp:runners. */
  readonly runners?: RunnersSettings;

  // --- GitHub ---
  /** The management and template repositories; and the org-wide objects, when this stack owns them. */
  readonly github: {
    readonly managementRepository: string;
    readonly templateRepository: string;
    /** Set only on the stack with idp:github.manageOrganization: it creates the organization's objects. */
    readonly organization?: GitHubOrganizationArgs;
    /** This environment's folder of the management repository, which every stack writes itself. */
    readonly environmentFolder: EnvironmentFolderArgs;
  };

  // --- GitOps ---
  /** Argo CD (sign-in, RBAC and projects from the teams) and SchemaHero. */
  readonly gitOps: GitOpsSettings;

  /** Where ExternalDNS publishes the hosts' records; absent: the wildcard record is created by hand. */
  readonly dns?: DnsProvider;
  /** Other clusters Argo CD and Crossplane deliver to (credentials in the secrets backend). Default none. */
  readonly workloadClusters?: readonly WorkloadCluster[];
  /** The cloud's CSI driver and/or a Rook Ceph cluster; absent: the cluster's default StorageClass. */
  readonly storage?: Pick<StorageArgs, "csi" | "rook">;

  // --- Portals ---
  /** Port: the account's region and credentials, and whether this cluster runs its exporter. Default none. */
  readonly port?: {
    readonly region: PortRegion;
    readonly clientId: string;
    readonly clientSecret: pulumi.Input<string>;
    readonly exporter: boolean;
  };
}

/** What Argo CD and SchemaHero need from config; `Platform` adds the ingress layer, secrets and ordering. */
export interface GitOpsSettings {
  /** Teams (idp:teams): Dex's allowed teams, RBAC and AppProjects. */
  readonly teams: readonly ArgoCdTeam[];
  /** Apps (idp:apps): their repositories are sources of their team's project. */
  readonly apps: readonly ArgoCdApp[];
  /** Sign-in through Dex with GitHub; absent: local admin with a generated password. */
  readonly sso?: ArgoCdArgs["sso"];
  /** Whether the management repository gets this stack's push webhook. */
  readonly webhook: boolean;
  /** Where SchemaHero's driver plugins come from. */
  readonly schemaHero: Omit<SchemaHeroArgs, "profile">;
}

export class Platform extends pulumi.ComponentResource {
  /** What to do after `pulumi up`, one line per step. */
  public readonly nextSteps: pulumi.Output<string[]>;
  /** How services are exposed: pass it to `expose()` (components/ingress.ts). */
  public readonly ingress: IngressLayerRef;
  /** Where parts write their secrets (`put`); workloads read them through ExternalSecrets of `secrets.store`. */
  public readonly secrets: SecretsBackend;
  /** Name of the default ClusterIssuer (cert-manager). */
  public readonly clusterIssuer: string;
  /** The developer API (XRDs and Compositions): what GitOps must wait for before syncing claims. */
  public readonly crossplaneApi: Readiness;

  /** Clone URL of the management repository, the GitOps source of every environment. */
  public readonly managementRepositoryUrl: pulumi.Output<string>;
  /** Web address of the application template repository. */
  public readonly templateRepositoryUrl: pulumi.Output<string>;
  /** Where an app is requested: the management repository's create-app workflow. */
  public readonly createAppUrl: pulumi.Output<string>;
  /** The organization's GitHub objects, on the stack that owns them. */
  public readonly githubOrganization?: GitHubOrganization;
  /** Argo CD's web address. */
  public readonly argocdUrl: string;
  /** How to sign in to Argo CD. */
  public readonly argocdLogin: string;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:platform:Platform", name, {}, opts);
    const { profile, domain } = args;
    // Every part downloads from the mirror when the stack has one.
    const mirror = args.mirror !== undefined ? { mirror: args.mirror } : {};

    // --- Cluster foundations: Gateway API CRDs → cert-manager → ingress layer; ESO independent.
    const gatewayApi =
      args.ingress.controller === "gateway"
        ? new EnvoyGatewayController(`${name}-envoy-gateway`, { profile, ...mirror }, { parent: this })
        : undefined;
    const certManager = new CertManager(
      `${name}-cert-manager`,
      {
        ...mirror,
        profile,
        domain,
        ...args.tls,
        ...(args.aws !== undefined ? { aws: args.aws } : {}),
        http01: http01RouteFor(args.ingress.controller),
        ...(gatewayApi !== undefined ? { gatewayApi: { ready: gatewayApi.ready } } : {}),
      },
      { parent: this },
    );
    const ingressLayer = new IngressLayer(
      `${name}-ingress`,
      {
        ...mirror,
        profile,
        domain,
        controller: args.ingress.controller,
        service: args.ingress.service,
        tls: certManager.issuerRef,
        hosts: [serviceHost("argocd", domain), ...args.apps.map((app) => serviceHost(app.name, domain))],
        ...(gatewayApi !== undefined ? { envoyGateway: gatewayApi } : {}),
      },
      { parent: this },
    );
    // Each team namespace gets a secret store of its own: its database passwords, the registry login.
    const externalSecrets = new ExternalSecrets(
      `${name}-external-secrets`,
      {
        ...mirror,
        profile,
        backend: args.secrets,
        teamNamespaces: args.gitOps.teams.map((team) => teamNamespace(team.slug)),
        ...(args.registry !== undefined ? { registry: args.registry } : {}),
      },
      { parent: this },
    );
    // Every host the ingress layer routes gets its record; the owner id keeps stacks apart in a shared zone.
    if (args.dns !== undefined) {
      new ExternalDns(
        `${name}-external-dns`,
        {
          ...mirror,
          profile,
          domain,
          ownerId: dnsOwnerId(args.clusterName),
          ingress: ingressLayer.ref,
          provider: args.dns,
          ...(args.aws !== undefined ? { aws: args.aws } : {}),
          secrets: externalSecrets.backend,
          after: [ingressLayer.release],
        },
        { parent: this },
      );
    }
    // Storage before what uses it: in-cluster Postgres claims its volumes from the stack's class.
    const storage =
      args.storage !== undefined
        ? new Storage(
            `${name}-storage`,
            {
              ...mirror,
              profile,
              ...args.storage,
              secrets: externalSecrets.backend,
              clusterName: args.clusterName,
            },
            { parent: this },
          )
        : undefined;
    const teamStoresReady = Object.values(externalSecrets.teamStores).flatMap((store) => store.ready);
    // --- Crossplane: compositions render routes for the stack's ingress layer and push
    // generated database passwords into the secrets backend through each namespace's own store.
    const crossplane = new Crossplane(
      `${name}-crossplane`,
      {
        ...mirror,
        ...args.crossplane,
        ingress: ingressLayer.ref,
        databaseSecrets:
          args.secrets.kind === "aws-secrets-manager"
            ? { kind: "aws-secrets-manager", ready: teamStoresReady, prefix: args.secrets.prefix }
            : { kind: "kubernetes", ready: teamStoresReady },
        ...(args.registry !== undefined ? { imagePullSecret: REGISTRY_PULL_SECRET } : {}),
        ...(storage?.storageClassName !== undefined ? { storageClassName: storage.storageClassName } : {}),
        ...(args.workloadClusters !== undefined
          ? { workloadClusters: args.workloadClusters.map((c) => c.name) }
          : {}),
      },
      { parent: this, ...(storage !== undefined ? { dependsOn: [...storage.ready] } : {}) },
    );
    this.crossplaneApi = crossplane.api;

    // --- Runners: the App key goes through the secrets backend, scale sets after the controller.
    const runners =
      args.runners !== undefined
        ? new Runners(
            `${name}-runners`,
            { ...mirror, ...args.runners, secretsBackend: externalSecrets.backend },
            { parent: this },
          )
        : undefined;

    this.ingress = ingressLayer.ref;
    this.secrets = externalSecrets.backend;
    this.clusterIssuer = certManager.clusterIssuer;
    const foundationSteps = foundationNextSteps(args, certManager, ingressLayer);

    // --- GitHub organization (components/github.ts) ---------------------------------------------
    const gh = args.github;
    const organization =
      gh.organization === undefined
        ? undefined
        : new GitHubOrganization(`${name}-github`, gh.organization, { parent: this });
    const web = `https://github.com/${args.githubOwner}`;
    this.githubOrganization = organization;
    // This environment's folder: written by this stack only, after the repository is seeded.
    const environmentFolder = new EnvironmentFolder(
      `${name}-environment-folder`,
      { ...gh.environmentFolder, ...(organization !== undefined ? { after: organization.ready } : {}) },
      { parent: this },
    );
    this.managementRepositoryUrl =
      organization?.managementRepositoryUrl ??
      pulumi.output(managementRepoUrl(args.githubOwner, gh.managementRepository));
    this.templateRepositoryUrl =
      organization?.templateRepositoryHtmlUrl ?? pulumi.output(`${web}/${gh.templateRepository}`);
    this.createAppUrl =
      organization?.createAppUrl ??
      pulumi.output(`${web}/${gh.managementRepository}/actions/workflows/create-app.yaml`);

    // --- GitOps: SchemaHero and Argo CD. The root Application waits for every API the synced
    // resources use (Crossplane's XRDs and compositions, SchemaHero's CRDs and manager), so no claim syncs
    // before its kinds are served; a destroy deletes it (and, through its finalizer, the apps) first.
    const gitOps = args.gitOps;
    const schemaHero = new SchemaHero(
      `${name}-schemahero`,
      { ...mirror, profile, ...gitOps.schemaHero },
      { parent: this },
    );
    const argocd = new ArgoCd(
      `${name}-argocd`,
      {
        ...mirror,
        profile,
        environment: args.stack,
        domain,
        managementRepository: {
          owner: args.githubOwner,
          name: gh.managementRepository,
          ...(organization !== undefined ? { created: [organization.managementRepository] } : {}),
          // The root Application syncs this environment's folder: it exists once this commit is in.
          seeded: [environmentFolder.seed],
        },
        teams: gitOps.teams,
        apps: gitOps.apps,
        ingress: ingressLayer.ref,
        secrets: externalSecrets.backend,
        ...(gitOps.sso !== undefined ? { sso: gitOps.sso } : {}),
        // GitHub cannot verify a certificate of the local CA; the shared secret still authenticates payloads.
        ...(gitOps.webhook ? { webhook: { insecureSsl: args.tls.issuer === "self-signed" } } : {}),
        syncPrerequisites: [...crossplane.api, ...schemaHero.ready],
        ...(args.workloadClusters !== undefined
          ? { workloadClusterServers: args.workloadClusters.map((c) => c.server) }
          : {}),
      },
      { parent: this },
    );
    this.argocdUrl = argocd.url;
    this.argocdLogin = argocdLogin(argocd, args);

    // --- Workload clusters: registered with Argo CD and Crossplane from the secrets backend.
    const clusters = args.workloadClusters ?? [];
    if (clusters.length > 0) {
      new WorkloadClusters(
        `${name}-workload-clusters`,
        {
          clusters,
          secrets: externalSecrets.backend,
          argocdNamespace: ARGOCD_NAMES.namespace,
          crossplaneNamespace: CROSSPLANE_DEFAULTS.namespace,
          after: [argocd.release, ...crossplane.clusterProviders],
        },
        { parent: this },
      );
    }

    // --- Portals: Port's exporter reads the kinds Crossplane, SchemaHero and Argo CD serve.
    const port = args.port;
    if (port?.exporter === true) {
      new PortExporter(
        `${name}-port-exporter`,
        {
          ...mirror,
          profile,
          environment: args.stack,
          clusterName: args.clusterName,
          region: port.region,
          credentials: { clientId: port.clientId, clientSecret: port.clientSecret },
          secrets: externalSecrets.backend,
          after: [...crossplane.api, argocd.release],
        },
        { parent: this },
      );
    }

    const runnerSteps =
      runners !== undefined
        ? [
            `Runners: scale sets ${runners.scaleSetNames.join(", ")} register with https://github.com/${args.githubOwner}; use them with runs-on: <scale set name>.`,
          ]
        : [];
    this.nextSteps = pulumi
      .all([this.createAppUrl, this.managementRepositoryUrl])
      .apply(([createApp, management]) => [
        `Platform for ${args.clusterName} (${args.profile.name} profile) at *.${args.domain}, driven by https://github.com/${args.githubOwner}.`,
        ...foundationSteps,
        `GitOps source: ${management} (environments/${args.stack}/), synced by Argo CD at ${argocd.url} (root Application ${ARGOCD_NAMES.rootApplication}).`,
        `Argo CD: ${this.argocdLogin}`,
        `Request an app: run ${createApp} with inputs name, team and database (portals call the same workflow_dispatch).`,
        ...runnerSteps,
      ]);

    this.registerOutputs({
      nextSteps: this.nextSteps,
      argocdUrl: this.argocdUrl,
      managementRepositoryUrl: this.managementRepositoryUrl,
      templateRepositoryUrl: this.templateRepositoryUrl,
      createAppUrl: this.createAppUrl,
    });
  }
}

/** How people sign in to Argo CD: GitHub through Dex, or the generated admin password (read from the backend). */
function argocdLogin(argocd: ArgoCd, args: PlatformArgs): string {
  const cli = `argocd login ${new URL(argocd.url).host} --grpc-web`;
  if (argocd.adminPassword === undefined) {
    return `sign in at ${argocd.url} with GitHub (members of ${args.githubOwner}'s teams ${args.gitOps.teams.map((t) => t.slug).join(", ")}); CLI: ${cli} --sso.`;
  }
  const { remoteKey, property } = argocd.adminPassword;
  const read =
    args.secrets.kind === "aws-secrets-manager"
      ? `aws secretsmanager get-secret-value --secret-id ${remoteKey} --query SecretString --output text | jq -r .${property}`
      : `kubectl -n ${EXTERNAL_SECRETS_DEFAULTS.secretsNamespace} get secret ${remoteKey} -o jsonpath='{.data.${property}}' | base64 -d`;
  return `sign in at ${argocd.url} as admin with the password from: ${read}; CLI: ${cli} --username admin.`;
}

/** What an operator does after the foundations are up: trust the local CA, point DNS or ports at the proxies. */
function foundationNextSteps(args: PlatformArgs, certManager: CertManager, ingress: IngressLayer): string[] {
  const steps: string[] = [];
  if (certManager.rootCa !== undefined) {
    const { namespace, secretName } = certManager.rootCa;
    steps.push(
      `Trust the local root CA: kubectl -n ${namespace} get secret ${secretName} -o jsonpath='{.data.ca\\.crt}' | base64 -d > ${secretName}.crt, then add ${secretName}.crt to your OS or browser trust store.`,
    );
  }
  const service = args.ingress.service;
  if (service.type === "NodePort" && service.nodePorts !== undefined) {
    steps.push(
      `Map host ports 80 and 443 to node ports ${service.nodePorts.http} and ${service.nodePorts.https} (kind: extraPortMappings, see docs/foundations.md) and make *.${args.domain} resolve to that host.`,
    );
  } else if (args.dns !== undefined) {
    steps.push(
      `DNS: ExternalDNS publishes a record for every host in ${args.domain} (${args.dns.kind}); nothing to point by hand.`,
    );
  } else if (args.ingress.controller === "gateway") {
    const names = INGRESS_NAMES.gateway;
    steps.push(
      `Point *.${args.domain} at the Gateway: kubectl -n ${names.namespace} get gateway ${names.gateway} -o jsonpath='{.status.addresses[0].value}'.`,
    );
  } else {
    steps.push(
      `Point *.${args.domain} at ingress-nginx: kubectl -n ${INGRESS_NAMES.nginx.namespace} get service ingress-nginx-controller -o jsonpath='{.status.loadBalancer.ingress[0]}'.`,
    );
  }
  if (ingress.certificateDnsNames !== undefined && !certManager.issuerRef.wildcard) {
    steps.push(
      `The Gateway certificate names ${ingress.certificateDnsNames.join(", ")} only (HTTP-01): apps created through self-service need idp:tls.dns01, or their name in idp:apps.`,
    );
  }
  const secrets = args.secrets;
  steps.push(
    secrets.kind === "aws-secrets-manager"
      ? `Platform secrets live in AWS Secrets Manager below ${secrets.prefix}/ and reach workloads through the ClusterSecretStore ${PLATFORM_SECRET_STORE}.`
      : `Platform secrets live in the namespace ${EXTERNAL_SECRETS_DEFAULTS.secretsNamespace} and reach workloads through the ClusterSecretStore ${PLATFORM_SECRET_STORE}.`,
  );
  return steps;
}

/**
 * `Runners`: self-hosted GitHub Actions runners for the organization, on the platform cluster, with
 * GitHub's Actions Runner Controller (ARC): the `gha-runner-scale-set-controller` chart and one
 * `gha-runner-scale-set` release per organization-level runner scale set, both at `ARC_VERSION`.
 *
 * - Credentials: a GitHub App (only the organization permission "Self-hosted runners") whose private key
 *   goes into the platform's secrets backend and reaches the runners' namespace only through an
 *   ExternalSecret; Helm values name the Secret, never its content.
 * - Isolation: the controller (and the listeners it starts) in a restricted namespace; kubernetes-mode
 *   runners in their own namespace, their job pods in another (`arc-jobs`); docker-in-docker runners, an
 *   explicit opt-in, in a namespace that is the only one allowing privileged pods. Every namespace gets a
 *   NetworkPolicy: no ingress, egress only to DNS, the API server (not from job pods) and HTTPS on public
 *   addresses.
 * - The App key is readable by nothing that runs a job: ARC needs it in the scale set's namespace
 *   (its secret resolver reads `githubConfigSecret` there, controllers/actions.github.com/secretresolver
 *   at gha-runner-scale-set-0.14.2), where the chart's kubernetes-mode Role would let runner pods read
 *   every Secret. So kubernetes-mode runners use the container hooks' volume-less mode
 *   (`kubernetes-novolume`, runner-container-hooks v0.8.1 in the pinned runner image) with
 *   `ACTIONS_RUNNER_KUBERNETES_NAMESPACE` pointing at the jobs namespace, where every hook call goes
 *   (packages/k8s/src/k8s/index.ts, `namespace()`), and a service account of our own whose only Role
 *   is in the jobs namespace.
 * - Routing: each environment's scale sets join runner groups of their own, which the stack creates,
 *   and carry no label another environment's runners could carry; workflows select them with
 *   `runs-on: { group: <group>, labels: [<scale set>] }` (the `runsOn` output), so GitHub never sends one
 *   environment's job to another's runners (ARC docs/gha-runner-scale-set-controller/README.md at
 *   gha-runner-scale-set-0.14.2: labels are matched across every runner the job's repository may use).
 * - Order: scale sets depend on the controller, their ExternalSecret and the secret store, so a destroy
 *   removes them first (their finalizers need the controller). An ARC version bump deletes the scale
 *   sets, then upgrades the controller, then recreates them (docs/runbooks/arc-upgrade.md): see
 *   `upgradeGate` below.
 */
import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile } from "./profile";
import type { Readiness, SecretsBackend, StoredSecret } from "./contracts";
import { helmRelease, namespace, PLATFORM_LABELS, statefulProtection } from "./kube";
import { externalSecret } from "./secrets-backend";
import { ARC_VERSION, CHARTS, IMAGES, imageReference, type Mirror, mirroredImage } from "./versions";

export type RunnerContainerMode = "kubernetes" | "dind";

export interface RunnerResourceList {
  /** CPU quantity, e.g. `500m`. */
  readonly cpu?: string;
  /** Memory quantity, e.g. `1Gi`. */
  readonly memory?: string;
}

export interface RunnerResources {
  /** What the scheduler reserves. Default: none. */
  readonly requests?: RunnerResourceList;
  /** The most the container may use. Default: none. */
  readonly limits?: RunnerResourceList;
}

export interface RunnerScaleSetArgs {
  /** Scale set name (`runs-on: <name>`), also its Helm release name. At most 45 characters. */
  readonly name: string;
  /**
   * Organization runner group the scale set joins. `Runners` creates it; never GitHub's shared
   * `Default` group (stacks/args.ts defaults it to the cluster's name).
   */
  readonly runnerGroup: string;
  /** Extra labels workflows may select the scale set by; none that every environment could carry. */
  readonly labels: readonly string[];
  /** Idle runners kept warm. At most `maxRunners`. */
  readonly minRunners: number;
  /** Most runners at once. At most the profile's `runners.maxRunners`. */
  readonly maxRunners: number;
  /** Requests and limits of the runner container (in dind mode also of the Docker daemon sidecar). */
  readonly resources: RunnerResources;
  /**
   * `kubernetes`: jobs run in their own pods through the runner's container hooks; nothing privileged.
   * `dind`: a privileged Docker daemon beside the runner; an explicit opt-in, logged as a warning.
   */
  readonly containerMode: RunnerContainerMode;
  /**
   * Most disk a runner's work directory may use in kubernetes mode (an emptyDir with this size limit;
   * the job's pod has its own), e.g. `10Gi`. Unused in dind mode.
   */
  readonly workVolumeSize: string;
}

export interface RunnersArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Environment profile: controller replicas, runner bounds, protection of the controller. */
  readonly profile: EnvironmentProfile;
  /** The GitHub organization whose runners these are (`https://github.com/<owner>`). */
  readonly githubOwner: string;
  /**
   * The GitHub App ARC authenticates as: ids and its PEM private key (a Pulumi secret). Written into the
   * secrets backend; never into Helm values.
   */
  readonly githubApp: {
    readonly appId: number;
    readonly installationId: number;
    readonly privateKey: pulumi.Input<string>;
  };
  /** Where the App's credentials are stored and read back from through ExternalSecrets. */
  readonly secretsBackend: SecretsBackend;
  /** The organization-level scale sets; at least one, names unique. */
  readonly scaleSets: readonly RunnerScaleSetArgs[];
  /** CIDRs of the Kubernetes API server endpoints as pods reach them: NetworkPolicy egress on 443/6443. */
  readonly apiServerCidrs: readonly string[];
  /** Namespace of the controller and the listeners. Default `arc-systems`. */
  readonly controllerNamespace?: string;
  /** Namespace of kubernetes-mode runners. Default `arc-runners`. */
  readonly runnersNamespace?: string;
  /** Namespace of the job pods kubernetes-mode runners start. Default `arc-jobs`. */
  readonly jobsNamespace?: string;
  /** Namespace of docker-in-docker runners (created only when a scale set opts in). Default `arc-runners-dind`. */
  readonly dindNamespace?: string;
  /** Resources of the controller. Default: requests 100m / 128Mi, limit 512Mi memory. */
  readonly controllerResources?: RunnerResources;
  /** Resources of each scale set's listener pod. Default: requests 50m / 64Mi, limit 256Mi memory. */
  readonly listenerResources?: RunnerResources;
}

/** What `Runners` takes from stack config (`runnersSettingsFrom` in stacks/args.ts); Platform adds the backend. */
export type RunnersSettings = Omit<RunnersArgs, "secretsBackend">;

export const RUNNERS_DEFAULTS = {
  controllerNamespace: "arc-systems",
  runnersNamespace: "arc-runners",
  jobsNamespace: "arc-jobs",
  /** Service account of kubernetes-mode runner pods: its only Role is in the jobs namespace. */
  runnerServiceAccount: "arc-runner",
  dindNamespace: "arc-runners-dind",
  controllerReleaseName: "arc",
  /** Named explicitly so scale sets can name it too (the chart would otherwise look it up in the cluster). */
  controllerServiceAccount: "arc-controller",
  /** Backend secret (logical name) and the Secret the ExternalSecrets create in each runner namespace. */
  backendSecretName: "arc/github-app",
  githubConfigSecret: "arc-github-app",
  controllerResources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
  listenerResources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
  /** The `runner` user of the actions-runner image, and its `docker` group (owner of the work volume). */
  runnerUser: 1001,
  runnerGroup: 123,
  /** ARC's limit on scale set names. */
  maxNameLength: 45,
} as const;

/**
 * Labels any environment's runners could carry (the runner's own OS and architecture labels, GitHub's
 * hosted runner names): a job asking for them may run on whichever environment's runners GitHub picks.
 */
export const GENERIC_RUNNER_LABELS = [
  "self-hosted",
  "linux",
  "windows",
  "macos",
  "x64",
  "arm",
  "arm64",
] as const;
const HOSTED_RUNNER_NAME = /^(ubuntu|windows|macos)-/;

/** Why a scale set label is unsafe, or undefined when it is fine. */
export function runnerLabelProblem(label: string): string | undefined {
  const lower = label.toLowerCase();
  if ((GENERIC_RUNNER_LABELS as readonly string[]).includes(lower) || HOSTED_RUNNER_NAME.test(lower)) {
    return `"${label}" is a label every environment's runners could carry, so GitHub may send another environment's job to these runners; use labels that name this environment, or none: workflows select a scale set by its group and name`;
  }
  return undefined;
}

/** Why a runner group is unsafe, or undefined when it is fine. */
export function runnerGroupProblem(group: string): string | undefined {
  return group.toLowerCase() === "default"
    ? `"${group}" is GitHub's Default group, which every environment's runners would share; leave runnerGroup out (the stack creates a group named after its cluster) or name a group of this environment`
    : undefined;
}

/** Address ranges that are not "the internet": private, carrier-grade NAT, link-local (cloud metadata). */
export const NON_PUBLIC_IPV4 = [
  "10.0.0.0/8",
  "100.64.0.0/10",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
] as const;
export const NON_PUBLIC_IPV6 = ["fc00::/7", "fe80::/10"] as const;
/** Ports the API server listens on (managed clusters 443, kubeadm and kind 6443). */
export const API_SERVER_PORTS = [443, 6443] as const;

/** Problems with the scale sets that no stack config may produce; [] when they are fine. */
export function scaleSetProblems(
  scaleSets: readonly RunnerScaleSetArgs[],
  profile: EnvironmentProfile,
): string[] {
  const problems: string[] = [];
  if (scaleSets.length === 0) problems.push("at least one scale set is required");
  const seen = new Set<string>();
  for (const scaleSet of scaleSets) {
    const label = `scale set "${scaleSet.name}"`;
    if (seen.has(scaleSet.name)) problems.push(`${label} is defined twice`);
    seen.add(scaleSet.name);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(scaleSet.name)) {
      problems.push(`${label}: the name must be a lowercase DNS label`);
    }
    if (scaleSet.name.length > RUNNERS_DEFAULTS.maxNameLength) {
      problems.push(`${label}: the name is longer than ${RUNNERS_DEFAULTS.maxNameLength} characters`);
    }
    if (scaleSet.maxRunners > profile.runners.maxRunners) {
      problems.push(
        `${label}: maxRunners ${scaleSet.maxRunners} exceeds the ${profile.name} profile's bound of ${profile.runners.maxRunners}`,
      );
    }
    if (scaleSet.minRunners > scaleSet.maxRunners) {
      problems.push(`${label}: minRunners ${scaleSet.minRunners} exceeds maxRunners ${scaleSet.maxRunners}`);
    }
    const group = runnerGroupProblem(scaleSet.runnerGroup);
    if (group !== undefined) problems.push(`${label}: runnerGroup ${group}`);
    for (const scaleSetLabel of scaleSet.labels) {
      const problem = runnerLabelProblem(scaleSetLabel);
      if (problem !== undefined) problems.push(`${label}: label ${problem}`);
    }
  }
  return problems;
}

/** Container security context every non-privileged ARC container gets (Pod Security "restricted"). */
const HARDENED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
} as const;

/**
 * The NetworkPolicy spec of an ARC namespace: no ingress at all; egress to cluster DNS, to the API
 * server (the controller, and the container hooks of kubernetes-mode runners, use it) and to HTTPS on
 * public addresses (GitHub, registries, package mirrors), never to private ranges or cloud metadata.
 */
export function arcNetworkPolicySpec(
  apiServerCidrs: readonly string[],
  options: { readonly apiServer?: boolean } = {},
): kubernetes.types.input.networking.v1.NetworkPolicySpec {
  const apiServer = options.apiServer ?? true;
  return {
    podSelector: {},
    policyTypes: ["Ingress", "Egress"],
    ingress: [],
    egress: [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
      ...(apiServer
        ? [
            {
              to: apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: API_SERVER_PORTS.map((port) => ({ protocol: "TCP", port })),
            },
          ]
        : []),
      {
        to: [
          { ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_IPV4] } },
          { ipBlock: { cidr: "::/0", except: [...NON_PUBLIC_IPV6] } },
        ],
        ports: [{ protocol: "TCP", port: 443 }],
      },
    ],
  };
}

/** Chart values of the controller release. */
export function controllerValues(args: {
  readonly replicas: number;
  readonly resources: RunnerResources;
}): Record<string, unknown> {
  return {
    replicaCount: args.replicas,
    serviceAccount: { create: true, name: RUNNERS_DEFAULTS.controllerServiceAccount },
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: { ...HARDENED_CONTAINER, readOnlyRootFilesystem: true },
    resources: args.resources,
    flags: { logLevel: "info", logFormat: "json" },
  };
}

/** The listener pod of a scale set runs in the controller's namespace: keep it "restricted" too. */
function listenerTemplate(resources: RunnerResources): Record<string, unknown> {
  return {
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      // ARC's own value for listener pods, which a listener template would otherwise reset.
      terminationGracePeriodSeconds: 60,
      containers: [{ name: "listener", resources, securityContext: { ...HARDENED_CONTAINER } }],
    },
  };
}

/** The images runner pods use: the pinned runner and Docker daemon, from the stack's mirror when it has one. */
interface RunnerImages {
  readonly runner: string;
  readonly dind: string;
}

function runnerImages(mirror: Mirror | undefined): RunnerImages {
  return {
    runner: mirroredImage(imageReference(IMAGES.actionsRunner), mirror),
    dind: mirroredImage(imageReference(IMAGES.dockerDind), mirror),
  };
}

/** The runner container: pinned image, numeric non-root user (so runAsNonRoot can be verified), no escalation. */
function runnerContainer(
  image: string,
  resources: RunnerResources,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    name: "runner",
    image,
    command: ["/home/runner/run.sh"],
    resources,
    securityContext: { ...HARDENED_CONTAINER, runAsNonRoot: true, runAsUser: RUNNERS_DEFAULTS.runnerUser },
    ...extra,
  };
}

/**
 * Permissions the container hooks check before every command, in the namespace they work in
 * (runner-container-hooks v0.8.1, packages/k8s/src/k8s/index.ts `requiredPermissions`): the runner's
 * Role in the jobs namespace, and nothing anywhere else.
 */
export const JOB_HOOK_RULES = [
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "create", "delete"] },
  { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "create", "delete"] },
] as const;

/**
 * Runner pod template of a kubernetes-mode scale set: the hooks' volume-less mode, which copies the job's
 * files into the job pod through the API server instead of sharing a volume with it, so the job pod can
 * run in the jobs namespace. The chart adds the hooks' environment (ACTIONS_RUNNER_CONTAINER_HOOKS
 * pointing at /home/runner/k8s-novolume, the pod name, ACTIONS_RUNNER_IMAGE from this container's image)
 * and keeps ours; with `serviceAccountName` set it creates no kubernetes-mode Role
 * (templates/kube_mode_role.yaml at gha-runner-scale-set-0.14.2).
 */
function kubernetesModeValues(scaleSet: RunnerScaleSetArgs, jobsNamespace: string, images: RunnerImages) {
  return {
    containerMode: { type: "kubernetes-novolume" },
    template: {
      spec: {
        serviceAccountName: RUNNERS_DEFAULTS.runnerServiceAccount,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: RUNNERS_DEFAULTS.runnerUser,
          fsGroup: RUNNERS_DEFAULTS.runnerGroup,
          fsGroupChangePolicy: "OnRootMismatch",
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          runnerContainer(images.runner, scaleSet.resources, {
            env: [{ name: "ACTIONS_RUNNER_KUBERNETES_NAMESPACE", value: jobsNamespace }],
            volumeMounts: [{ name: "work", mountPath: "/home/runner/_work" }],
          }),
        ],
        volumes: [{ name: "work", emptyDir: { sizeLimit: scaleSet.workVolumeSize } }],
      },
    },
  };
}

/**
 * The mark of a scale set that opted in to privileged pods (docker-in-docker), on its runner pod
 * template: the policy pack (policy/runners.ts) rejects privileged runners without it.
 */
export const PRIVILEGED_OPT_IN_ANNOTATION = "idp.platform/privileged-opt-in";

/**
 * Runner pod template of a docker-in-docker scale set, spelled out rather than left to the chart's
 * `containerMode: dind`, which hard-codes the unpinned `docker:dind` image. Same layout as the chart's:
 * the Docker daemon is a privileged native sidecar (an init container with `restartPolicy: Always`,
 * Kubernetes 1.29+) sharing the socket and the work directory with the runner.
 */
function dindModeValues(scaleSet: RunnerScaleSetArgs, images: RunnerImages) {
  const work = { name: "work", mountPath: "/home/runner/_work" };
  const socket = { name: "dind-sock", mountPath: "/var/run" };
  return {
    template: {
      metadata: { annotations: { [PRIVILEGED_OPT_IN_ANNOTATION]: "docker-in-docker" } },
      spec: {
        securityContext: {
          fsGroup: RUNNERS_DEFAULTS.runnerGroup,
          seccompProfile: { type: "RuntimeDefault" },
        },
        // The runner needs no Kubernetes API access in this mode.
        automountServiceAccountToken: false,
        initContainers: [
          {
            name: "init-dind-externals",
            image: images.runner,
            command: ["cp"],
            args: ["-r", "/home/runner/externals/.", "/home/runner/tmpDir/"],
            securityContext: {
              ...HARDENED_CONTAINER,
              runAsNonRoot: true,
              runAsUser: RUNNERS_DEFAULTS.runnerUser,
            },
            volumeMounts: [{ name: "dind-externals", mountPath: "/home/runner/tmpDir" }],
          },
          {
            name: "dind",
            image: images.dind,
            args: ["dockerd", "--host=unix:///var/run/docker.sock", "--group=$(DOCKER_GROUP_GID)"],
            env: [{ name: "DOCKER_GROUP_GID", value: String(RUNNERS_DEFAULTS.runnerGroup) }],
            // The opt-in: dockerd needs a privileged container.
            securityContext: { privileged: true },
            restartPolicy: "Always",
            startupProbe: {
              exec: { command: ["docker", "info"] },
              initialDelaySeconds: 0,
              failureThreshold: 24,
              periodSeconds: 5,
            },
            resources: scaleSet.resources,
            volumeMounts: [work, socket, { name: "dind-externals", mountPath: "/home/runner/externals" }],
          },
        ],
        containers: [
          runnerContainer(images.runner, scaleSet.resources, {
            env: [
              { name: "DOCKER_HOST", value: "unix:///var/run/docker.sock" },
              { name: "RUNNER_WAIT_FOR_DOCKER_IN_SECONDS", value: "120" },
            ],
            volumeMounts: [work, socket],
          }),
        ],
        volumes: [
          { name: "work", emptyDir: {} },
          { name: "dind-sock", emptyDir: {} },
          { name: "dind-externals", emptyDir: {} },
        ],
      },
    },
  };
}

/** Chart values of one scale set release. Credentials appear only as the name of a Secret. */
export function scaleSetValues(args: {
  readonly scaleSet: RunnerScaleSetArgs;
  readonly githubOwner: string;
  readonly controllerNamespace: string;
  /** Where kubernetes-mode runners start their job pods. */
  readonly jobsNamespace: string;
  readonly listenerResources: RunnerResources;
  /** Where the runner images come from. Default: upstream. */
  readonly mirror?: Mirror;
}): Record<string, unknown> {
  const { scaleSet } = args;
  const images = runnerImages(args.mirror);
  return {
    githubConfigUrl: `https://github.com/${args.githubOwner}`,
    githubConfigSecret: RUNNERS_DEFAULTS.githubConfigSecret,
    runnerScaleSetName: scaleSet.name,
    runnerGroup: scaleSet.runnerGroup,
    ...(scaleSet.labels.length > 0 ? { scaleSetLabels: [...scaleSet.labels] } : {}),
    minRunners: scaleSet.minRunners,
    maxRunners: scaleSet.maxRunners,
    controllerServiceAccount: {
      namespace: args.controllerNamespace,
      name: RUNNERS_DEFAULTS.controllerServiceAccount,
    },
    listenerTemplate: listenerTemplate(args.listenerResources),
    ...(scaleSet.containerMode === "dind"
      ? dindModeValues(scaleSet, images)
      : kubernetesModeValues(scaleSet, args.jobsNamespace, images)),
  };
}

/** Adds an annotation to a resource's metadata before it is registered. */
export class Runners extends pulumi.ComponentResource {
  /** The controller release: ARC's CRDs installed and its controller available. */
  public readonly ready: Readiness;
  /** Namespace of the controller and the listeners. */
  public readonly controllerNamespace: string;
  /** Namespaces holding runners, by container mode. */
  public readonly runnerNamespaces: Readonly<Partial<Record<RunnerContainerMode, string>>>;
  /** Namespace of kubernetes-mode runners' job pods (when a scale set uses that mode). */
  public readonly jobPodsNamespace?: string;
  /** Scale set names workflows can target with `runs-on`. */
  public readonly scaleSetNames: readonly string[];
  /** What a workflow writes to run on each scale set: `runs-on: { group, labels: [<name>] }`, by name. */
  public readonly runsOn: Readonly<Record<string, { group: string; labels: readonly string[] }>>;
  /** The runner groups this stack created, by name. */
  public readonly runnerGroups: Readonly<Record<string, github.ActionsRunnerGroup>>;

  constructor(name: string, args: RunnersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:runners:Runners", name, {}, opts);

    const problems = scaleSetProblems(args.scaleSets, args.profile);
    if (problems.length > 0) throw new Error(`Runners ${name}: ${problems.join("; ")}`);
    if (args.apiServerCidrs.length === 0) {
      throw new Error(
        `Runners ${name}: apiServerCidrs is empty; the NetworkPolicies would cut off the API server`,
      );
    }

    const controllerNs = args.controllerNamespace ?? RUNNERS_DEFAULTS.controllerNamespace;
    const modeNamespaces: Record<RunnerContainerMode, string> = {
      kubernetes: args.runnersNamespace ?? RUNNERS_DEFAULTS.runnersNamespace,
      dind: args.dindNamespace ?? RUNNERS_DEFAULTS.dindNamespace,
    };
    const modes = [...new Set(args.scaleSets.map((s) => s.containerMode))].sort();
    const jobsNamespace = args.jobsNamespace ?? RUNNERS_DEFAULTS.jobsNamespace;
    if (modes.includes("kubernetes")) this.jobPodsNamespace = jobsNamespace;
    this.controllerNamespace = controllerNs;
    this.runnerNamespaces = Object.fromEntries(modes.map((mode) => [mode, modeNamespaces[mode]]));
    this.scaleSetNames = args.scaleSets.map((s) => s.name);
    this.runsOn = Object.fromEntries(
      args.scaleSets.map((s) => [s.name, { group: s.runnerGroup, labels: [s.name] }]),
    );

    const protection = statefulProtection(args.profile);

    // --- Controller -------------------------------------------------------------------------
    const controllerNamespace = namespace(
      `${name}-controller-ns`,
      { name: controllerNs, podSecurity: "restricted" },
      { parent: this, ...protection },
    );
    new kubernetes.networking.v1.NetworkPolicy(
      `${name}-controller-netpol`,
      {
        metadata: {
          name: "arc-egress",
          namespace: controllerNamespace.metadata.name,
          labels: { ...PLATFORM_LABELS },
        },
        spec: arcNetworkPolicySpec(args.apiServerCidrs),
      },
      { parent: this },
    );

    /**
     * The upgrade gate: replaced (delete first) whenever ARC_VERSION changes. Every scale set release takes
     * its namespace through this object's output, so Pulumi deletes the scale sets before it replaces the
     * gate; the controller release waits for the gate, so it is upgraded only after that, and the scale
     * sets are recreated last. That is ARC's upgrade order: docs/runbooks/arc-upgrade.md.
     */
    const upgradeGate = new kubernetes.core.v1.ConfigMap(
      `${name}-upgrade-gate`,
      {
        metadata: {
          name: "arc-upgrade-gate",
          namespace: controllerNamespace.metadata.name,
          labels: { ...PLATFORM_LABELS },
          annotations: {
            "idp.platform/purpose":
              "Replaced on every ARC version change so that scale sets are removed before the controller is upgraded (docs/runbooks/arc-upgrade.md).",
          },
        },
        data: { arcVersion: ARC_VERSION },
      },
      { parent: this, replaceOnChanges: ["data"], deleteBeforeReplace: true },
    );

    const controller = helmRelease(
      `${name}-controller`,
      {
        pin: CHARTS.arcController,
        mirror: args.mirror,
        releaseName: RUNNERS_DEFAULTS.controllerReleaseName,
        namespace: controllerNamespace.metadata.name,
        values: controllerValues({
          replicas: args.profile.controllerReplicas,
          resources: args.controllerResources ?? RUNNERS_DEFAULTS.controllerResources,
        }),
      },
      // CRD-bearing: protected as the profile says. An ARC upgrade is an in-place update of it.
      { parent: this, dependsOn: [upgradeGate], ...protection },
    );
    this.ready = [controller];

    // --- Credentials ------------------------------------------------------------------------
    const stored: StoredSecret = args.secretsBackend.put(
      `${name}-github-app`,
      {
        name: RUNNERS_DEFAULTS.backendSecretName,
        description: `GitHub App of the runner controller for ${args.githubOwner} (organization permission: Self-hosted runners)`,
        data: {
          appId: String(args.githubApp.appId),
          installationId: String(args.githubApp.installationId),
          privateKey: args.githubApp.privateKey,
        },
      },
      { parent: this },
    );

    // --- Runner namespaces: one per container mode in use ------------------------------------
    const perMode = new Map<
      RunnerContainerMode,
      { gated: pulumi.Output<string>; dependsOn: pulumi.Resource[] }
    >();
    for (const mode of modes) {
      const nsName = modeNamespaces[mode];
      const ns = namespace(
        `${name}-${nsName}-ns`,
        mode === "dind"
          ? { name: nsName, podSecurity: "privileged" }
          : {
              // Runner pods meet "restricted"; the job pods the container hooks create from workflow images
              // cannot be made to (root users, no securityContext), so "baseline" is enforced — no
              // privileged pods, host namespaces or host paths — and "restricted" is audited and warned.
              name: nsName,
              podSecurity: "baseline",
              labels: {
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
              },
            },
        // Protected like every platform namespace: deleting it would delete the scale sets' listeners and
        // secrets with it. The scale-set releases inside stay unprotected: they hold no state.
        { parent: this, ...protection },
      );
      const networkPolicy = new kubernetes.networking.v1.NetworkPolicy(
        `${name}-${nsName}-netpol`,
        {
          metadata: { name: "arc-egress", namespace: ns.metadata.name, labels: { ...PLATFORM_LABELS } },
          spec: arcNetworkPolicySpec(args.apiServerCidrs),
        },
        { parent: this },
      );
      const githubSecret = externalSecret(
        `${name}-${nsName}-github-app`,
        {
          name: RUNNERS_DEFAULTS.githubConfigSecret,
          namespace: ns.metadata.name,
          store: args.secretsBackend.store,
          // The keys ARC reads from a pre-defined githubConfigSecret for GitHub App authentication.
          data: [
            { secretKey: "github_app_id", from: stored, property: "appId" },
            { secretKey: "github_app_installation_id", from: stored, property: "installationId" },
            { secretKey: "github_app_private_key", from: stored, property: "privateKey" },
          ],
        },
        // externalSecret() waits until ESO has synced the Secret, so the scale sets install after it.
        { parent: this },
      );
      const jobAccess =
        mode === "kubernetes" ? this.jobsNamespace(name, jobsNamespace, nsName, args, protection) : [];
      perMode.set(mode, {
        // The scale sets' namespace input, routed through the upgrade gate (see above).
        gated: pulumi
          .all([upgradeGate.metadata.name, ns.metadata.name])
          .apply(([, namespaceName]) => namespaceName),
        dependsOn: [
          controller,
          githubSecret,
          networkPolicy,
          ...jobAccess,
          ...args.secretsBackend.store.ready,
        ],
      });
    }

    // --- Runner groups: one set per environment, owned by this stack -----------------------------
    const groups: Record<string, github.ActionsRunnerGroup> = {};
    for (const group of [...new Set(args.scaleSets.map((s) => s.runnerGroup))].sort()) {
      groups[group] = new github.ActionsRunnerGroup(
        `${name}-group-${group.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`,
        {
          name: group,
          // Every private and internal repository of the organization; never a public one (a fork's
          // pull request could run code on the cluster).
          visibility: "all",
          allowsPublicRepositories: false,
        },
        { parent: this },
      );
    }
    this.runnerGroups = groups;

    // --- Scale sets --------------------------------------------------------------------------
    for (const scaleSet of args.scaleSets) {
      const target = perMode.get(scaleSet.containerMode)!;
      if (scaleSet.containerMode === "dind") {
        void pulumi.log.warn(
          `runner scale set "${scaleSet.name}" opts in to docker-in-docker: its pods run a privileged container, in namespace ${modeNamespaces.dind}, which enforces only the "privileged" Pod Security level. Use containerMode kubernetes unless jobs need a Docker daemon.`,
          this,
        );
      }
      helmRelease(
        `${name}-${scaleSet.name}`,
        {
          pin: CHARTS.arcScaleSet,
          mirror: args.mirror,
          releaseName: scaleSet.name,
          namespace: target.gated,
          values: scaleSetValues({
            scaleSet,
            githubOwner: args.githubOwner,
            controllerNamespace: controllerNs,
            jobsNamespace,
            listenerResources: args.listenerResources ?? RUNNERS_DEFAULTS.listenerResources,
            ...(args.mirror !== undefined ? { mirror: args.mirror } : {}),
          }),
        },
        {
          parent: this,
          // Controller, credentials, store, group: a destroy removes the scale set before any of them.
          dependsOn: [...target.dependsOn, groups[scaleSet.runnerGroup]!],
          // A release of the same name cannot exist twice: always delete before recreating.
          deleteBeforeReplace: true,
          replaceOnChanges: ["version"],
        },
      );
    }

    this.registerOutputs({
      controllerNamespace: this.controllerNamespace,
      runnerNamespaces: this.runnerNamespaces,
      scaleSetNames: this.scaleSetNames,
      runsOn: this.runsOn,
    });
  }

  /**
   * The namespace kubernetes-mode runners start job pods in, and the runners' access to it: a service
   * account of their own (in the runners' namespace, bound to nothing there) with the hooks' Role here.
   * Job pods run workflow code: they get no service account token and no API server egress, and this
   * namespace holds no Secret but those the hooks create for a job.
   */
  private jobsNamespace(
    name: string,
    jobsNamespace: string,
    runnersNamespace: string,
    args: RunnersArgs,
    protection: ReturnType<typeof statefulProtection>,
  ): pulumi.Resource[] {
    const labels = { ...PLATFORM_LABELS };
    const ns = namespace(
      `${name}-${jobsNamespace}-ns`,
      {
        // Workflow images run here as they are (root users, no securityContext): "baseline" is enforced,
        // "restricted" audited and warned, as in the runners' namespace.
        name: jobsNamespace,
        podSecurity: "baseline",
        labels: {
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
      { parent: this, ...protection },
    );
    const inJobs = { parent: this, dependsOn: [ns] };
    const networkPolicy = new kubernetes.networking.v1.NetworkPolicy(
      `${name}-${jobsNamespace}-netpol`,
      {
        metadata: { name: "arc-egress", namespace: jobsNamespace, labels },
        // The runner reaches job pods through the API server (exec), never the network.
        spec: arcNetworkPolicySpec(args.apiServerCidrs, { apiServer: false }),
      },
      inJobs,
    );
    new kubernetes.core.v1.ServiceAccountPatch(
      `${name}-${jobsNamespace}-default-account`,
      { metadata: { name: "default", namespace: jobsNamespace }, automountServiceAccountToken: false },
      inJobs,
    );
    const account = new kubernetes.core.v1.ServiceAccount(
      `${name}-runner-account`,
      { metadata: { name: RUNNERS_DEFAULTS.runnerServiceAccount, namespace: runnersNamespace, labels } },
      { parent: this },
    );
    const role = new kubernetes.rbac.v1.Role(
      `${name}-job-hooks-role`,
      {
        metadata: { name: "arc-job-hooks", namespace: jobsNamespace, labels },
        rules: JOB_HOOK_RULES.map((rule) => ({
          apiGroups: [...rule.apiGroups],
          resources: [...rule.resources],
          verbs: [...rule.verbs],
        })),
      },
      inJobs,
    );
    const binding = new kubernetes.rbac.v1.RoleBinding(
      `${name}-job-hooks-binding`,
      {
        metadata: { name: "arc-job-hooks", namespace: jobsNamespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "arc-job-hooks" },
        subjects: [
          {
            kind: "ServiceAccount",
            name: RUNNERS_DEFAULTS.runnerServiceAccount,
            namespace: runnersNamespace,
          },
        ],
      },
      { parent: this, dependsOn: [role, account] },
    );
    return [networkPolicy, account, binding];
  }
}

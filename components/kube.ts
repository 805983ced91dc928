/**
 * Small Kubernetes building blocks every part uses the same way: namespaces with Pod Security labels,
 * pinned Helm releases that wait for their workloads, readiness annotations and protection options.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import type { EnvironmentProfile } from "./profile";
import { CHART_IMAGES, chartReference, mirroredChart, type HelmChartPin, type Mirror } from "./versions";

/** Labels on every object the platform creates directly. */
export const PLATFORM_LABELS = {
  "app.kubernetes.io/part-of": "idp",
  "app.kubernetes.io/managed-by": "pulumi",
} as const;

/** Pod Security Standards version the labels pin (a newer cluster evaluates it as that version). */
export const POD_SECURITY_VERSION = "v1.33";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface NamespaceArgs {
  /** Namespace name. */
  readonly name: string;
  /** Pod Security level enforced, audited and warned. */
  readonly podSecurity: PodSecurityLevel;
  /** Extra labels. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Pod Security Admission labels: enforce, audit and warn at one level and pinned version. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ["enforce", "audit", "warn"]) {
    labels[`pod-security.kubernetes.io/${mode}`] = level;
    labels[`pod-security.kubernetes.io/${mode}-version`] = POD_SECURITY_VERSION;
  }
  return labels;
}

/** A namespace with Pod Security labels. */
export function namespace(
  resourceName: string,
  args: NamespaceArgs,
  opts: pulumi.CustomResourceOptions,
): kubernetes.core.v1.Namespace {
  return new kubernetes.core.v1.Namespace(
    resourceName,
    {
      metadata: {
        name: args.name,
        labels: { ...PLATFORM_LABELS, ...podSecurityLabels(args.podSecurity), ...args.labels },
      },
    },
    opts,
  );
}

export interface HelmReleaseArgs {
  /** The pinned chart (components/versions.ts). */
  readonly pin: HelmChartPin;
  /** Release name in the cluster. */
  readonly releaseName: string;
  /** Namespace the release installs into; created by the caller, never by Helm. */
  readonly namespace: pulumi.Input<string>;
  /**
   * Chart values. Never secrets: credentials reach workloads through ExternalSecrets only, and the
   * policy pack rejects secret values here.
   */
  readonly values: pulumi.Input<Record<string, unknown>>;
  /**
   * A post-renderer command Helm pipes the rendered templates through (never the chart's `crds/`).
   * `true` (which prints nothing) makes a release that installs only the chart's CRDs.
   */
  readonly postrender?: string;
  /** Seconds Helm waits for the release's workloads (and hook jobs) to become ready. Default 600. */
  readonly timeoutSeconds?: number;
  /**
   * The stack's mirror: the chart comes from it, and the values that move the chart's default images
   * there (versions.ts CHART_IMAGES) are merged under `values`. Default none: upstream locations.
   */
  readonly mirror?: Mirror;
}

/** `override` merged into `base`, objects key by key (arrays and scalars of `override` win). */
export function mergeValues(
  base: Readonly<Record<string, unknown>>,
  override: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const existing = merged[key];
    merged[key] = isPlainObject(existing) && isPlainObject(value) ? mergeValues(existing, value) : value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const HELM_RELEASE_DEFAULTS = {
  timeoutSeconds: 600,
  maxHistory: 5,
} as const;

/**
 * A pinned Helm release that waits for its workloads and hook jobs to be ready, so anything that
 * depends on it (custom resources, webhooks) starts only once the operator actually serves.
 */
export function helmRelease(
  resourceName: string,
  args: HelmReleaseArgs,
  opts: pulumi.CustomResourceOptions,
): kubernetes.helm.v3.Release {
  const pin = mirroredChart(args.pin, args.mirror);
  const oci = pin.repository.startsWith("oci://");
  const mirror = args.mirror;
  const images = CHART_IMAGES[args.pin.chart];
  if (images === undefined)
    throw new Error(`chart ${args.pin.chart} has no entry in versions.ts CHART_IMAGES`);
  const values =
    mirror === undefined
      ? args.values
      : pulumi.output(args.values).apply((v) => mergeValues(v, images.values(mirror.images)));
  return new kubernetes.helm.v3.Release(
    resourceName,
    {
      name: args.releaseName,
      chart: chartReference(pin),
      version: pin.version,
      ...(oci ? {} : { repositoryOpts: { repo: pin.repository } }),
      namespace: args.namespace,
      createNamespace: false,
      skipAwait: false,
      waitForJobs: true,
      atomic: false,
      cleanupOnFail: true,
      timeout: args.timeoutSeconds ?? HELM_RELEASE_DEFAULTS.timeoutSeconds,
      maxHistory: HELM_RELEASE_DEFAULTS.maxHistory,
      values,
      ...(args.postrender !== undefined ? { postrender: args.postrender } : {}),
    },
    opts,
  );
}

/**
 * `pulumi.com/waitFor`: Pulumi waits until every condition holds before the resource counts as
 * created, so dependents start only then (e.g. a Crossplane Provider until it is Healthy).
 */
export function waitFor(...conditions: readonly string[]): Record<string, string> {
  if (conditions.length === 0) throw new Error("waitFor needs at least one condition");
  return { "pulumi.com/waitFor": conditions.length === 1 ? conditions[0]! : JSON.stringify(conditions) };
}

/** Protection of stateful and cascading resources, as the environment profile says. */
export function statefulProtection(
  profile: EnvironmentProfile,
): Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete"> {
  return { protect: profile.protectStateful, retainOnDelete: profile.retainStateful };
}

/**
 * Every chart, image and package version the platform installs, pinned exactly, in one place.
 *
 * Each pin carries a `// renovate:` comment that renovate.json's regex manager reads, so upgrades
 * arrive as pull requests that `npm run synth -- --diff` and `pulumi preview` review. Upgrade order
 * and caveats per component: docs/runbooks.md. Nothing here is ever "latest".
 */

export interface HelmChartPin {
  /** Chart name as published. */
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Helm repository URL, or the OCI registry path (`oci://...`) that holds the chart. */
  readonly repository: string;
  /** Upstream project, for release notes before an upgrade. */
  readonly upstream: string;
}

export interface ImagePin {
  /** Image repository without tag. */
  readonly image: string;
  /** Exact tag. */
  readonly tag: string;
  readonly upstream: string;
}

export interface CrossplanePackagePin {
  /** OCI package path without tag. */
  readonly package: string;
  /** Exact package version (tag). */
  readonly version: string;
  readonly upstream: string;
}

/** The chart reference Helm understands: `oci://.../<chart>` for OCI registries, the chart name otherwise. */
export function chartReference(pin: HelmChartPin): string {
  return pin.repository.startsWith("oci://") ? `${pin.repository}/${pin.chart}` : pin.chart;
}

export function imageReference(pin: ImagePin): string {
  return `${pin.image}:${pin.tag}`;
}

export function packageReference(pin: CrossplanePackagePin): string {
  return `${pin.package}:${pin.version}`;
}

// --- Actions Runner Controller (issue 7) ---------------------------------------------------------
/**
 * The one version of Actions Runner Controller (ARC). Its two charts, `gha-runner-scale-set-controller`
 * and `gha-runner-scale-set`, are released together and must run at the same version: both pins below
 * reference this constant, so Renovate bumps them in one change. Upgrade procedure:
 * docs/runbooks/arc-upgrade.md.
 */
// renovate: datasource=docker depName=ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller
export const ARC_VERSION = "0.14.2";
// --- end Actions Runner Controller -------------------------------------------------------------

export const CHARTS = {
  // renovate: datasource=docker depName=quay.io/jetstack/charts/cert-manager
  certManager: {
    chart: "cert-manager",
    version: "v1.21.1",
    repository: "oci://quay.io/jetstack/charts",
    upstream: "https://github.com/cert-manager/cert-manager/releases",
  },
  // renovate: datasource=helm depName=external-secrets registryUrl=https://charts.external-secrets.io
  externalSecrets: {
    chart: "external-secrets",
    version: "2.9.0",
    repository: "https://charts.external-secrets.io",
    upstream: "https://github.com/external-secrets/external-secrets/releases",
  },
  // Retired upstream (final release): kept only for stacks that choose it. See README, "Ingress layer".
  // renovate: datasource=helm depName=ingress-nginx registryUrl=https://kubernetes.github.io/ingress-nginx
  ingressNginx: {
    chart: "ingress-nginx",
    version: "4.15.1",
    repository: "https://kubernetes.github.io/ingress-nginx",
    upstream: "https://github.com/kubernetes/ingress-nginx/releases",
  },
  // Envoy Gateway v1.9.0 (Gateway API v1.6.1, the version in ../shared/crds/gateway-api). The controller
  // chart and the CRD chart below are released together: keep both pins on the same version.
  // renovate: datasource=docker depName=docker.io/envoyproxy/gateway-helm
  envoyGateway: {
    chart: "gateway-helm",
    version: "v1.9.0",
    repository: "oci://docker.io/envoyproxy",
    upstream: "https://github.com/envoyproxy/gateway/releases",
  },
  // Gateway API (standard channel) and Envoy Gateway CRDs, rendered by Pulumi (helm.v4.Chart), not installed
  // as a Helm release: the chart is larger than Helm's 1 MiB release record. See README, "Ingress layer".
  // renovate: datasource=docker depName=docker.io/envoyproxy/gateway-crds-helm
  envoyGatewayCrds: {
    chart: "gateway-crds-helm",
    version: "v1.9.0",
    repository: "oci://docker.io/envoyproxy",
    upstream: "https://github.com/envoyproxy/gateway/releases",
  },
  // renovate: datasource=helm depName=crossplane registryUrl=https://charts.crossplane.io/stable
  crossplane: {
    chart: "crossplane",
    version: "2.3.4",
    repository: "https://charts.crossplane.io/stable",
    upstream: "https://github.com/crossplane/crossplane/releases",
  },
  // Argo CD v3.4.4.
  // renovate: datasource=helm depName=argo-cd registryUrl=https://argoproj.github.io/argo-helm
  argoCd: {
    chart: "argo-cd",
    version: "10.1.1",
    repository: "https://argoproj.github.io/argo-helm",
    upstream: "https://github.com/argoproj/argo-helm/releases?q=argo-cd",
  },
  // ARC: both charts at ARC_VERSION (never a literal here; tests/versions.test.ts checks it).
  arcController: {
    chart: "gha-runner-scale-set-controller",
    version: ARC_VERSION,
    repository: "oci://ghcr.io/actions/actions-runner-controller-charts",
    upstream: "https://github.com/actions/actions-runner-controller/releases?q=gha-runner-scale-set",
  },
  arcScaleSet: {
    chart: "gha-runner-scale-set",
    version: ARC_VERSION,
    repository: "oci://ghcr.io/actions/actions-runner-controller-charts",
    upstream: "https://github.com/actions/actions-runner-controller/releases?q=gha-runner-scale-set",
  },
} as const satisfies Record<string, HelmChartPin>;

export const IMAGES = {
  // The runner of every scale set (ARC's charts default to the unpinned :latest). Ships the Kubernetes
  // container hooks that run jobs in their own pods.
  // renovate: datasource=docker depName=ghcr.io/actions/actions-runner
  actionsRunner: {
    image: "ghcr.io/actions/actions-runner",
    tag: "2.336.0",
    upstream: "https://github.com/actions/runner/releases",
  },
  // Docker daemon sidecar of scale sets that opt in to docker-in-docker (the chart's dind mode would use
  // the unpinned docker:dind).
  // renovate: datasource=docker depName=docker.io/library/docker
  dockerDind: {
    image: "docker.io/library/docker",
    tag: "29.7.2-dind",
    upstream: "https://github.com/docker-library/docker",
  },
  // --- Crossplane part (issue 4): the in-cluster SQLDatabase server, one pin per Postgres major. ---
  // Official image (Docker Library); Postgres versions are major.minor. renovate.json keeps each pin on its major.
  // renovate: datasource=docker depName=postgres
  postgres16: {
    image: "docker.io/library/postgres",
    tag: "16.13",
    upstream: "https://github.com/docker-library/postgres",
  },
  // renovate: datasource=docker depName=postgres
  postgres17: {
    image: "docker.io/library/postgres",
    tag: "17.9",
    upstream: "https://github.com/docker-library/postgres",
  },
  // renovate: datasource=docker depName=postgres
  postgres18: {
    image: "docker.io/library/postgres",
    tag: "18.3",
    upstream: "https://github.com/docker-library/postgres",
  },
} as const satisfies Record<string, ImagePin>;

/** Crossplane packages (issue 4). xpkg.crossplane.io serves the crossplane-contrib packages from ghcr.io. */
export const CROSSPLANE_PACKAGES = {
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/provider-kubernetes
  providerKubernetes: {
    package: "xpkg.crossplane.io/crossplane-contrib/provider-kubernetes",
    version: "v1.2.1",
    upstream: "https://github.com/crossplane-contrib/provider-kubernetes/releases",
  },
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/provider-helm
  providerHelm: {
    package: "xpkg.crossplane.io/crossplane-contrib/provider-helm",
    version: "v1.4.0",
    upstream: "https://github.com/crossplane-contrib/provider-helm/releases",
  },
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/provider-sql
  providerSql: {
    package: "xpkg.crossplane.io/crossplane-contrib/provider-sql",
    version: "v0.16.0",
    upstream: "https://github.com/crossplane-contrib/provider-sql/releases",
  },
  // The AWS family moves together: the family package (ProviderConfig CRDs) and its service providers.
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/provider-family-aws
  providerFamilyAws: {
    package: "xpkg.crossplane.io/crossplane-contrib/provider-family-aws",
    version: "v2.6.0",
    upstream: "https://github.com/crossplane-contrib/provider-upjet-aws/releases",
  },
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/provider-aws-rds
  providerAwsRds: {
    package: "xpkg.crossplane.io/crossplane-contrib/provider-aws-rds",
    version: "v2.6.0",
    upstream: "https://github.com/crossplane-contrib/provider-upjet-aws/releases",
  },
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/provider-aws-ec2
  providerAwsEc2: {
    package: "xpkg.crossplane.io/crossplane-contrib/provider-aws-ec2",
    version: "v2.6.0",
    upstream: "https://github.com/crossplane-contrib/provider-upjet-aws/releases",
  },
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform
  functionPatchAndTransform: {
    package: "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform",
    version: "v0.10.8",
    upstream: "https://github.com/crossplane-contrib/function-patch-and-transform/releases",
  },
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/function-cel-filter
  functionCelFilter: {
    package: "xpkg.crossplane.io/crossplane-contrib/function-cel-filter",
    version: "v0.2.0",
    upstream: "https://github.com/crossplane-contrib/function-cel-filter/releases",
  },
} as const satisfies Record<string, CrossplanePackagePin>;

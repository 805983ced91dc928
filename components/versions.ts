/**
 * Every chart, image and package version the platform installs, pinned exactly, in one place.
 *
 * Each pin carries a `// renovate:` comment that renovate.json's regex manager reads, so upgrades
 * arrive as pull requests that `npm run synth -- --diff` and `pulumi preview` review. Upgrade order
 * and caveats per component: docs/runbooks/upgrade.md. Nothing here is ever "latest".
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

// --- Actions Runner Controller ---------------------------------------------------------
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
  // Retired upstream (final release): kept only for stacks that choose it. See docs/foundations.md, "The ingress layer".
  // renovate: datasource=helm depName=ingress-nginx registryUrl=https://kubernetes.github.io/ingress-nginx
  ingressNginx: {
    chart: "ingress-nginx",
    version: "4.15.1",
    repository: "https://kubernetes.github.io/ingress-nginx",
    upstream: "https://github.com/kubernetes/ingress-nginx/releases",
  },
  // Envoy Gateway v1.9.0 (Gateway API v1.6.1, the version in ../shared/crds/gateway-api). Its release
  // installs the Gateway API and Envoy Gateway CRDs too (components/ingress.ts EnvoyGatewayController).
  // renovate: datasource=docker depName=docker.io/envoyproxy/gateway-helm
  envoyGateway: {
    chart: "gateway-helm",
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
  // SchemaHero's chart, for its CRDs only (components/schemahero.ts renders the manager itself). Chart
  // 1.4.0's CRDs are those of SchemaHero v0.25.0 (IMAGES.schemaHeroManager) but for validations v0.25.0
  // added (trigger lists bounded to 100 items, execute or executeProcedure): the manager reads the same
  // fields; the management repository's validate workflow checks Tables against v0.25.0's stricter CRDs.
  // renovate: datasource=docker depName=ghcr.io/schemahero/helm/schemahero
  schemaHero: {
    chart: "schemahero",
    version: "1.4.0",
    repository: "oci://ghcr.io/schemahero/helm",
    upstream: "https://github.com/schemahero/schemahero-helm/releases",
  },
  // Argo CD v3.4.4.
  // renovate: datasource=helm depName=argo-cd registryUrl=https://argoproj.github.io/argo-helm
  argoCd: {
    chart: "argo-cd",
    version: "10.1.1",
    repository: "https://argoproj.github.io/argo-helm",
    upstream: "https://github.com/argoproj/argo-helm/releases?q=argo-cd",
  },
  // Port's Kubernetes exporter (optional, idp:port): reports what runs to Port. Its image is pinned in
  // IMAGES.portExporter (the chart defaults to its appVersion).
  // renovate: datasource=helm depName=port-k8s-exporter registryUrl=https://port-labs.github.io/helm-charts
  portK8sExporter: {
    chart: "port-k8s-exporter",
    version: "0.3.28",
    repository: "https://port-labs.github.io/helm-charts",
    upstream: "https://github.com/port-labs/helm-charts/releases?q=port-k8s-exporter",
  },
  // ExternalDNS v0.21.0: a record for every host the ingress layer routes (components/dns.ts).
  // renovate: datasource=helm depName=external-dns registryUrl=https://kubernetes-sigs.github.io/external-dns
  externalDns: {
    chart: "external-dns",
    version: "1.21.1",
    repository: "https://kubernetes-sigs.github.io/external-dns",
    upstream: "https://github.com/kubernetes-sigs/external-dns/releases",
  },
  // --- Storage (components/storage.ts), each optional per stack (idp:storage). ---
  // renovate: datasource=helm depName=aws-ebs-csi-driver registryUrl=https://kubernetes-sigs.github.io/aws-ebs-csi-driver
  awsEbsCsiDriver: {
    chart: "aws-ebs-csi-driver",
    version: "2.64.0",
    repository: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver",
    upstream: "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/releases",
  },
  // renovate: datasource=helm depName=openstack-cinder-csi registryUrl=https://kubernetes.github.io/cloud-provider-openstack
  openstackCinderCsi: {
    chart: "openstack-cinder-csi",
    version: "2.36.0",
    repository: "https://kubernetes.github.io/cloud-provider-openstack",
    upstream: "https://github.com/kubernetes/cloud-provider-openstack/releases",
  },
  // Rook's two charts are released together (same version); ceph-csi-drivers at the version Rook's
  // v1.20.6 tests pin (tests/framework/installer/ceph_helm_installer.go).
  // renovate: datasource=helm depName=rook-ceph registryUrl=https://charts.rook.io/release
  rookCeph: {
    chart: "rook-ceph",
    version: "v1.20.6",
    repository: "https://charts.rook.io/release",
    upstream: "https://github.com/rook/rook/releases",
  },
  // renovate: datasource=helm depName=rook-ceph-cluster registryUrl=https://charts.rook.io/release
  rookCephCluster: {
    chart: "rook-ceph-cluster",
    version: "v1.20.6",
    repository: "https://charts.rook.io/release",
    upstream: "https://github.com/rook/rook/releases",
  },
  // renovate: datasource=helm depName=ceph-csi-drivers registryUrl=https://ceph.github.io/ceph-csi-operator
  cephCsiDrivers: {
    chart: "ceph-csi-drivers",
    version: "1.0.4",
    repository: "https://ceph.github.io/ceph-csi-operator",
    upstream: "https://github.com/ceph/ceph-csi-operator/releases",
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

/**
 * Envoy Gateway v1.9.0's data-plane image (api/v1alpha1/shared_types.go DefaultEnvoyProxyImage): the
 * controller starts the proxies from it; it moves with the chart (a mirror changes only its repository).
 */
export const ENVOY_PROXY_IMAGE = "docker.io/envoyproxy/envoy:distroless-v1.39.0";

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
  // --- GitOps: SchemaHero's manager, applied by Pulumi (components/schemahero.ts) together with
  // the CRDs of the same release tag; it also runs one copy per database (`--manager-tag`). Keep
  // TOOLS.schemaHeroCrds on the same release (tests/schemahero.test.ts checks it).
  // renovate: datasource=docker depName=docker.io/schemahero/schemahero-manager
  schemaHeroManager: {
    image: "docker.io/schemahero/schemahero-manager",
    tag: "0.25.0",
    upstream: "https://github.com/schemahero/schemahero/releases",
  },
  // Port's Kubernetes exporter: chart port-k8s-exporter 0.3.28's appVersion, set explicitly.
  // renovate: datasource=docker depName=ghcr.io/port-labs/port-k8s-exporter
  portExporter: {
    image: "ghcr.io/port-labs/port-k8s-exporter",
    tag: "0.7.4",
    upstream: "https://github.com/port-labs/port-k8s-exporter/releases",
  },
  // --- Crossplane part: the in-cluster SQLDatabase server, one pin per Postgres major. ---
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

/** Crossplane packages. xpkg.crossplane.io serves the crossplane-contrib packages from ghcr.io. */
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
  // v0.10.9: the same code as v0.10.8 (only its OpenTelemetry dependency moved), and the version the Go
  // module proxy serves, so `npm run conformance` runs exactly what the stacks install.
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform
  functionPatchAndTransform: {
    package: "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform",
    version: "v0.10.9",
    upstream: "https://github.com/crossplane-contrib/function-patch-and-transform/releases",
  },
  // renovate: datasource=docker depName=xpkg.crossplane.io/crossplane-contrib/function-cel-filter
  functionCelFilter: {
    package: "xpkg.crossplane.io/crossplane-contrib/function-cel-filter",
    version: "v0.2.0",
    upstream: "https://github.com/crossplane-contrib/function-cel-filter/releases",
  },
} as const satisfies Record<string, CrossplanePackagePin>;

// --- Mirrors -------------------------------------------------------------------------------------
/**
 * SchemaHero's database driver plugins (ORAS artifacts), pulled at run time by each database's controller.
 * SchemaHero v0.25.0 reads `docker.io/schemahero/plugin-<driver>:0` (a moving tag) unless given a registry,
 * and then reads `<registry>-<driver>:<tag>-<arch>` (pkg/database/plugin/downloader.go), a form upstream
 * does not publish: a pinned plugin needs a copy (the mirror list names source and destination).
 */
// renovate: datasource=docker depName=docker.io/schemahero/plugin-postgres
export const SCHEMAHERO_PLUGINS = {
  repository: "docker.io/schemahero/plugin",
  version: "0.25.0",
  drivers: ["postgres"],
  architectures: ["amd64", "arm64"],
  upstream: "https://github.com/schemahero/schemahero/releases",
} as const;

/**
 * Where a stack downloads from when it has `idp:mirror`: every upstream location `<host>/<path>` moves to
 * `<prefix>/<host>/<path>`, one prefix per kind (all the same registry unless overridden).
 */
export interface Mirror {
  /** Prefix of every container image (`<images>/<upstream host>/<path>:<tag>`). */
  readonly images: string;
  /** OCI prefix of every Helm chart (`oci://<charts>/<upstream host>/<path>/<chart>`). */
  readonly charts: string;
  /** Prefix of Crossplane packages (an ImageConfig rewrites the upstream registries to it). */
  readonly packages: string;
  /** Prefix of SchemaHero's plugins. */
  readonly schemaHeroPlugins: string;
}

/** Host and path of a location, without scheme: `https://charts.x.io/a` and `oci://quay.io/a` give `charts.x.io/a`, `quay.io/a`. */
function hostAndPath(location: string): string {
  return location.replace(/^[a-z]+:\/\//, "").replace(/\/+$/, "");
}

/** An image reference as the mirror serves it; unchanged without a mirror. */
export function mirroredImage(reference: string, mirror: Mirror | undefined): string {
  return mirror === undefined ? reference : `${mirror.images}/${reference}`;
}

/** A chart pin as the mirror serves it (always OCI there); unchanged without a mirror. */
export function mirroredChart(pin: HelmChartPin, mirror: Mirror | undefined): HelmChartPin {
  if (mirror === undefined) return pin;
  return { ...pin, repository: `oci://${mirror.charts}/${hostAndPath(pin.repository)}` };
}

/** The upstream registries of the Crossplane packages (an ImageConfig matches each as a prefix). */
export function packageRegistries(): string[] {
  return [...new Set(Object.values(CROSSPLANE_PACKAGES).map((pin) => `${pin.package.split("/")[0]!}/`))];
}

/** SchemaHero's plugin location and tag as its manager's flags take them (`--plugin-registry`, `--plugin-tag`). */
export function schemaHeroPluginSource(
  mirror: Mirror | undefined,
): { registry: string; tag: string } | undefined {
  if (mirror === undefined) return undefined;
  return {
    registry: `${mirror.schemaHeroPlugins}/${SCHEMAHERO_PLUGINS.repository}`,
    tag: SCHEMAHERO_PLUGINS.version,
  };
}

/** What a chart pulls by default (chart defaults at the pinned version), and the values that move it to a mirror. */
export interface ChartImages {
  /** Upstream references the chart renders, read from the chart at its pinned version. */
  readonly images: readonly string[];
  /** Values that point every one of them at the mirror (`prefix` is `Mirror.images`). */
  readonly values: (prefix: string) => Record<string, unknown>;
}

/**
 * Images each chart pulls by default, keyed by chart name, with the values that move them. Read from each
 * chart's templates and values at the pinned version (cited per entry). Images the program sets itself
 * (IMAGES) are not listed here; the Envoy data plane is set on the EnvoyProxy (components/ingress.ts).
 */
export const CHART_IMAGES: Readonly<Record<string, ChartImages>> = {
  // cert-manager v1.21.1 values.yaml `imageRegistry` (with `imageNamespace` jetstack), _helpers.tpl cert-manager.image.
  "cert-manager": {
    images: ["controller", "webhook", "cainjector", "acmesolver", "startupapicheck"].map(
      (part) => `quay.io/jetstack/cert-manager-${part}:${CHARTS.certManager.version}`,
    ),
    values: (prefix) => ({ imageRegistry: `${prefix}/quay.io` }),
  },
  // external-secrets helm-chart-2.9.0 values.yaml `global.repository` (controller, webhook and cert controller).
  "external-secrets": {
    images: [`ghcr.io/external-secrets/external-secrets:v${CHARTS.externalSecrets.version}`],
    values: (prefix) => ({ global: { repository: `${prefix}/ghcr.io/external-secrets/external-secrets` } }),
  },
  // ingress-nginx helm-chart-4.15.1 values.yaml `global.image.registry`; the references keep their digests.
  "ingress-nginx": {
    images: [
      "registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1",
      "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9@sha256:01038e7de14b78d702d2849c3aad72fd25903c4765af63cf16aa3398f5d5f2dd",
    ],
    values: (prefix) => ({ global: { image: { registry: `${prefix}/registry.k8s.io` } } }),
  },
  // gateway-helm v1.9.0 values.tmpl.yaml `global.imageRegistry` (controller, certgen, shutdown manager); the
  // data-plane Envoy's default (api/v1alpha1/shared_types.go DefaultEnvoyProxyImage) moves on the EnvoyProxy.
  "gateway-helm": {
    images: [`docker.io/envoyproxy/gateway:${CHARTS.envoyGateway.version}`, ENVOY_PROXY_IMAGE],
    values: (prefix) => ({ global: { imageRegistry: `${prefix}/docker.io` } }),
  },
  // crossplane 2.3.4 values.yaml `image.repository` (core, RBAC manager and their init containers).
  crossplane: {
    images: [`xpkg.crossplane.io/crossplane/crossplane:v${CHARTS.crossplane.version}`],
    values: (prefix) => ({ image: { repository: `${prefix}/xpkg.crossplane.io/crossplane/crossplane` } }),
  },
  // Installed for its CRDs only (components/schemahero.ts): no image.
  schemahero: { images: [], values: () => ({}) },
  // argo-cd 10.1.1 values.yaml `global.image.repository`, `dex.image.repository`, `redis.image.repository`.
  "argo-cd": {
    images: [
      "quay.io/argoproj/argocd:v3.4.4",
      "ghcr.io/dexidp/dex:v2.45.1",
      "ecr-public.aws.com/docker/library/redis:8.2.3-alpine",
    ],
    values: (prefix) => ({
      global: { image: { repository: `${prefix}/quay.io/argoproj/argocd` } },
      dex: { image: { repository: `${prefix}/ghcr.io/dexidp/dex` } },
      redis: { image: { repository: `${prefix}/ecr-public.aws.com/docker/library/redis` } },
    }),
  },
  // gha-runner-scale-set-controller 0.14.2 values.yaml `image.repository` (controller and listener pods).
  "gha-runner-scale-set-controller": {
    images: [`ghcr.io/actions/gha-runner-scale-set-controller:${ARC_VERSION}`],
    values: (prefix) => ({
      image: { repository: `${prefix}/ghcr.io/actions/gha-runner-scale-set-controller` },
    }),
  },
  // external-dns-helm-chart-1.21.1 values.yaml `image.repository` (tag: the appVersion, v0.21.0).
  "external-dns": {
    images: ["registry.k8s.io/external-dns/external-dns:v0.21.0"],
    values: (prefix) => ({ image: { repository: `${prefix}/registry.k8s.io/external-dns/external-dns` } }),
  },
  // helm-chart-aws-ebs-csi-driver-2.64.0 values.yaml: `image.repository` and each `sidecars.<x>.image.repository`
  // (the snapshotter renders where the snapshot API exists; the Windows node set and the test pod are off).
  "aws-ebs-csi-driver": {
    images: [
      "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.64.0",
      "public.ecr.aws/csi-components/csi-provisioner:v6.3.0-eksbuild.4",
      "public.ecr.aws/csi-components/csi-attacher:v4.12.0-eksbuild.5",
      "public.ecr.aws/csi-components/csi-snapshotter:v8.6.0-eksbuild.5",
      "public.ecr.aws/csi-components/csi-resizer:v2.2.1-eksbuild.3",
      "public.ecr.aws/csi-components/livenessprobe:v2.19.0-eksbuild.5",
      "public.ecr.aws/csi-components/csi-node-driver-registrar:v2.17.0-eksbuild.5",
    ],
    values: (prefix) => {
      const sidecar = (name: string) => ({
        image: { repository: `${prefix}/public.ecr.aws/csi-components/${name}` },
      });
      return {
        image: { repository: `${prefix}/public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver` },
        sidecars: {
          provisioner: sidecar("csi-provisioner"),
          attacher: sidecar("csi-attacher"),
          snapshotter: sidecar("csi-snapshotter"),
          resizer: sidecar("csi-resizer"),
          livenessProbe: sidecar("livenessprobe"),
          nodeDriverRegistrar: sidecar("csi-node-driver-registrar"),
        },
      };
    },
  },
  // openstack-cinder-csi-2.36.0 values.yaml: `csi.plugin.image.repository` and `csi.<sidecar>.image.repository`.
  "openstack-cinder-csi": {
    images: [
      "registry.k8s.io/provider-os/cinder-csi-plugin:v1.36.0",
      "registry.k8s.io/sig-storage/csi-attacher:v4.10.0",
      "registry.k8s.io/sig-storage/csi-provisioner:v5.3.0",
      "registry.k8s.io/sig-storage/csi-snapshotter:v8.4.0",
      "registry.k8s.io/sig-storage/csi-resizer:v1.14.0",
      "registry.k8s.io/sig-storage/livenessprobe:v2.17.0",
      "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.15.0",
    ],
    values: (prefix) => {
      const sidecar = (name: string) => ({
        image: { repository: `${prefix}/registry.k8s.io/sig-storage/${name}` },
      });
      return {
        csi: {
          plugin: { image: { repository: `${prefix}/registry.k8s.io/provider-os/cinder-csi-plugin` } },
          attacher: sidecar("csi-attacher"),
          provisioner: sidecar("csi-provisioner"),
          snapshotter: sidecar("csi-snapshotter"),
          resizer: sidecar("csi-resizer"),
          livenessprobe: sidecar("livenessprobe"),
          nodeDriverRegistrar: sidecar("csi-node-driver-registrar"),
        },
      };
    },
  },
  // rook v1.20.6 deploy/charts/rook-ceph/values.yaml: the operator (`image.repository`), the Ceph-CSI
  // operator subchart, and the CSI images Rook writes into the image-set ConfigMap (`csi.<x>.repository`).
  "rook-ceph": {
    images: [
      "docker.io/rook/ceph:v1.20.6",
      "quay.io/cephcsi/ceph-csi-operator:v1.0.4",
      "quay.io/cephcsi/cephcsi:v3.17.0",
      "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0",
      "registry.k8s.io/sig-storage/csi-attacher:v4.12.0",
      "registry.k8s.io/sig-storage/csi-resizer:v2.1.0",
      "registry.k8s.io/sig-storage/csi-snapshotter:v8.5.0",
      "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.17.0",
    ],
    values: (prefix) => ({
      image: { repository: `${prefix}/docker.io/rook/ceph` },
      "ceph-csi-operator": {
        controllerManager: {
          manager: { image: { repository: `${prefix}/quay.io/cephcsi/ceph-csi-operator` } },
        },
      },
      csi: {
        cephcsi: { repository: `${prefix}/quay.io/cephcsi/cephcsi` },
        provisioner: { repository: `${prefix}/registry.k8s.io/sig-storage/csi-provisioner` },
        attacher: { repository: `${prefix}/registry.k8s.io/sig-storage/csi-attacher` },
        resizer: { repository: `${prefix}/registry.k8s.io/sig-storage/csi-resizer` },
        snapshotter: { repository: `${prefix}/registry.k8s.io/sig-storage/csi-snapshotter` },
        registrar: { repository: `${prefix}/registry.k8s.io/sig-storage/csi-node-driver-registrar` },
      },
    }),
  },
  // The drivers chart renders no pod: the Ceph-CSI operator runs them from Rook's image set (above).
  "ceph-csi-drivers": { images: [], values: () => ({}) },
  // rook v1.20.6 deploy/charts/rook-ceph-cluster/values.yaml `cephImage.repository` (every Ceph daemon).
  "rook-ceph-cluster": {
    images: ["quay.io/ceph/ceph:v20.2.4"],
    values: (prefix) => ({ cephImage: { repository: `${prefix}/quay.io/ceph/ceph` } }),
  },
  // The scale set's runner (and dind) images are the program's own (IMAGES).
  "gha-runner-scale-set": { images: [], values: () => ({}) },
  // port-k8s-exporter 0.3.28: its one image is set from IMAGES.portExporter.
  "port-k8s-exporter": { images: [], values: () => ({}) },
};

// --- GitHub organization seeding (components/github.ts) -------------------------------------------
// Pins of what the seeded workflows and the application template use. Changing one rewrites the
// managed files that name it at the next `pulumi up` (app repositories keep what their template had).

/** A GitHub Action pinned to the full commit SHA of a release tag: tags can move, SHAs cannot. */
export interface ActionPin {
  /** owner/repository of the action. */
  readonly action: string;
  /** The release tag the SHA belongs to (written as a comment next to the SHA). */
  readonly ref: string;
  /** Full commit SHA of that tag. */
  readonly sha: string;
  readonly upstream: string;
}

/** `uses:` value of a pinned action; the caller writes `# <ref>` after it. */
export function actionReference(pin: ActionPin): string {
  return `${pin.action}@${pin.sha}`;
}

export const ACTIONS = {
  // renovate: datasource=github-tags depName=actions/checkout
  checkout: {
    action: "actions/checkout",
    ref: "v7.0.1",
    sha: "3d3c42e5aac5ba805825da76410c181273ba90b1",
    upstream: "https://github.com/actions/checkout/releases",
  },
  // renovate: datasource=github-tags depName=actions/create-github-app-token
  createGitHubAppToken: {
    action: "actions/create-github-app-token",
    ref: "v3.1.1",
    sha: "1b10c78c7865c340bc4f6099eb2f838309f1e8c3",
    upstream: "https://github.com/actions/create-github-app-token/releases",
  },
  // Go for `npm run conformance` in this project's CI (never in the product or seeded workflows).
  // renovate: datasource=github-tags depName=actions/setup-go
  setupGo: {
    action: "actions/setup-go",
    ref: "v7.0.0",
    sha: "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e",
    upstream: "https://github.com/actions/setup-go/releases",
  },
  // The conformance tools' cache (built Go binaries) between CI runs.
  // renovate: datasource=github-tags depName=actions/cache
  cache: {
    action: "actions/cache",
    ref: "v5.0.5",
    sha: "27d5ce7f107fe9357f9df03efb73ab90386fccae",
    upstream: "https://github.com/actions/cache/releases",
  },
  // renovate: datasource=github-tags depName=actions/setup-node
  setupNode: {
    action: "actions/setup-node",
    ref: "v7.0.0",
    sha: "820762786026740c76f36085b0efc47a31fe5020",
    upstream: "https://github.com/actions/setup-node/releases",
  },
} as const satisfies Record<string, ActionPin>;

/** A tool a seeded workflow installs, or an upstream release whose CRDs it validates against. */
export interface ToolPin {
  readonly version: string;
  readonly upstream: string;
  /** Go module path, for tools installed with `go install <module>/cmd/<tool>@<version>`. */
  readonly module?: string;
  /** GitHub repository and files (at the version's tag) of CRDs to validate against. */
  readonly repository?: string;
  readonly files?: readonly string[];
}

export const TOOLS = {
  // Installed with `go install`, so the Go checksum database verifies the module.
  // renovate: datasource=go depName=github.com/yannh/kubeconform
  kubeconform: {
    module: "github.com/yannh/kubeconform",
    version: "v0.7.0",
    upstream: "https://github.com/yannh/kubeconform/releases",
  },
  // renovate: datasource=pypi depName=yamllint
  yamllint: {
    version: "1.38.0",
    upstream: "https://github.com/adrienverge/yamllint/releases",
  },
  // The Argo CD release of CHARTS.argoCd (chart 10.1.1 = Argo CD v3.4.4): its Application CRD.
  // renovate: datasource=github-releases depName=argoproj/argo-cd
  argoCdCrds: {
    repository: "argoproj/argo-cd",
    version: "v3.4.4",
    files: ["manifests/crds/application-crd.yaml"],
    upstream: "https://github.com/argoproj/argo-cd/releases",
  },
  // renovate: datasource=github-releases depName=schemahero/schemahero
  schemaHeroCrds: {
    repository: "schemahero/schemahero",
    version: "v0.25.0",
    files: ["config/crds/v1/schemas.schemahero.io_tables.yaml"],
    upstream: "https://github.com/schemahero/schemahero/releases",
  },
} as const satisfies Record<string, ToolPin>;

/** A base image pinned to an exact version, with the image variant (`<version>-<variant>` is the tag). */
export interface BaseImagePin {
  readonly image: string;
  readonly version: string;
  readonly variant: string;
  readonly upstream: string;
}

export function baseImageReference(pin: BaseImagePin): string {
  return `${pin.image}:${pin.version}-${pin.variant}`;
}

export const BASE_IMAGES = {
  // Node.js 24 LTS on the newest Alpine; the application template's runtime and CI.
  // renovate: datasource=docker depName=docker.io/library/node
  node: {
    image: "docker.io/library/node",
    version: "24.19.0",
    variant: "alpine",
    upstream: "https://github.com/nodejs/docker-node",
  },
} as const satisfies Record<string, BaseImagePin>;

// --- Conformance: the real engines, built from Go modules (npm run conformance, docs/conformance.md) ---

/**
 * A dev-time tool built from a Go module at an exact version: `go mod download <module>@<version>`,
 * then `go build <package>` inside it (so the module's own go.sum pins every dependency). Never part
 * of the product: `npm test` and `npm run synth` need none of these.
 */
export interface GoToolPin {
  /** Go module path. */
  readonly module: string;
  /** Exact module version (a tag). */
  readonly version: string;
  /** Package to build, relative to the module root. */
  readonly package: string;
  /** Name of the binary in the tool cache. */
  readonly binary: string;
  /**
   * Modules the module's go.mod replaces with a local directory that its module zip does not carry
   * (nested modules), resolved to that module's download at `version`.
   */
  readonly replaceLocal?: readonly string[];
  readonly upstream: string;
}

/** The Go module of a crossplane-contrib package (its source repository carries the same path). */
function contribModule(pin: CrossplanePackagePin): string {
  return pin.package.replace(/^xpkg\.crossplane\.io\//, "github.com/");
}

export const GO_TOOLS = {
  // The Crossplane the stacks install, built from its module: its `internal render` command runs one real
  // reconcile of an XR against an in-memory API server and the functions we start. The module's go.mod
  // replaces its apis module with ./apis, which a module zip never holds (nested module): the build
  // resolves it to github.com/crossplane/crossplane/apis/v2 at the same tag.
  crossplane: {
    module: "github.com/crossplane/crossplane/v2",
    version: `v${CHARTS.crossplane.version}`,
    package: "./cmd/crossplane",
    binary: "crossplane",
    replaceLocal: ["github.com/crossplane/crossplane/apis/v2"],
    upstream: "https://github.com/crossplane/crossplane/releases",
  },
  // `crossplane beta validate`: the CLI left the crossplane module after v2.2 (github.com/crossplane/cli,
  // which the Go module proxy here does not serve); v2.2.1 is its last release in this module.
  // renovate: datasource=go depName=github.com/crossplane/crossplane/v2
  crossplaneCli: {
    module: "github.com/crossplane/crossplane/v2",
    version: "v2.2.1",
    package: "./cmd/crank",
    binary: "crank",
    upstream: "https://github.com/crossplane/cli/releases",
  },
  // The functions the compositions call, at the versions the stacks install (CROSSPLANE_PACKAGES).
  functionPatchAndTransform: {
    module: contribModule(CROSSPLANE_PACKAGES.functionPatchAndTransform),
    version: CROSSPLANE_PACKAGES.functionPatchAndTransform.version,
    package: ".",
    binary: "function-patch-and-transform",
    upstream: CROSSPLANE_PACKAGES.functionPatchAndTransform.upstream,
  },
  functionCelFilter: {
    module: contribModule(CROSSPLANE_PACKAGES.functionCelFilter),
    version: CROSSPLANE_PACKAGES.functionCelFilter.version,
    package: ".",
    binary: "function-cel-filter",
    upstream: CROSSPLANE_PACKAGES.functionCelFilter.upstream,
  },
  // renovate: datasource=go depName=github.com/rhysd/actionlint
  actionlint: {
    module: "github.com/rhysd/actionlint",
    version: "v1.7.12",
    package: "./cmd/actionlint",
    binary: "actionlint",
    upstream: "https://github.com/rhysd/actionlint/releases",
  },
  // mikefarah's yq v4, which GitHub's ubuntu-24.04 runner image carries and the seeded workflows call:
  // the conformance suite runs their scripts with it (Debian's `yq` is a different program).
  // renovate: datasource=go depName=github.com/mikefarah/yq/v4
  yq: {
    module: "github.com/mikefarah/yq/v4",
    version: "v4.54.3",
    package: ".",
    binary: "yq",
    upstream: "https://github.com/mikefarah/yq/releases",
  },
  // The jq engine of Port's Kubernetes exporter (port-k8s-exporter v0.7.4 go.mod: gojq v0.12.17): the
  // conformance suite evaluates the exporter's mapping with it. Keep it on the exporter's go.mod.
  // renovate: datasource=go depName=github.com/itchyny/gojq
  gojq: {
    module: "github.com/itchyny/gojq",
    version: "v0.12.17",
    package: "./cmd/gojq",
    binary: "gojq",
    upstream: "https://github.com/itchyny/gojq/releases",
  },
} as const satisfies Record<string, GoToolPin>;

/**
 * Go modules whose CRDs the conformance suite validates against, at the versions the stacks install:
 * a provider's `package/crds`, Envoy Gateway's generated CRDs. Schemas the module proxy does not serve
 * (the AWS family and provider-helm, whose module zips are refused here) come from ../shared/crds, or,
 * where the network allows, from their packages.
 */
export interface SchemaModulePin {
  readonly module: string;
  readonly version: string;
  /** Folders of CRD files inside the module. */
  readonly dirs: readonly string[];
}

export const SCHEMA_MODULES = {
  providerSql: {
    module: contribModule(CROSSPLANE_PACKAGES.providerSql),
    version: CROSSPLANE_PACKAGES.providerSql.version,
    dirs: ["package/crds"],
  },
  providerKubernetes: {
    module: contribModule(CROSSPLANE_PACKAGES.providerKubernetes),
    version: CROSSPLANE_PACKAGES.providerKubernetes.version,
    dirs: ["package/crds"],
  },
  // Envoy Gateway's own kinds (EnvoyProxy...), at the version of the CRD chart the stacks install.
  envoyGateway: {
    module: "github.com/envoyproxy/gateway",
    version: CHARTS.envoyGateway.version,
    dirs: ["charts/gateway-helm/charts/crds/crds/generated"],
  },
} as const satisfies Record<string, SchemaModulePin>;

/** ShellCheck, which actionlint runs on every `run:` script: Debian's package (`apt-get install shellcheck`). */
export const SHELLCHECK = { debianPackage: "shellcheck", minimumVersion: "0.9.0" } as const;

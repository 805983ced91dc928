/**
 * `Storage`: the StorageClass the stack relies on, from a CSI driver for the cloud and/or a Rook Ceph
 * cluster; without either, the cluster's default class (as before).
 *
 * - AWS EBS CSI (chart aws-ebs-csi-driver): the controller's own IAM role through the stack's workload
 *   identity, following upstream's AmazonEBSCSIDriverPolicyV2 (docs/AmazonEBSCSIDriverPolicyV2.json at
 *   helm-chart-aws-ebs-csi-driver-2.64.0), narrowed to this cluster's volumes: the driver tags every volume
 *   and snapshot it creates with the cluster's name, and may modify, attach or delete only those. One
 *   encrypted gp3 class, `WaitForFirstConsumer` (a volume is created in the zone of the pod that uses it).
 * - OpenStack Cinder CSI (chart openstack-cinder-csi): its `cloud.conf` comes from the secrets backend
 *   through an ExternalSecret (`secret.enabled`, not created by the chart, no host mount); one
 *   `WaitForFirstConsumer` class.
 * - Rook Ceph: in the order Rook v1.20 requires (Documentation/Upgrade/rook-upgrade.md): the operator chart
 *   `rook-ceph` (with its CRDs and the Ceph-CSI operator), the `ceph-csi-drivers` chart with Rook's values
 *   (deploy/charts/ceph-csi-drivers/values.yaml at v1.20.6), then `rook-ceph-cluster`: the CephCluster on
 *   explicitly listed nodes and devices (never `useAllDevices`) and one replicated block pool with its
 *   class; no filesystem or object store. The cluster is protected where the profile protects state.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type * as kubernetes from "@pulumi/kubernetes";
import { workloadIdentity, type PolicyDocument } from "./aws-identity";
import type { AwsContext, Readiness, SecretsBackend } from "./contracts";
import { helmRelease, namespace, statefulProtection } from "./kube";
import type { EnvironmentProfile } from "./profile";
import { externalSecret } from "./secrets-backend";
import { CHARTS, type Mirror } from "./versions";

export type CsiDriver =
  | { readonly kind: "aws-ebs"; readonly aws: AwsContext }
  | {
      readonly kind: "openstack-cinder";
      /** The driver's cloud.conf (credentials included): written into the secrets backend. */
      readonly cloudConfig: pulumi.Input<string>;
    };

export interface RookArgs {
  /** Nodes that hold Ceph's data, each with the devices Rook may consume (wiped by Ceph). */
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly devices: readonly string[] }>;
  /** Replicas of the block pool. Default 3 (as many failure domains, hosts, are needed). */
  readonly replicas?: number;
}

export interface StorageArgs {
  /** The stack's mirror: charts and images come from it (components/versions.ts). Default none: upstream. */
  readonly mirror?: Mirror;
  /** Protection of stateful releases and the reclaim policy of the classes. */
  readonly profile: EnvironmentProfile;
  /** The cloud's CSI driver. Default none. */
  readonly csi?: CsiDriver;
  /** A Rook Ceph cluster. Default none. */
  readonly rook?: RookArgs;
  /** Where credentials (cloud.conf) go. */
  readonly secrets: SecretsBackend;
  /** Cluster name: the tag the EBS driver marks its volumes with. */
  readonly clusterName: string;
}

export const STORAGE_DEFAULTS = {
  /** Both CSI charts install into kube-system, as upstream documents (their node plugins are privileged). */
  csiNamespace: "kube-system",
  classes: { "aws-ebs": "gp3-encrypted", "openstack-cinder": "cinder-wait-for-consumer", rook: "ceph-block" },
  rookNamespace: "rook-ceph",
  rookReplicas: 3,
  /** The tag whose value (the cluster's name) marks the volumes and snapshots this cluster's driver owns. */
  ebsClusterTag: "idp.platform/cluster",
  cinderSecret: "cinder-csi-cloud-config",
} as const;

/** Misuse of the component (config validation reports it earlier, with the key to fix). */
export function storageArgsProblems(args: Pick<StorageArgs, "rook">): string[] {
  const problems: string[] = [];
  const rook = args.rook;
  if (rook !== undefined) {
    const replicas = rook.replicas ?? STORAGE_DEFAULTS.rookReplicas;
    if (rook.nodes.length < replicas) {
      problems.push(
        `a block pool of ${replicas} replicas needs ${replicas} nodes (${rook.nodes.length} listed)`,
      );
    }
    for (const node of rook.nodes) {
      if (node.devices.length === 0) problems.push(`node ${node.name} lists no device`);
    }
  }
  return problems;
}

/** The class the stack's own parts use: the cloud driver's, else Rook's; undefined: the cluster's default. */
export function platformStorageClass(args: Pick<StorageArgs, "csi" | "rook">): string | undefined {
  if (args.csi !== undefined) return STORAGE_DEFAULTS.classes[args.csi.kind];
  return args.rook !== undefined ? STORAGE_DEFAULTS.classes.rook : undefined;
}

/**
 * The EBS CSI controller's policy: AmazonEBSCSIDriverPolicyV2's statements with resources in this account
 * and region, and the cluster tag required on everything it creates and on everything it changes.
 * Describe calls (no resource-level permissions) are a separate, region-bound policy.
 */
export function ebsCsiPolicy(aws: AwsContext): PolicyDocument {
  // EC2 snapshot ARNs carry no account (arn:<partition>:ec2:<region>::snapshot/<id>); volumes and instances do.
  const arn = (type: string) =>
    `arn:${aws.partition}:ec2:${aws.region}:${type === "snapshot" ? "" : aws.accountId}:${type}/*`;
  const instances = `arn:${aws.partition}:ec2:${aws.region}:${aws.accountId}:instance/*`;
  const tag = STORAGE_DEFAULTS.ebsClusterTag;
  const requestTag = { StringEquals: { [`aws:RequestTag/${tag}`]: aws.clusterName } };
  const resourceTag = { StringEquals: { [`ec2:ResourceTag/${tag}`]: aws.clusterName } };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CreateTaggedVolumes",
        Effect: "Allow",
        Action: ["ec2:CreateVolume", "ec2:CopyVolumes"],
        Resource: [arn("volume")],
        Condition: requestTag,
      },
      // Creating a volume from a snapshot names the snapshot too; only this cluster's.
      {
        Sid: "FromOwnSnapshots",
        Effect: "Allow",
        Action: ["ec2:CreateVolume"],
        Resource: [arn("snapshot")],
        Condition: resourceTag,
      },
      {
        Sid: "OwnVolumes",
        Effect: "Allow",
        // CopyVolumes names its source volume too (a cloned claim): only this cluster's.
        Action: [
          "ec2:ModifyVolume",
          "ec2:AttachVolume",
          "ec2:DetachVolume",
          "ec2:DeleteVolume",
          "ec2:CreateSnapshot",
          "ec2:CopyVolumes",
        ],
        Resource: [arn("volume")],
        Condition: resourceTag,
      },
      {
        Sid: "AttachToInstances",
        Effect: "Allow",
        Action: ["ec2:AttachVolume", "ec2:DetachVolume"],
        Resource: [instances],
      },
      {
        Sid: "CreateTaggedSnapshots",
        Effect: "Allow",
        Action: ["ec2:CreateSnapshot"],
        Resource: [arn("snapshot")],
        Condition: requestTag,
      },
      {
        Sid: "OwnSnapshots",
        Effect: "Allow",
        Action: ["ec2:DeleteSnapshot"],
        Resource: [arn("snapshot")],
        Condition: resourceTag,
      },
      {
        Sid: "TagOnCreate",
        Effect: "Allow",
        Action: ["ec2:CreateTags"],
        Resource: [arn("volume"), arn("snapshot")],
        Condition: {
          StringEquals: { "ec2:CreateAction": ["CreateVolume", "CreateSnapshot", "CopyVolumes"] },
        },
      },
    ],
  };
}

/** Describe calls of the EBS CSI controller: no resource-level permissions, so `*`, bound to the region. */
export function ebsCsiDescribePolicy(aws: AwsContext): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeInTheRegion",
        Effect: "Allow",
        Action: [
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeSnapshots",
          "ec2:DescribeVolumes",
          "ec2:DescribeVolumesModifications",
          "ec2:DescribeVolumeStatus",
        ],
        Resource: ["*"],
        Condition: { StringEquals: { "aws:RequestedRegion": aws.region } },
      },
    ],
  };
}

/** Rook's cluster chart values: explicit nodes and devices, one block pool, nothing else. */
export function rookClusterValues(rook: RookArgs, profile: EnvironmentProfile): Record<string, unknown> {
  const replicas = rook.replicas ?? STORAGE_DEFAULTS.rookReplicas;
  const namespace = STORAGE_DEFAULTS.rookNamespace;
  const rbd = (key: string) => ({ [`csi.storage.k8s.io/${key}-secret-namespace`]: namespace });
  return {
    operatorNamespace: namespace,
    toolbox: { enabled: false },
    cephClusterSpec: {
      mon: { count: Math.min(3, rook.nodes.length) },
      mgr: { count: Math.min(2, rook.nodes.length) },
      storage: {
        useAllNodes: false,
        useAllDevices: false,
        nodes: rook.nodes.map((node) => ({
          name: node.name,
          devices: node.devices.map((name) => ({ name })),
        })),
      },
    },
    cephBlockPools: [
      {
        name: "ceph-blockpool",
        spec: { failureDomain: "host", replicated: { size: replicas } },
        storageClass: {
          enabled: true,
          name: STORAGE_DEFAULTS.classes.rook,
          isDefault: false,
          reclaimPolicy: profile.dataDeletionPolicy === "Orphan" ? "Retain" : "Delete",
          allowVolumeExpansion: true,
          volumeBindingMode: "Immediate",
          // The chart's own defaults for the pool's class (v1.20.6 values.yaml), namespace spelled out.
          parameters: {
            imageFormat: "2",
            imageFeatures: "layering",
            "csi.storage.k8s.io/provisioner-secret-name": "rook-csi-rbd-provisioner",
            ...rbd("provisioner"),
            "csi.storage.k8s.io/controller-expand-secret-name": "rook-csi-rbd-provisioner",
            ...rbd("controller-expand"),
            "csi.storage.k8s.io/controller-publish-secret-name": "rook-csi-rbd-provisioner",
            ...rbd("controller-publish"),
            "csi.storage.k8s.io/node-stage-secret-name": "rook-csi-rbd-node",
            ...rbd("node-stage"),
            "csi.storage.k8s.io/fstype": "ext4",
          },
        },
      },
    ],
    cephFileSystems: [],
    cephObjectStores: [],
  };
}

/** Rook's values for the ceph-csi-drivers chart (deploy/charts/ceph-csi-drivers/values.yaml at v1.20.6). */
export function cephCsiDriversValues(): Record<string, unknown> {
  const namespace = STORAGE_DEFAULTS.rookNamespace;
  return {
    operatorConfig: {
      namespace,
      driverSpecDefaults: {
        imageSet: { name: "rook-csi-operator-image-set-configmap" },
        nodePlugin: { priorityClassName: "system-node-critical" },
        controllerPlugin: { priorityClassName: "system-cluster-critical" },
      },
    },
    drivers: {
      // Block only (no filesystem is created). No snapshotter: this stack installs neither the VolumeSnapshot
      // CRDs nor a snapshot controller (Rook's own tests install both before enabling it).
      rbd: { enabled: true, name: `${namespace}.rbd.csi.ceph.com`, snapshotPolicy: "none" },
      cephfs: { enabled: false, name: `${namespace}.cephfs.csi.ceph.com` },
      nfs: { enabled: false, name: `${namespace}.nfs.csi.ceph.com` },
      nvmeof: { enabled: false, name: `${namespace}.nvmeof.csi.ceph.com` },
    },
  };
}

export class Storage extends pulumi.ComponentResource {
  /** The class the stack's own parts use (in-cluster Postgres); undefined: the cluster's default. */
  public readonly storageClassName?: string;
  /** The class exists and its driver serves. */
  public readonly ready: Readiness;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("idp:storage:Storage", name, {}, opts);
    const problems = storageArgsProblems(args);
    if (problems.length > 0) throw new Error(`Storage ${name}: ${problems.join("; ")}`);
    const D = STORAGE_DEFAULTS;
    const reclaimPolicy = args.profile.dataDeletionPolicy === "Orphan" ? "Retain" : "Delete";
    const ready: pulumi.Resource[] = [];
    const csi = args.csi;
    if (csi?.kind === "aws-ebs") {
      const identity = workloadIdentity(
        `${name}-ebs-identity`,
        {
          aws: csi.aws,
          namespace: D.csiNamespace,
          serviceAccount: "ebs-csi-controller-sa",
          roleName: `${csi.aws.clusterName}-ebs-csi`,
          description: `EBS CSI driver of ${csi.aws.clusterName}: volumes and snapshots tagged with the cluster`,
          policy: ebsCsiPolicy(csi.aws),
        },
        { parent: this },
      );
      const describe = new aws.iam.RolePolicy(
        `${name}-ebs-identity-describe`,
        {
          role: identity.role.name,
          name: `${csi.aws.clusterName}-ebs-csi-describe`,
          policy: JSON.stringify(ebsCsiDescribePolicy(csi.aws)),
        },
        { parent: this },
      );
      ready.push(
        helmRelease(
          `${name}-ebs-csi`,
          {
            pin: CHARTS.awsEbsCsiDriver,
            mirror: args.mirror,
            releaseName: "aws-ebs-csi-driver",
            namespace: D.csiNamespace,
            values: {
              controller: {
                region: csi.aws.region,
                serviceAccount: {
                  create: true,
                  name: "ebs-csi-controller-sa",
                  annotations: identity.serviceAccountAnnotations,
                },
                // Every volume and snapshot it creates carries the cluster's name: its policy requires it.
                extraVolumeTags: { [D.ebsClusterTag]: csi.aws.clusterName },
              },
              node: { enableWindows: false },
              helmTester: { enabled: false },
              storageClasses: [
                {
                  name: D.classes["aws-ebs"],
                  volumeBindingMode: "WaitForFirstConsumer",
                  reclaimPolicy,
                  allowVolumeExpansion: true,
                  parameters: { type: "gp3", encrypted: "true" },
                },
              ],
            },
          },
          { parent: this, dependsOn: [...identity.resources, describe] },
        ),
      );
    } else if (csi?.kind === "openstack-cinder") {
      const stored = args.secrets.put(
        `${name}-cinder-cloud-config`,
        {
          name: "storage/cinder-cloud-config",
          data: { cloudConf: csi.cloudConfig },
          description: "cloud.conf of the OpenStack Cinder CSI driver (its OpenStack credentials).",
        },
        { parent: this },
      );
      const secret = externalSecret(
        `${name}-cinder-cloud-config-secret`,
        {
          name: D.cinderSecret,
          namespace: D.csiNamespace,
          store: args.secrets.store,
          data: [{ secretKey: "cloud.conf", from: stored, property: "cloudConf" }],
        },
        { parent: this },
      );
      ready.push(
        helmRelease(
          `${name}-cinder-csi`,
          {
            pin: CHARTS.openstackCinderCsi,
            mirror: args.mirror,
            releaseName: "cinder-csi",
            namespace: D.csiNamespace,
            values: {
              // The existing Secret, never the node's /etc/config.
              secret: {
                enabled: true,
                create: false,
                hostMount: false,
                name: D.cinderSecret,
                filename: "cloud.conf",
              },
              storageClass: {
                enabled: false,
                custom: [
                  "apiVersion: storage.k8s.io/v1",
                  "kind: StorageClass",
                  "metadata:",
                  `  name: ${D.classes["openstack-cinder"]}`,
                  "provisioner: cinder.csi.openstack.org",
                  "volumeBindingMode: WaitForFirstConsumer",
                  `reclaimPolicy: ${reclaimPolicy}`,
                  "allowVolumeExpansion: true",
                ].join("\n"),
              },
            },
          },
          { parent: this, dependsOn: [secret] },
        ),
      );
    }

    if (args.rook !== undefined) {
      const protection = statefulProtection(args.profile);
      // OSDs and the CSI node plugins are privileged (Rook v1.20.6, ceph-csi-operator v1.0.4).
      const ns = namespace(
        `${name}-rook-namespace`,
        { name: D.rookNamespace, podSecurity: "privileged" },
        { parent: this, ...protection },
      );
      const operator = helmRelease(
        `${name}-rook-operator`,
        {
          pin: CHARTS.rookCeph,
          mirror: args.mirror,
          releaseName: "rook-ceph",
          namespace: ns.metadata.name,
          values: { crds: { enabled: true }, csi: { installCsiOperator: true } },
        },
        // Its CRDs hold the cluster: protected like the cluster itself.
        { parent: this, ...protection },
      );
      const drivers = helmRelease(
        `${name}-ceph-csi-drivers`,
        {
          pin: CHARTS.cephCsiDrivers,
          mirror: args.mirror,
          releaseName: "ceph-csi-drivers",
          namespace: ns.metadata.name,
          values: cephCsiDriversValues(),
        },
        { parent: this, dependsOn: [operator] },
      );
      const cluster: kubernetes.helm.v3.Release = helmRelease(
        `${name}-rook-cluster`,
        {
          pin: CHARTS.rookCephCluster,
          mirror: args.mirror,
          releaseName: "rook-ceph-cluster",
          namespace: ns.metadata.name,
          values: rookClusterValues(args.rook, args.profile),
          // A new cluster takes minutes to bring up its monitors and OSDs.
          timeoutSeconds: 1800,
        },
        { parent: this, dependsOn: [operator, drivers], ...protection },
      );
      ready.push(cluster);
    }

    const storageClassName = platformStorageClass(args);
    if (storageClassName !== undefined) this.storageClassName = storageClassName;
    this.ready = ready;
    this.registerOutputs({ storageClassName: this.storageClassName });
  }
}

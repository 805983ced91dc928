/**
 * Storage the stack relies on: the EBS CSI driver (fixture prod), OpenStack Cinder (fixture staging), a
 * Rook Ceph cluster (fixture dev), and in-cluster Postgres on the configured class.
 */
import * as assert from "node:assert/strict";
import { assertScopedPolicy } from "../components/aws-identity";
import { ebsCsiDescribePolicy, type ebsCsiPolicy, storageArgsProblems } from "../components/storage";
import { CHARTS } from "../components/versions";
import { configProblems, editedConfig, synthStack, type Synth } from "./harness";

type Json = Record<string, unknown>;
const RELEASE = "kubernetes:helm.sh/v3:Release";
const COMPOSITION = "kubernetes:apiextensions.crossplane.io/v1:Composition";

function values(synth: Synth, name: string): Json {
  return synth.inputs(synth.one(RELEASE, name))["values"] as Json;
}

/** The in-cluster Postgres volume claim of the stack's SQLDatabase composition. */
function postgresClaim(synth: Synth): Json {
  const composition = synth
    .ofType(COMPOSITION)
    .map((r) =>
      synth.inputs<{ spec: { compositeTypeRef: { kind: string }; pipeline: Array<{ input: Json }> } }>(r),
    )
    .find((c) => c.spec.compositeTypeRef.kind === "SQLDatabase")!;
  const resources = composition.spec.pipeline[0]!.input["resources"] as Array<{ base: Json }>;
  const claim = resources.find((r) => r.base["kind"] === "PersistentVolumeClaim");
  assert.ok(claim, "the in-cluster composition claims a volume");
  return claim.base["spec"] as Json;
}

describe("storage", () => {
  let dev: Synth;
  let staging: Synth;
  let prod: Synth;
  before(async () => {
    dev = await synthStack("dev");
    staging = await synthStack("staging");
    prod = await synthStack("prod");
  });

  describe("AWS EBS CSI (fixture prod)", () => {
    it("installs the pinned driver into kube-system with one encrypted gp3 class that waits for its consumer", () => {
      const release = prod.inputs(prod.one(RELEASE, "idp-storage-ebs-csi"));
      assert.equal(release["chart"], CHARTS.awsEbsCsiDriver.chart);
      assert.equal(release["version"], "2.64.0");
      assert.equal(release["namespace"], "kube-system");
      const v = release["values"] as Json;
      assert.deepEqual(v["storageClasses"], [
        {
          name: "gp3-encrypted",
          volumeBindingMode: "WaitForFirstConsumer",
          // prod keeps data: a released volume stays.
          reclaimPolicy: "Retain",
          allowVolumeExpansion: true,
          parameters: { type: "gp3", encrypted: "true" },
        },
      ]);
      assert.deepEqual((v["controller"] as Json)["extraVolumeTags"], {
        "idp.platform/cluster": "fixture-prod",
      });
      assert.deepEqual(v["node"], { enableWindows: false });
    });

    it("gives the controller a role that touches only this cluster's volumes and snapshots", () => {
      const role = prod.inputs(prod.one("aws:iam/role:Role", "idp-storage-ebs-identity"));
      assert.equal(role["name"], "fixture-prod-ebs-csi");
      const policy = JSON.parse(
        String(
          prod.inputs(prod.one("aws:iam/rolePolicy:RolePolicy", "idp-storage-ebs-identity-policy"))["policy"],
        ),
      ) as ReturnType<typeof ebsCsiPolicy>;
      assertScopedPolicy(policy, "ebs");
      for (const statement of policy.Statement) {
        const conditions = JSON.stringify(statement.Condition ?? {});
        // Every change is tied to the cluster tag, except attaching to instances and tagging at creation.
        if (!["AttachToInstances", "TagOnCreate"].includes(statement.Sid!)) {
          assert.match(conditions, /idp\.platform\/cluster.*fixture-prod/, statement.Sid);
        }
        for (const resource of statement.Resource) {
          // Snapshot ARNs have no account field.
          assert.match(resource, /^arn:aws:ec2:us-east-2:(444455556666:(volume|instance)|:snapshot)\/\*$/);
        }
      }
      const describe = JSON.parse(
        String(
          prod.inputs(prod.one("aws:iam/rolePolicy:RolePolicy", "idp-storage-ebs-identity-describe"))[
            "policy"
          ],
        ),
      ) as Json;
      assert.deepEqual(describe, ebsCsiDescribePolicy({ ...anyAws(), region: "us-east-2" }));
      assert.ok(
        prod.dependsOn(
          prod.one(RELEASE, "idp-storage-ebs-csi"),
          prod.one("aws:iam/rolePolicy:RolePolicy", "idp-storage-ebs-identity-describe"),
        ),
      );
    });

    it("is refused without idp:aws", () => {
      assert.ok(
        configProblems("dev", (c) => {
          c.values["idp:storage"] = { csi: "aws-ebs" };
        }).includes(
          "Invalid config idp:aws: is required by idp:storage.csi aws-ebs. Fix: pulumi config set --path 'idp:aws.region' eu-west-1",
        ),
      );
    });
  });

  describe("OpenStack Cinder CSI (fixture staging)", () => {
    it("reads cloud.conf from the secrets backend, never from Helm values or the node", () => {
      const v = values(staging, "idp-storage-cinder-csi");
      assert.deepEqual(v["secret"], {
        enabled: true,
        create: false,
        hostMount: false,
        name: "cinder-csi-cloud-config",
        filename: "cloud.conf",
      });
      assert.ok(!JSON.stringify(v).includes("placeholder"));
      const external = staging.inputs(
        staging.one(
          "kubernetes:external-secrets.io/v1:ExternalSecret",
          "idp-storage-cinder-cloud-config-secret",
        ),
      );
      assert.deepEqual(
        (external["spec"] as { data: Json[] }).data.map((d) => d["secretKey"]),
        ["cloud.conf"],
      );
      assert.match(String((v["storageClass"] as Json)["custom"]), /volumeBindingMode: WaitForFirstConsumer/);
    });
  });

  describe("Rook Ceph (fixture dev)", () => {
    it("installs the operator, the Ceph-CSI drivers and the cluster, in that order", () => {
      const [operator, drivers, cluster] = [
        "idp-storage-rook-operator",
        "idp-storage-ceph-csi-drivers",
        "idp-storage-rook-cluster",
      ].map((name) => dev.one(RELEASE, name));
      assert.deepEqual(
        [operator!, drivers!, cluster!].map((r) => String(dev.inputs(r)["chart"])),
        ["rook-ceph", "ceph-csi-drivers", "rook-ceph-cluster"],
      );
      assert.ok(dev.dependsOn(drivers!, operator!));
      assert.ok(dev.dependsOn(cluster!, drivers!) && dev.dependsOn(cluster!, operator!));
      // The operator chart installs the CRDs the cluster chart's CephCluster and CephBlockPool need.
      assert.deepEqual((dev.inputs(operator!)["values"] as Json)["crds"], { enabled: true });
    });

    it("consumes only the listed devices, with one block pool and no filesystem or object store", () => {
      const v = values(dev, "idp-storage-rook-cluster");
      const spec = v["cephClusterSpec"] as { storage: Json };
      assert.equal(spec.storage["useAllDevices"], false);
      assert.equal(spec.storage["useAllNodes"], false);
      assert.deepEqual(spec.storage["nodes"], [
        { name: "fixture-storage-1", devices: [{ name: "sdb" }] },
        { name: "fixture-storage-2", devices: [{ name: "sdb" }] },
        { name: "fixture-storage-3", devices: [{ name: "/dev/disk/by-id/nvme-fixture-3" }] },
      ]);
      const pools = v["cephBlockPools"] as Array<{ name: string; spec: Json; storageClass: Json }>;
      assert.deepEqual(
        pools.map((p) => [p.name, p.spec, p.storageClass["name"]]),
        [["ceph-blockpool", { failureDomain: "host", replicated: { size: 3 } }, "ceph-block"]],
      );
      assert.deepEqual(v["cephFileSystems"], []);
      assert.deepEqual(v["cephObjectStores"], []);
      // Nowhere in the stack: every device of every node.
      for (const record of dev.resources) {
        assert.ok(!JSON.stringify(dev.inputs(record)).includes('"useAllDevices":true'), record.name);
      }
    });

    it("refuses more replicas than hosts", () => {
      assert.deepEqual(
        storageArgsProblems({ rook: { nodes: [{ name: "a", devices: ["sdb"] }], replicas: 3 } }),
        ["a block pool of 3 replicas needs 3 nodes (1 listed)"],
      );
      assert.deepEqual(
        configProblems("dev", (c) => {
          (c.values["idp:storage"] as { rook: { replicas?: number } }).rook.replicas = 5;
        }),
        [
          "Invalid config idp:storage.rook.replicas: is 5, but idp:storage.rook.nodes lists 3: each replica needs its own host. Fix: pulumi config set --path 'idp:storage.rook.replicas' 3",
        ],
      );
    });
  });

  it("puts in-cluster Postgres on the stack's class, and on the cluster's default without idp:storage", async () => {
    assert.equal(postgresClaim(dev)["storageClassName"], "ceph-block");
    const without = await synthStack("dev", {
      config: editedConfig("dev", (c) => {
        delete c.values["idp:storage"];
      }),
    });
    assert.equal(postgresClaim(without)["storageClassName"], undefined);
    assert.deepEqual(
      without.find((r) => r.name.startsWith("idp-storage")),
      [],
    );
  });
});

function anyAws() {
  return {
    accountId: "444455556666",
    region: "us-east-2",
    partition: "aws",
    identity: "pod-identity" as const,
    clusterName: "fixture-prod",
  };
}

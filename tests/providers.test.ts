/**
 * The program's explicit providers, on the fixture stacks: which cluster the Kubernetes provider talks
 * to is explicit, so pointing a stack at another cluster replaces it (and shows in a preview).
 */
import * as assert from "node:assert/strict";
import { synthFixture } from "./harness";

const K8S = "pulumi:providers:kubernetes";

describe("providers", () => {
  it("names the cluster to the Kubernetes provider: clusterIdentifier from the cluster's name and context", async () => {
    const dev = await synthFixture("dev");
    const inputs = dev.inputs(dev.one(K8S, "idp-cluster"));
    assert.equal(inputs["clusterIdentifier"], "fixture-dev@kind-fixture-dev");
    assert.equal(inputs["context"], "kind-fixture-dev");
    assert.equal(
      inputs["kubeconfig"],
      undefined,
      "kubectl's default kubeconfig unless idp:cluster.kubeconfig",
    );
    assert.equal(inputs["enableServerSideApply"], "true");
    const prod = await synthFixture("prod");
    assert.equal(
      prod.inputs(prod.one(K8S, "idp-cluster"))["clusterIdentifier"],
      "fixture-prod@arn:aws:eks:us-east-2:444455556666:cluster/fixture-prod",
    );
  });
});

/**
 * The user's own stacks (Pulumi.<stack>.yaml beside Pulumi.yaml): only what must hold for any valid
 * configuration, so a fork that adds a team, renames the organization or switches the ingress layer
 * stays green. Behaviour is tested on the fixtures the tests own (tests/fixtures/).
 */
import * as assert from "node:assert/strict";
import { listStacks, loadStackConfig } from "../synth/stack-files";
import { parseConfig } from "../stacks/config";
import { containsUnknown } from "../synth/records";
import { synthUserStack } from "./harness";
import { PROVIDER_BUILT } from "./policy-engine";

const NAMESPACE = "kubernetes:core/v1:Namespace";

describe("the user's stacks", () => {
  for (const stack of listStacks()) {
    const profile = parseConfig(loadStackConfig(stack)).profile;

    it(`${stack}: protects and retains every namespace where its profile protects state`, async () => {
      const synth = await synthUserStack(stack);
      const namespaces = synth.ofType(NAMESPACE);
      assert.ok(namespaces.length > 0);
      for (const ns of namespaces) {
        assert.equal(ns.options.protect, profile.protectStateful, `${ns.name} protect`);
        assert.equal(ns.options.retainOnDelete, profile.retainStateful, `${ns.name} retainOnDelete`);
      }
    });

    it(`${stack}: registers nothing the Kubernetes provider builds itself (a preview would need the cluster)`, async () => {
      const synth = await synthUserStack(stack);
      assert.deepEqual(
        synth.resources.filter((r) => PROVIDER_BUILT.has(r.type) || r.remote === true).map((r) => r.name),
        [],
      );
    });

    it(`${stack}: previews with every Helm release's values known (the provider's Check loads the chart)`, async () => {
      const synth = await synthUserStack(stack, { preview: true });
      const releases = synth.ofType("kubernetes:helm.sh/v3:Release");
      assert.ok(releases.length >= 5);
      for (const release of releases) {
        assert.equal(
          containsUnknown(release.wireInputs),
          false,
          `${release.name} has an unknown input in preview`,
        );
      }
    });
  }
});

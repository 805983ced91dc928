/**
 * The user's own stacks (Pulumi.<stack>.yaml beside Pulumi.yaml): only what must hold for any valid
 * configuration, so a fork that adds a team, renames the organization or switches the ingress layer
 * stays green. Behaviour is tested on the fixtures the tests own (tests/fixtures/).
 */
import * as assert from "node:assert/strict";
import { listStacks, loadStackConfig } from "../synth/stack-files";
import { parseConfig } from "../stacks/config";
import { synthStack } from "./harness";

const NAMESPACE = "kubernetes:core/v1:Namespace";

describe("the user's stacks", () => {
  for (const stack of listStacks()) {
    const profile = parseConfig(loadStackConfig(stack)).profile;

    it(`${stack}: protects and retains every namespace where its profile protects state`, async () => {
      const synth = await synthStack(stack);
      const namespaces = synth.ofType(NAMESPACE);
      assert.ok(namespaces.length > 0);
      for (const ns of namespaces) {
        assert.equal(ns.options.protect, profile.protectStateful, `${ns.name} protect`);
        assert.equal(ns.options.retainOnDelete, profile.retainStateful, `${ns.name} retainOnDelete`);
      }
    });
  }
});

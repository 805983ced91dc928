/**
 * Every stack file in the repository synthesizes, in normal and in preview mode, and the result keeps
 * the invariants every part relies on.
 */
import * as assert from "node:assert/strict";
import { listStacks } from "../synth/stack-files";
import { synthStack, type Synth } from "./harness";

const stacks = listStacks();

describe("stack files", () => {
  it("cover dev, staging and prod", () => {
    assert.deepEqual(stacks, ["dev", "prod", "staging"]);
  });

  for (const stack of stacks) {
    for (const preview of [false, true]) {
      describe(`${stack}${preview ? " (preview)" : ""}`, () => {
        let synth: Synth;
        before(async () => {
          synth = await synthStack(stack, { preview });
        });

        it("registers one Platform under the stack", () => {
          const platform = synth.one("idp:platform:Platform", "idp");
          assert.equal(platform.parent, synth.one("pulumi:pulumi:Stack").urn);
        });

        it("uses only explicit providers", () => {
          const providers = new Set(
            synth.find((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.urn),
          );
          for (const record of synth.find((r) => r.custom && !r.type.startsWith("pulumi:providers:"))) {
            const provider = record.provider.replace(/::[^:]*$/, "");
            assert.ok(
              providers.has(provider),
              `${record.type} ${record.name} uses provider "${record.provider}"`,
            );
          }
        });

        it("names component types <pkg>:<module>:<Part> and children after their parent", () => {
          // Provider-implemented components (a Helm chart Pulumi renders) are not the project's parts.
          const providerComponents = new Set([
            "kubernetes:helm.sh/v4:Chart",
            "kubernetes:yaml/v2:ConfigGroup",
          ]);
          for (const component of synth.find(
            (r) => !r.custom && r.type !== "pulumi:pulumi:Stack" && !providerComponents.has(r.type),
          )) {
            assert.match(component.type, /^idp:[a-z]+:[A-Z][A-Za-z]+$/, component.type);
            for (const child of synth.children(component)) {
              assert.ok(
                child.name.startsWith(component.name),
                `${child.name} is named after ${component.name}`,
              );
            }
          }
        });

        it("gives every Kubernetes object an explicit name", () => {
          for (const record of synth.find(
            (r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.includes("helm.sh"),
          )) {
            const metadata = synth.inputs(record)["metadata"] as { name?: unknown } | undefined;
            assert.equal(typeof metadata?.name, "string", `${record.type} ${record.name} has metadata.name`);
          }
        });

        it("exports outputs that say what was built", () => {
          const outputs = synth.result.stackOutputs;
          for (const key of ["profile", "domain", "cluster", "githubOrganization", "nextSteps"]) {
            assert.ok(key in outputs, `output ${key}`);
          }
        });
      });
    }
  }
});

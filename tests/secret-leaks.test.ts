/**
 * Stack-wide guarantee: a secret config value never appears in any resource input or stack output
 * except as a Pulumi secret. Every secret a stack reads gets a marker value, in normal and preview mode;
 * each marker must be absent from plaintext and must reach a resource (secrets a stack does not read are
 * refused as left-over config, stacks/config.ts).
 */
import * as assert from "node:assert/strict";
import { parseConfig } from "../stacks/config";
import { requiredSecrets, secretKeys, type SecretKey } from "../stacks/schema";
import { listStacks, loadStackConfig, PROJECT_ROOT } from "../synth/stack-files";
import { editedConfig, fixtureConfig, setSecret, synthStack } from "./harness";

function marker(key: string): string {
  return `leak-marker-${key}-7f3a91c2`;
}

describe("secret config values", () => {
  const keys = Object.keys(secretKeys) as SecretKey[];

  it("are all tested: every key of secretKeys gets a marker below", () => {
    assert.ok(keys.includes("githubToken") && keys.includes("githubAppPrivateKey"));
    assert.equal(new Set(keys.map(marker)).size, keys.length, "markers are distinct");
    // The fixture stacks together read every secret, so each one's path to a resource is covered.
    const read = new Set(
      ["dev", "staging", "prod"].flatMap((stack) =>
        requiredSecrets(parseConfig(fixtureConfig(stack)).settings).map((r) => r.key),
      ),
    );
    assert.deepEqual([...read].sort(), [...keys].sort());
  });

  for (const stack of listStacks()) {
    for (const preview of [false, true]) {
      it(`appear only as Pulumi secrets in ${stack}${preview ? " (preview)" : ""}`, async () => {
        const read = requiredSecrets(parseConfig(loadStackConfig(stack)).settings).map((r) => r.key);
        const config = editedConfig(
          stack,
          (c) => {
            for (const key of read) setSecret(c, key, marker(key));
          },
          PROJECT_ROOT,
        );
        const synth = await synthStack(stack, { config, preview });
        for (const key of keys) {
          assert.deepEqual(synth.plaintextLeaks(marker(key)), [], `idp:${key} leaks`);
        }
        // The secrets this stack needs reach a resource (as secrets): the check above is not vacuous.
        const required = requiredSecrets(parseConfig(config).settings).map((r) => r.key);
        assert.ok(required.length > 0);
        for (const key of required) {
          const users = synth.resources.filter((r) => JSON.stringify(synth.inputs(r)).includes(marker(key)));
          assert.ok(users.length > 0, `idp:${key} is used by some resource`);
          for (const user of users) {
            assert.ok(synth.secretInputs(user).length > 0, `${user.name} holds idp:${key} as a secret`);
            assert.ok(
              !JSON.stringify(synth.redacted(user)).includes(marker(key)),
              `${user.name} redacts idp:${key}`,
            );
          }
        }
      });
    }
  }
});

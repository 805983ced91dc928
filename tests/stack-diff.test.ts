/**
 * `npm run synth -- --diff dev prod` shows only profile and config differences.
 *
 * The exact check: synthesize a stack's own config under another stack's name. The program and the
 * config are the same, so whatever differs comes from the stack name alone, and it must be limited to
 * the places where the stack name is the environment's identity (below). Then
 * diff(dev, prod) = diff(dev, prod's config named dev) + identity, and the first part has one stack
 * name on both sides: every difference in it comes from the profile (`idp:profile`) or other config.
 *
 * The seeding stack (dev) cannot be renamed that way: its config describes the other environments by
 * name (`idp:github.environmentSettings`), so it is only ever the stack the others are renamed to.
 */
import * as assert from "node:assert/strict";
import { describeResource } from "../synth/render";
import { decodeWire, stackIndependentKey } from "../synth/records";
import { synthesize, type SynthResult } from "../synth/run";
import { listStacks, loadStackConfig } from "../synth/stack-files";
import { parseConfig } from "../stacks/config";

/** Where the program may use the stack name; every other difference between stacks is config. */
const STACK_IDENTITY_USES: ReadonlyArray<{ readonly text: (stack: string) => string; readonly why: string }> =
  [
    {
      text: (stack) => `environments/${stack}/`,
      why: "the environment's folder of the management repository",
    },
    {
      text: (stack) => `Seed environments/${stack} from the platform (Pulumi stack ${stack})`,
      why: "the message of the commit that writes the environment's folder (each stack writes its own)",
    },
    {
      text: (stack) => `idp.platform/environment: ${stack}\n`,
      why: "the environment label of the Argo CD Applications in the environment's folder",
    },
    {
      text: (stack) => ` in ${stack}\n\nOne folder per app.`,
      why: "the README of each team's folder of the environment",
    },
    {
      text: (stack) => `(its \`build\` workflow run for ${stack})`,
      why: "the README of each team's folder of an environment apps reach by promotion",
    },
    {
      text: (stack) => `# Infrastructure of ${stack}\n`,
      why: "the README of the environment's infrastructure folder",
    },
    {
      text: (stack) => `idp/${stack}/`,
      why: "the default name prefix of the environment's secrets in AWS Secrets Manager (idp:secrets.prefix)",
    },
    {
      text: (stack) => `"idp:stack":"${stack}"`,
      why: "the idp:stack tag the AWS provider puts on every AWS resource",
    },
    {
      text: (stack) => `Argo CD ${stack} (`,
      why: "the title of the environment's deploy key on the shared management repository (GitHub shows them side by side)",
    },
    {
      text: (stack) => `/platform-management (${stack}).`,
      why: "the description of the environment's deploy key in its secrets backend",
    },
  ];

function normalize(value: unknown, stack: string): unknown {
  if (typeof value === "string") {
    return STACK_IDENTITY_USES.reduce(
      (text, use) => text.split(use.text(stack)).join(use.text("<stack>")),
      value,
    );
  }
  if (Array.isArray(value)) return value.map((item) => normalize(item, stack));
  if (value === null || typeof value !== "object") return value;
  // Keys too: the environment's folder is keyed by its paths.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [normalize(key, stack) as string, normalize(item, stack)]),
  );
}

/** Everything the diff compares, with the stack's identity replaced by a placeholder. */
function comparable(result: SynthResult): unknown {
  const resources: Record<string, unknown> = {};
  for (const record of result.resources) {
    if (record.type === "pulumi:pulumi:Stack") continue;
    const { urn: _urn, ...described } = describeResource(record, stackIndependentKey);
    resources[stackIndependentKey(record.urn)] = described;
  }
  return normalize({ resources, outputs: decodeWire(result.stackOutputs, "redacted") }, result.stack);
}

const stacks = listStacks();
const seeding = stacks.filter(
  (stack) => parseConfig(loadStackConfig(stack)).settings.github.manageOrganization,
);

describe("stack differences come from profile and config only", () => {
  it("has exactly one seeding stack, dev", () => {
    assert.deepEqual(seeding, ["dev"]);
  });

  // The first environment in promotion order is an identity too: configured apps start in its folder,
  // so a stack is renamed only to another environment that is not the first.
  const first = parseConfig(loadStackConfig(seeding[0]!)).settings.github.environments[0];
  for (const stack of stacks.filter((s) => !seeding.includes(s))) {
    for (const name of stacks.filter((s) => s !== stack && s !== first)) {
      for (const preview of [false, true]) {
        it(`${stack}'s config synthesized as stack ${name}${preview ? " (preview)" : ""} differs only in the stack's identity`, async () => {
          const config = loadStackConfig(stack);
          const own = await synthesize({ stack, config, preview });
          const renamed = await synthesize({ stack: name, config: { ...config, stack: name }, preview });
          assert.deepEqual(comparable(renamed), comparable(own));
        });
      }
    }
  }

  it("uses each identity on purpose: renaming changes something only through them", async () => {
    // Guards the allowance itself: without normalization, renaming prod does change these places.
    const config = loadStackConfig("prod");
    const own = await synthesize({ stack: "prod", config });
    const renamed = await synthesize({ stack: "staging", config: { ...config, stack: "staging" } });
    const text = (result: SynthResult) =>
      JSON.stringify(result.resources.map((r) => decodeWire(r.wireInputs, "redacted"))) +
      JSON.stringify(decodeWire(result.stackOutputs, "redacted"));
    for (const use of STACK_IDENTITY_USES) {
      const quoted = (s: string) => JSON.stringify(use.text(s)).slice(1, -1);
      assert.ok(text(own).includes(use.text("prod")) || text(own).includes(quoted("prod")), use.why);
      assert.ok(
        text(renamed).includes(use.text("staging")) || text(renamed).includes(quoted("staging")),
        use.why,
      );
    }
  });
});

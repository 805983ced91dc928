/**
 * One measured run for `npm run bench`, in a fresh process so that module loading is measured too.
 *
 *   bench-child floor            an empty Pulumi program that loads the same SDK packages under mocks
 *   bench-child synth <stack> [<root>]  the offline synth of a stack, written to a temporary directory
 *
 * Prints one JSON line: {"maxRssKb": ...} (a synth adds "resources" and "githubWriteChain"). The parent
 * measures wall time from spawn to exit.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Pulumi from "@pulumi/pulumi";

async function floor(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const pulumi = require("@pulumi/pulumi") as typeof Pulumi;
  require("@pulumi/kubernetes");
  require("@pulumi/aws");
  require("@pulumi/github");
  require("@pulumi/random");
  require("@pulumi/tls");
  require("@pulumiverse/time");
  /* eslint-enable @typescript-eslint/no-require-imports */
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Record<string, unknown> }),
      call: () => ({}),
    },
    "floor",
    "floor",
  );
  await pulumi.runtime.runInPulumiStack(() => Promise.resolve({}));
  await pulumi.runtime.disconnect();
}

/** What a synth run reports besides memory: its size and its longest chain of GitHub writes. */
let synthReport: { resources: number; githubWriteChain: number } | undefined;

async function synth(stack: string, root: string | undefined): Promise<void> {
  const { loadStackConfig } = await import("./stack-files");
  const { synthesize } = await import("./run");
  const { writeSynth } = await import("./render");
  const { githubWriteChain } = await import("./graph");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "idp-bench-"));
  try {
    const result = await synthesize({ stack, config: loadStackConfig(stack, root) });
    writeSynth(result, out);
    synthReport = {
      resources: result.resources.length,
      githubWriteChain: githubWriteChain(result.resources).seconds,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function run(): Promise<void> {
  const [mode, stack, root] = process.argv.slice(2);
  if (mode === "floor") await floor();
  else if (mode === "synth" && stack !== undefined) await synth(stack, root);
  else throw new Error("usage: bench-child floor | synth <stack> [<root>]");
  process.stdout.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, ...synthReport }) + "\n");
}

run().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

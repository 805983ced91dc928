/**
 * Offline synth: evaluates the program for a stack under Pulumi's mocks, with that stack's config and
 * no Pulumi CLI, cluster, cloud or GitHub credentials, and writes `out/<stack>/`.
 *
 *   npm run synth -- <stack> [--preview] [--out <dir>] [--root <dir>]
 *   npm run synth -- --diff <stackA> <stackB> [--preview] [--root <dir>]
 *
 * `--root` points at another directory holding Pulumi.yaml and the stack files (the program is always
 * this project's).
 *
 * Exit status: 0 on success, 1 on invalid configuration (one line per problem, nothing registered)
 * or a failing program, 2 on a usage error.
 */
import * as path from "node:path";
import { ConfigError, parseConfig } from "../stacks/config";
import { diffStacks, formatDiff } from "./diff";
import { writeSynth, summarize } from "./render";
import { synthesize, type SynthResult } from "./run";
import { loadStackConfig, PROJECT_ROOT, StackFileError } from "./stack-files";

const USAGE = `usage: npm run synth -- <stack> [--preview] [--out <dir>] [--root <dir>]
       npm run synth -- --diff <stackA> <stackB> [--preview] [--root <dir>]`;

class UsageError extends Error {}

interface Arguments {
  readonly stacks: string[];
  readonly diff: boolean;
  readonly preview: boolean;
  readonly out: string;
  /** Directory holding Pulumi.yaml and the stack files (default: this project). */
  readonly root: string;
}

function parseArguments(argv: readonly string[]): Arguments {
  const stacks: string[] = [];
  let diff = false;
  let preview = false;
  let out = path.join(PROJECT_ROOT, "out");
  let root = PROJECT_ROOT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--diff") diff = true;
    else if (arg === "--preview") preview = true;
    else if (arg === "--out") {
      const value = argv[++i];
      if (value === undefined) throw new UsageError("--out needs a directory");
      out = path.resolve(value);
    } else if (arg === "--root") {
      const value = argv[++i];
      if (value === undefined) throw new UsageError("--root needs a directory");
      root = path.resolve(value);
    } else if (arg === "--help" || arg === "-h") throw new UsageError("");
    else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
    else stacks.push(arg);
  }
  if (diff && stacks.length !== 2) throw new UsageError("--diff needs exactly two stacks");
  if (!diff && stacks.length !== 1) throw new UsageError("name exactly one stack");
  return { stacks, diff, preview, out, root };
}

/** Loads and validates a stack's config before anything runs, so bad input registers nothing. */
async function synthStack(stack: string, preview: boolean, root: string): Promise<SynthResult> {
  const config = loadStackConfig(stack, root);
  parseConfig(config);
  return synthesize({ stack, config, preview });
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: Arguments;
  try {
    args = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) console.error(`synth: ${error.message}`);
    console.error(USAGE);
    return 2;
  }
  try {
    if (args.diff) {
      const a = await synthStack(args.stacks[0]!, args.preview, args.root);
      const b = await synthStack(args.stacks[1]!, args.preview, args.root);
      process.stdout.write(formatDiff(a, b, diffStacks(a, b)));
      return 0;
    }
    const result = await synthStack(args.stacks[0]!, args.preview, args.root);
    const written = writeSynth(result, args.out);
    process.stdout.write(summarize(result));
    const relative = path.relative(process.cwd(), written.directory) || ".";
    process.stdout.write(
      `\nWrote ${relative}/: resources.json, outputs.json, ${written.manifests} manifests, ${written.helmReleases} Helm releases, ${written.seededFiles} seeded repository files, graph.mmd, summary.txt.\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.lines) console.error(line);
      return 1;
    }
    if (error instanceof StackFileError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}

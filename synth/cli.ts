/**
 * Offline synth: evaluates the program for a stack under Pulumi's mocks, with that stack's config and
 * no Pulumi CLI, cluster, cloud or GitHub credentials, and writes `out/<stack>/`.
 *
 *   npm run synth -- <stack> [--preview] [--out <dir>] [--root <dir>]
 *   npm run synth -- --diff <stackA> <stackB> [--preview] [--root <dir>]
 *   npm run synth -- <stack> --diff-ref <git-ref> [--preview] [--root <dir>]
 *
 * `--diff-ref` compares the stack as the git ref builds it (program and config, from a temporary
 * worktree of the ref, with this checkout's node_modules) with the working tree, before a commit or in
 * review.
 *
 * `--root` points at another directory holding Pulumi.yaml and the stack files (the program is always
 * this project's).
 *
 * Exit status: 0 on success, 1 on invalid configuration (one line per problem, nothing registered)
 * or a failing program, 2 on a usage error.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, parseConfig } from "../stacks/config";
import { diffStacks, formatDiff } from "./diff";
import { writeSynth, summarize } from "./render";
import { synthesize, type SynthResult } from "./run";
import { loadStackConfig, notReadyForDeploy, PROJECT_ROOT, StackFileError } from "./stack-files";
import { runCli } from "./run-cli";

const USAGE = `usage: npm run synth -- <stack> [--preview] [--out <dir>] [--root <dir>]
       npm run synth -- --diff <stackA> <stackB> [--preview] [--root <dir>]
       npm run synth -- <stack> --diff-ref <git-ref> [--preview] [--root <dir>]`;

class UsageError extends Error {}

interface Arguments {
  readonly stacks: string[];
  readonly diff: boolean;
  /** Compare the stack at this git ref with the working tree. */
  readonly diffRef: string | undefined;
  readonly preview: boolean;
  readonly out: string;
  /** Directory holding Pulumi.yaml and the stack files (default: this project). */
  readonly root: string;
}

function parseArguments(argv: readonly string[]): Arguments {
  const stacks: string[] = [];
  let diff = false;
  let diffRef: string | undefined;
  let preview = false;
  let out = path.join(PROJECT_ROOT, "out");
  let root = PROJECT_ROOT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--diff") diff = true;
    else if (arg === "--diff-ref") {
      const value = argv[++i];
      if (value === undefined || value.startsWith("-"))
        throw new UsageError("--diff-ref needs a git ref, e.g. HEAD~1");
      diffRef = value;
    } else if (arg === "--preview") preview = true;
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
  if (diff && diffRef !== undefined) throw new UsageError("use either --diff or --diff-ref");
  if (diff && stacks.length !== 2) throw new UsageError("--diff needs exactly two stacks");
  if (!diff && stacks.length !== 1) throw new UsageError("name exactly one stack");
  return { stacks, diff, diffRef, preview, out, root };
}

/** Loads and validates a stack's config before anything runs, so bad input registers nothing. */
async function synthStack(
  stack: string,
  preview: boolean,
  root: string,
  program?: () => unknown,
): Promise<SynthResult> {
  const config = loadStackConfig(stack, root);
  // Another checkout's program validates its config with its own rules when it runs.
  if (program === undefined) parseConfig(config);
  return synthesize({ stack, config, preview, ...(program !== undefined ? { program } : {}) });
}

/** The program of another checkout: its index.ts, loaded after the mocks are in place. */
function programAt(root: string): () => unknown {
  return () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(path.join(root, "index.ts")) as () => unknown;
    return main();
  };
}

/**
 * The stack at a git ref against the working tree of `root`: the ref is checked out into a temporary
 * worktree (removed afterwards) that borrows this checkout's node_modules.
 */
export async function diffAgainstRef(
  stack: string,
  ref: string,
  options: { root: string; preview: boolean },
): Promise<string> {
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: options.root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  let commit: string;
  try {
    commit = git("rev-parse", "--verify", `${ref}^{commit}`);
  } catch {
    throw new UsageError(`${ref} is not a commit of the repository at ${options.root}`);
  }
  const worktree = fs.mkdtempSync(path.join(os.tmpdir(), "idp-diff-ref-"));
  git("worktree", "add", "--detach", "--quiet", worktree, commit);
  try {
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(worktree, "node_modules"), "dir");
    const before = await synthStack(stack, options.preview, worktree, programAt(worktree));
    const after = await synthStack(
      stack,
      options.preview,
      options.root,
      options.root === PROJECT_ROOT ? undefined : programAt(options.root),
    );
    const a = { ...before, stack: `${stack}@${ref}` };
    const b = { ...after, stack: `${stack} (working tree)` };
    return formatDiff(a, b, diffStacks(a, b));
  } finally {
    git("worktree", "remove", "--force", worktree);
  }
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
    if (args.diffRef !== undefined) {
      process.stdout.write(
        await diffAgainstRef(args.stacks[0]!, args.diffRef, { root: args.root, preview: args.preview }),
      );
      return 0;
    }
    if (args.diff) {
      const a = await synthStack(args.stacks[0]!, args.preview, args.root);
      const b = await synthStack(args.stacks[1]!, args.preview, args.root);
      process.stdout.write(formatDiff(a, b, diffStacks(a, b)));
      return 0;
    }
    const result = await synthStack(args.stacks[0]!, args.preview, args.root);
    const written = writeSynth(result, args.out);
    const notReady = notReadyForDeploy(loadStackConfig(args.stacks[0]!, args.root));
    const summary =
      summarize(result) +
      (notReady.length > 0
        ? `\nBefore a real pulumi up of ${args.stacks[0]!}:\n${notReady.map((line) => `  - ${line}`).join("\n")}\n`
        : "");
    fs.writeFileSync(path.join(written.directory, "summary.txt"), summary);
    process.stdout.write(summary);
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
    if (error instanceof UsageError) {
      console.error(`synth: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) runCli(main);

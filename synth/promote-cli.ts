/**
 * `npm run promote -- <from> <to> --deployed <file> --history <file> [--commit <sha>]`
 *
 * Decides whether the current checkout may be deployed to `<to>`, the stage after `<from>`
 * (stacks/promotion.ts), and prints the synth diff between the two stacks for the reviewer. CI runs it
 * before `pulumi up` of staging and prod, with the files it wrote from the source stack:
 *
 *   pulumi stack output --json --stack <from>  > deployed.json
 *   pulumi stack history --json --stack <from> > history.json
 *
 * Options: `--commit <sha>` the commit being promoted (default: $GITHUB_SHA); `--max-age-hours <n>` how
 * old the source's update may be (default 168); `--no-diff` skips the synth diff; `--root <dir>` reads
 * Pulumi.yaml and the stack files from another directory.
 *
 * `--dry-run` answers "what would promotion check?" before anything is deployed: the source's versions
 * come from synth's `out/<from>/outputs.json` (run `npm run synth -- <from>` first; `--out <dir>` for
 * another folder), the history check is skipped and says what CI will check, and no commit is needed.
 *
 * Exit status: 0 promotable, 1 refused (every reason printed), 2 usage error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { diffStacks, formatDiff } from "./diff";
import { synthesize } from "./run";
import { listStacks, loadStackConfig, PROJECT_ROOT, StackFileError } from "./stack-files";
import type { RawStackConfig } from "../stacks/config";
import { platformVersions } from "../stacks/platform-versions";
import {
  evaluateDryRun,
  evaluatePromotion,
  formatVerdict,
  HISTORY_DEFAULTS,
  tryParse,
} from "../stacks/promotion";
import { runCli } from "./run-cli";

export const USAGE = `usage: npm run promote -- <from> <to> --deployed <file> --history <file> [--commit <sha>]
                       [--max-age-hours <n>] [--no-diff] [--root <dir>]
       npm run promote -- <from> <to> --dry-run [--out <dir>] [--no-diff] [--root <dir>]
required: <from> and <to>, and either --deployed and --history (CI, with --commit or GITHUB_SHA) or --dry-run`;

class UsageError extends Error {}

interface Arguments {
  readonly from: string;
  readonly to: string;
  readonly deployed: string;
  readonly history: string;
  readonly commit: string;
  readonly maxAgeHours: number;
  readonly diff: boolean;
  readonly root: string;
  /** Check against synth's outputs instead of a deployment; no history. */
  readonly dryRun: boolean;
  /** synth's output folder (dry run). */
  readonly out: string;
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
}

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  now: () => new Date(),
};

function parseArguments(argv: readonly string[], env: Io["env"]): Arguments {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  let diff = true;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") throw new UsageError("");
    if (arg === "--no-diff") diff = false;
    else if (arg === "--dry-run") dryRun = true;
    else if (["--deployed", "--history", "--commit", "--max-age-hours", "--root", "--out"].includes(arg)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      options[arg.slice(2)] = value;
    } else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 2) throw new UsageError("name the source and the target stack");
  const root = path.resolve(options["root"] ?? PROJECT_ROOT);
  if (dryRun) {
    for (const option of ["deployed", "history", "commit"]) {
      if (options[option] !== undefined) throw new UsageError(`--${option} does not go with --dry-run`);
    }
    return {
      from: positional[0]!,
      to: positional[1]!,
      deployed: "",
      history: "",
      commit: "",
      maxAgeHours: HISTORY_DEFAULTS.maxAgeHours,
      diff,
      root,
      dryRun,
      out: path.resolve(options["out"] ?? path.join(root, "out")),
    };
  }
  for (const required of ["deployed", "history"]) {
    if (options[required] === undefined) {
      throw new UsageError(`--${required} <file> is required (or --dry-run to see what would be checked)`);
    }
  }
  const commit = options["commit"] ?? env["GITHUB_SHA"];
  if (commit === undefined || !/^[0-9a-f]{7,40}$/i.test(commit)) {
    throw new UsageError(
      commit === undefined
        ? "--commit <sha> is required (or GITHUB_SHA): the commit being promoted"
        : `--commit ${commit} is not a commit SHA`,
    );
  }
  const maxAgeHours = Number(options["max-age-hours"] ?? HISTORY_DEFAULTS.maxAgeHours);
  if (!Number.isFinite(maxAgeHours) || maxAgeHours <= 0) {
    throw new UsageError(`--max-age-hours must be a positive number of hours`);
  }
  return {
    from: positional[0]!,
    to: positional[1]!,
    deployed: options["deployed"]!,
    history: options["history"]!,
    commit,
    maxAgeHours,
    diff,
    root,
    dryRun,
    out: "",
  };
}

/** A JSON file's content, or its text when it is not JSON (the checks then say what they expected). */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let args: Arguments;
  let deployedOutputs: unknown;
  let history: unknown;
  const all: Record<string, RawStackConfig> = {};
  try {
    args = parseArguments(argv, io.env);
    const stacks = listStacks(args.root);
    for (const stack of [args.from, args.to]) {
      if (!stacks.includes(stack)) {
        throw new UsageError(`unknown stack ${stack}: stacks in this project are ${stacks.join(", ")}`);
      }
    }
    if (args.dryRun) {
      const outputs = path.join(args.out, args.from, "outputs.json");
      if (!fs.existsSync(outputs)) {
        throw new UsageError(`${outputs} does not exist: run npm run synth -- ${args.from} first`);
      }
      deployedOutputs = readJson(outputs);
    } else {
      deployedOutputs = readJson(args.deployed);
      history = readJson(args.history);
    }
    for (const stack of stacks) {
      try {
        all[stack] = loadStackConfig(stack, args.root);
      } catch (error) {
        // An unreadable stack file other than the two promoted ones does not block this promotion.
        if (!(error instanceof StackFileError) || stack === args.from || stack === args.to) throw error;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) io.err(`promote: ${error.message}\n`);
      io.err(USAGE + "\n");
      return 2;
    }
    if (error instanceof StackFileError) {
      io.err(`${error.message}\nRefused: the stack files must load before anything is promoted.\n`);
      return 1;
    }
    throw error;
  }

  io.out(
    args.dryRun
      ? `Dry run of the promotion ${args.from} → ${args.to}: ${args.from}'s versions from synth (${path.relative(args.root, path.join(args.out, args.from, "outputs.json"))}), no deploy history\n\n`
      : `Promotion ${args.from} → ${args.to} of commit ${args.commit}\n\n`,
  );
  const source = all[args.from]!;
  const target = all[args.to]!;
  if (args.diff && !Array.isArray(tryParse(source)) && !Array.isArray(tryParse(target))) {
    const a = await synthesize({ stack: args.from, config: source });
    const b = await synthesize({ stack: args.to, config: target });
    io.out(formatDiff(a, b, diffStacks(a, b)) + "\n");
  }
  const input = {
    from: args.from,
    to: args.to,
    deployedOutputs,
    history,
    target: platformVersions(),
    configs: { all, from: args.from, to: args.to },
    requirements: { commit: args.commit, now: io.now(), maxAgeHours: args.maxAgeHours },
  };
  const verdict = args.dryRun ? evaluateDryRun(input) : evaluatePromotion(input);
  io.out(formatVerdict(args.from, args.to, verdict, args.dryRun));
  return verdict.promotable ? 0 : 1;
}

if (require.main === module) runCli(main);

/**
 * `npm run bench`: wall time and peak memory of the offline synth of the dev stack, measured in the
 * same run against the floor: an empty Pulumi program that loads the same SDK packages under mocks.
 * Target: synth at most 1.5x the floor. Then the organization scale: 10 teams/50 apps against 100
 * teams/500 apps (linear time at most, a GitHub write chain that does not grow).
 * This is a benchmark that prints numbers, not a timed test.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { LARGE_ORG, SMALL_ORG, writeOrgScaleProject, type OrgSize } from "./org-scale";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const TARGET = 1.5;
const CHILD = path.join(__dirname, "bench-child.ts");

export interface Measurement {
  readonly seconds: number;
  readonly maxRssMb: number;
  /** Synth runs only: resources registered and the longest chain of dependent GitHub writes. */
  readonly resources?: number;
  readonly githubWriteChain?: number;
}

/** Spawns one measured child and returns its wall time and peak resident memory. */
export function measure(args: readonly string[]): Measurement {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["--import", "tsx", CHILD, ...args], { encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) throw new Error(`bench child ${args.join(" ")} failed:\n${child.stderr}`);
  const report = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as {
    maxRssKb?: number;
    resources?: number;
    githubWriteChain?: number;
  };
  return {
    seconds,
    maxRssMb: (report.maxRssKb ?? 0) / 1024,
    ...(report.resources !== undefined ? { resources: report.resources } : {}),
    ...(report.githubWriteChain !== undefined ? { githubWriteChain: report.githubWriteChain } : {}),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Alternates the two commands so drift on the machine affects both alike; returns medians. */
export function compare(
  a: readonly string[],
  b: readonly string[],
  rounds = ROUNDS,
): [Measurement, Measurement] {
  measure(a); // warm the file cache and tsx's transform cache for both
  measure(b);
  const runsA: Measurement[] = [];
  const runsB: Measurement[] = [];
  for (let i = 0; i < rounds; i++) {
    runsA.push(measure(a));
    runsB.push(measure(b));
  }
  const summary = (runs: Measurement[]): Measurement => ({
    ...runs[0],
    seconds: median(runs.map((r) => r.seconds)),
    maxRssMb: median(runs.map((r) => r.maxRssMb)),
  });
  return [summary(runsA), summary(runsB)];
}

function line(label: string, m: Measurement): string {
  return `  ${label.padEnd(52)} ${m.seconds.toFixed(2).padStart(6)} s  ${m.maxRssMb.toFixed(0).padStart(5)} MB peak`;
}

function main(): void {
  console.log(`Offline synth benchmark (median of ${ROUNDS} alternating runs, each a fresh process):`);
  const [floor, synth] = compare(["floor"], ["synth", "dev"]);
  console.log(line("floor: empty program, same SDK packages, mocks", floor));
  console.log(line("synth dev: evaluate, record, write out/", synth));
  const timeRatio = synth.seconds / floor.seconds;
  const memoryRatio = synth.maxRssMb / floor.maxRssMb;
  const verdict = (ratio: number) => (ratio <= TARGET ? "within" : "OVER");
  console.log(
    `  ratio: time ${timeRatio.toFixed(2)}x (${verdict(timeRatio)} target ${TARGET}x), memory ${memoryRatio.toFixed(2)}x (${verdict(memoryRatio)} target ${TARGET}x)`,
  );
}

/**
 * Organization scale: synth time must grow at most linearly with the organization (time ratio at most
 * the size ratio), and the longest chain of GitHub writes must not grow at all (one commit per
 * repository, repositories created in parallel).
 */
function orgScale(): void {
  const rounds = Number(process.env["BENCH_ORG_ROUNDS"] ?? 3);
  console.log(`\nOrganization scale (synth dev with generated teams and apps; median of ${rounds}):`);
  const small = writeOrgScaleProject(SMALL_ORG);
  const large = writeOrgScaleProject(LARGE_ORG);
  try {
    const [a, b] = compare(["synth", "dev", small], ["synth", "dev", large], rounds);
    const label = (size: OrgSize, m: Measurement) =>
      line(`${size.teams} teams, ${size.apps} apps (${m.resources ?? "?"} resources)`, m);
    console.log(label(SMALL_ORG, a));
    console.log(label(LARGE_ORG, b));
    const sizeRatio = LARGE_ORG.apps / SMALL_ORG.apps;
    const timeRatio = b.seconds / a.seconds;
    const perApp = (m: Measurement, size: OrgSize) => (m.seconds / size.apps) * 1000;
    console.log(
      `  ratio: time ${timeRatio.toFixed(2)}x for ${sizeRatio}x the apps (${timeRatio <= sizeRatio ? "at most linear" : "OVER linear"}); per app ${perApp(a, SMALL_ORG).toFixed(0)} ms → ${perApp(b, LARGE_ORG).toFixed(0)} ms`,
    );
    const same = a.githubWriteChain === b.githubWriteChain;
    console.log(
      `  longest chain of GitHub writes: ${a.githubWriteChain} → ${b.githubWriteChain} (${same ? "does not grow" : "GROWS with the organization"})`,
    );
  } finally {
    fs.rmSync(small, { recursive: true, force: true });
    fs.rmSync(large, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main();
  orgScale();
}

/**
 * `npm run bench`: wall time and peak memory of the offline synth of the dev stack, measured in the
 * same run against the floor: an empty Pulumi program that loads the same SDK packages under mocks.
 * Target: synth at most 1.5x the floor. This is a benchmark that prints numbers, not a timed test.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const TARGET = 1.5;
const CHILD = path.join(__dirname, "bench-child.ts");

export interface Measurement {
  readonly seconds: number;
  readonly maxRssMb: number;
}

/** Spawns one measured child and returns its wall time and peak resident memory. */
export function measure(args: readonly string[]): Measurement {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["--import", "tsx", CHILD, ...args], { encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) throw new Error(`bench child ${args.join(" ")} failed:\n${child.stderr}`);
  const report = JSON.parse(child.stdout.trim().split("\n").pop() ?? "{}") as { maxRssKb?: number };
  return { seconds, maxRssMb: (report.maxRssKb ?? 0) / 1024 };
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

if (require.main === module) main();

import { createDatabase, dropDatabase } from "../../test/support/postgres-server.js";
import type { MongoAvailability } from "../mongo-setup.js";
import { percentile } from "../percentile.js";
import type { BenchOptions, SectionName } from "../options.js";
import type { BenchResult } from "../report.js";
import { startChild, type RunningChild } from "../run-child.js";
import type { ChildResult, Scenario } from "../scenario.js";

/** What every section gets from the runner. */
export interface BenchContext {
  readonly options: BenchOptions;
  /** URL of a database on the bench's PostgreSQL server (fresh databases are made next to it). */
  readonly postgresUrl: string;
  readonly mongo: MongoAvailability;
}

const MB = 1_000_000;
/** A child gets this long, plus the time of its items at a rate no run falls to: a guard against hangs, not a timing. */
const BASE_TIMEOUT_MS = 180_000;
const SLOWEST_MS_PER_ITEM = 5;

/** Progress on stderr, so that a long run shows where it is. */
export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Runs `work` on a fresh database named `bench_<name>`, dropped afterwards (the runs are large). */
export async function withDatabase<T>(context: BenchContext, name: string, work: (url: string) => Promise<T>): Promise<T> {
  const database = `bench_${name}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const url = await createDatabase(context.postgresUrl, database);
  try {
    return await work(url);
  } finally {
    await dropDatabase(context.postgresUrl, database).catch((error: unknown) => progress(`could not drop database ${database}: ${String(error)}`));
  }
}

/** Starts a scenario in a child process, named `name` (its CPU profile too). */
export function startScenario(context: BenchContext, name: string, scenario: Scenario, items: number): RunningChild {
  progress(`${name}: running`);
  return startChild(scenario, { name, cpuProfileDir: context.options.cpuProfileDir, timeoutMs: BASE_TIMEOUT_MS + items * SLOWEST_MS_PER_ITEM });
}

/** Runs a scenario to its end in a child process. */
export function runScenario(context: BenchContext, name: string, scenario: Scenario, items: number): Promise<ChildResult> {
  return startScenario(context, name, scenario, items).result;
}

/** A scenario measured `--repeat` times: the median run, with the highest peak RSS of all and every run's rate. */
export interface Repeated extends ChildResult {
  /** Items per second of each run, in the order they ran: run `i` of every scenario of one call to {@link measureScenarios} ran in round `i`. */
  readonly rates: readonly number[];
}

/** A scenario to measure: named `name` (and its CPU profile), run on a fresh database named `database` when it writes to one. */
export interface Planned {
  readonly name: string;
  readonly items: number;
  readonly database: string | undefined;
  readonly scenario: (url: string) => Scenario;
}

/**
 * Runs each scenario `--repeat` times in rounds: every scenario once per round, in the order
 * given, so that a machine that slows down or speeds up during the run moves a scenario and the
 * baseline it is compared with together (see {@link resultOf}). Each run is a fresh process, on a
 * fresh database when it writes to one. A scenario's median run by time is kept (of two middle
 * runs, the faster), with the highest peak RSS of all its runs: memory is a bound, not an average.
 */
export async function measureScenarios(context: BenchContext, planned: readonly Planned[]): Promise<Repeated[]> {
  const runs: ChildResult[][] = planned.map(() => []);
  const repeat = context.options.repeat;
  for (let round = 1; round <= repeat; round += 1) {
    for (const [index, { name, items, database, scenario }] of planned.entries()) {
      const label = repeat > 1 ? `${name}-${round}` : name;
      runs[index]?.push(database === undefined ? await runScenario(context, label, scenario(""), items) : await withDatabase(context, database, (url) => runScenario(context, label, scenario(url), items)));
    }
  }
  return runs.map((each) => {
    const median = [...each].sort((a, b) => a.seconds - b.seconds)[Math.floor((each.length - 1) / 2)] as ChildResult;
    return { ...median, peakRssKb: Math.max(...each.map((run) => run.peakRssKb)), rates: each.map((run) => run.items / run.seconds) };
  });
}

/**
 * The rate of `rates` against `baseline`'s: when both ran in the same rounds, the median of the
 * ratios within each round (runs a minute apart on a shared machine can differ by more than the
 * scenarios do), with those ratios in round order; otherwise the ratio of the reported rates.
 */
export function ratioOf(perSecond: number, rates: readonly number[], baseline: BenchResult): { readonly ratio: number; readonly byRound?: readonly number[] } {
  const runs = baseline.runs;
  if (rates.length < 2 || runs?.length !== rates.length) return { ratio: perSecond / baseline.perSecond };
  const byRound = rates.map((rate, round) => rate / (runs[round] as number));
  return { ratio: percentile([...byRound].sort((a, b) => a - b), 0.5), byRound };
}

/** `ratio` and `ratioTo` (or the peer's fields) of a row, with the ratio of every round when there were rounds. */
function ratioFields(perSecond: number, rates: readonly number[], baseline: BenchResult, prefix: "ratio" | "peerRatio"): Partial<BenchResult> {
  const { ratio, byRound } = ratioOf(perSecond, rates, baseline);
  if (prefix === "ratio") return { ratio, ratioTo: baseline.tag, ...(byRound ? { ratioRounds: byRound } : {}) };
  return { peerRatio: ratio, peerTo: baseline.tag, ...(byRound ? { peerRatioRounds: byRound } : {}) };
}

/** A row of the report from a child's result: rates over its own measured seconds, ratios as {@link ratioOf} takes them. */
export function resultOf(
  section: SectionName,
  tag: string,
  name: string,
  child: ChildResult | Repeated,
  extra: { readonly unit?: "docs" | "events"; readonly bytes?: number; readonly baseline?: BenchResult | undefined; readonly peer?: BenchResult | undefined; readonly note?: string } = {},
): BenchResult {
  const perSecond = child.items / child.seconds;
  const rates = "rates" in child ? child.rates : [];
  return {
    section,
    tag,
    name,
    items: child.items,
    unit: extra.unit ?? "docs",
    seconds: child.seconds,
    perSecond,
    ...(extra.bytes === undefined ? {} : { mbPerSecond: extra.bytes / MB / child.seconds }),
    peakRssMb: child.peakRssKb / 1024,
    startRssMb: child.startRssKb / 1024,
    ...(extra.baseline && extra.baseline.perSecond > 0 ? ratioFields(perSecond, rates, extra.baseline, "ratio") : {}),
    ...(extra.peer && extra.peer.perSecond > 0 ? ratioFields(perSecond, rates, extra.peer, "peerRatio") : {}),
    ...(extra.note === undefined ? {} : { note: extra.note }),
    ...(rates.length > 1 ? { runs: rates } : {}),
  };
}

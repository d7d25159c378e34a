import { createDatabase, dropDatabase } from "../../test/support/postgres-server.js";
import type { MongoAvailability } from "../mongo-setup.js";
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
  /** Items per second of each run, in the order they ran. */
  readonly rates: readonly number[];
}

/**
 * Runs a scenario `--repeat` times, each in a fresh process (and on a fresh database named
 * `database`, when it writes to one), and keeps the median run by time (of two middle runs, the
 * faster). Peak RSS is the highest of all runs: memory is a bound, not an average.
 */
export async function measureScenario(context: BenchContext, name: string, items: number, database: string | undefined, scenario: (url: string) => Scenario): Promise<Repeated> {
  const runs: ChildResult[] = [];
  const repeat = context.options.repeat;
  for (let attempt = 1; attempt <= repeat; attempt += 1) {
    const label = repeat > 1 ? `${name}-${attempt}` : name;
    runs.push(database === undefined ? await runScenario(context, label, scenario(""), items) : await withDatabase(context, database, (url) => runScenario(context, label, scenario(url), items)));
  }
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)] as ChildResult;
  return { ...median, peakRssKb: Math.max(...runs.map((run) => run.peakRssKb)), rates: runs.map((run) => run.items / run.seconds) };
}

/** A row of the report from a child's result: rates over its own measured seconds. */
export function resultOf(
  section: SectionName,
  tag: string,
  name: string,
  child: ChildResult | Repeated,
  extra: { readonly unit?: "docs" | "events"; readonly bytes?: number; readonly baseline?: BenchResult | undefined; readonly peer?: BenchResult | undefined; readonly note?: string } = {},
): BenchResult {
  const perSecond = child.items / child.seconds;
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
    ...(extra.baseline && extra.baseline.perSecond > 0 ? { ratio: perSecond / extra.baseline.perSecond, ratioTo: extra.baseline.tag } : {}),
    ...(extra.peer && extra.peer.perSecond > 0 ? { peerRatio: perSecond / extra.peer.perSecond, peerTo: extra.peer.tag } : {}),
    ...(extra.note === undefined ? {} : { note: extra.note }),
    ...("rates" in child && child.rates.length > 1 ? { runs: child.rates } : {}),
  };
}

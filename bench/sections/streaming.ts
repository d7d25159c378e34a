import { MongoClient, type Db } from "mongodb";
import { defaultTableName } from "../../src/sinks/postgres/table-naming.js";
import { DocumentGenerator } from "../generated-documents.js";
import { BENCH_DB } from "../mongo-setup.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import type { ChildResult } from "../scenario.js";
import { writeLoad, type WriteLoad, type WriteOutcome } from "../stream-writers.js";
import { appliedRows, untilRow, withTimeout, type Lag } from "./applied-rows.js";
import { startScenario, withDatabase, type BenchContext } from "./context.js";

const PIPELINE = "bench";
/** Written after every writer is done: once its row is in PostgreSQL, so is every change before it. */
const SENTINEL = "sentinel";
const READY_TIMEOUT_MS = 60_000;

/** What one streaming run measured: from the first write to the last change received or applied. */
interface StreamMeasure {
  readonly events: number;
  readonly seconds: number;
  readonly lagMs: Lag;
  readonly child: ChildResult;
  readonly writes: WriteOutcome;
  readonly note?: string;
}

/**
 * Streaming: W writers make E changes (half inserts, half updates, each stamped `writtenAt`)
 * while (r) a bare change stream reader or (t) Tributary's sync into PostgreSQL follows them;
 * first as fast as the writers go, then paced at `--rate` events/s. The rate is E over the time
 * from the first write to the last change received (r) or committed in PostgreSQL (t); lag is
 * per change for r and per row for t (`_synced_at` − `doc.writtenAt`).
 */
export async function streamingSection(context: BenchContext): Promise<SectionOutcome> {
  const { mongo } = context;
  if (!("uri" in mongo)) return { name: "streaming", status: "skipped", reason: mongo.skipped, results: [] };
  const { writers, events, rate, size, distinct } = context.options;
  const client = new MongoClient(mongo.uri);
  await client.connect();
  try {
    const db = client.db(BENCH_DB);
    const generator = new DocumentGenerator(size, distinct);
    const results: BenchResult[] = [];
    for (const paced of [false, true]) {
      const load: WriteLoad = { writers, events, generator, ...(paced ? { rate } : {}) };
      const suffix = paced ? `@${rate}` : "";
      const how = paced ? `paced ${rate}/s` : "unpaced";
      const reader = await bareReader(context, db, load, `stream_reader${paced ? "_paced" : ""}`);
      const bare = row(`r${suffix}`, `bare change stream reader, ${how}`, reader);
      results.push(bare);
      const sync = await tributarySync(context, db, load, `stream_sync${paced ? "_paced" : ""}`);
      results.push(row(`t${suffix}`, `tributary sync, raw, ${how}`, sync, bare));
    }
    return { name: "streaming", status: "ok", results };
  } finally {
    await client.close();
  }
}

function row(tag: string, name: string, measure: StreamMeasure, baseline?: BenchResult): BenchResult {
  const perSecond = measure.events / measure.seconds;
  const { writes } = measure;
  const writeRate = (writes.inserts + writes.updates) / ((writes.endedAt - writes.startedAt) / 1000);
  return {
    section: "streaming",
    tag,
    name,
    items: measure.events,
    unit: "events",
    seconds: measure.seconds,
    perSecond,
    peakRssMb: measure.child.peakRssKb / 1024,
    startRssMb: measure.child.startRssKb / 1024,
    ...(baseline ? { ratio: perSecond / baseline.perSecond, ratioTo: baseline.tag } : {}),
    lagMs: measure.lagMs,
    note: [`writers: ${writes.inserts} inserts + ${writes.updates} updates at ${writeRate.toFixed(0)}/s`, measure.note].filter(Boolean).join("; "),
  };
}

/** A fresh collection (created before anything watches it, so that its creation is no event). */
async function freshCollection(db: Db, name: string): Promise<void> {
  await db.collection(name).drop().catch(() => undefined);
  await db.createCollection(name);
}

async function bareReader(context: BenchContext, db: Db, load: WriteLoad, collection: string): Promise<StreamMeasure> {
  await freshCollection(db, collection);
  const mongoUri = "uri" in context.mongo ? context.mongo.uri : "";
  const child = startScenario(context, collection, { kind: "change-reader", mongoUri, namespace: `${BENCH_DB}.${collection}`, events: load.events }, load.events);
  let writes: WriteOutcome;
  let result: ChildResult;
  try {
    await withTimeout(child.ready, READY_TIMEOUT_MS, "the change stream reader to start");
    writes = await writeLoad(db.collection(collection), load);
    result = await child.result;
  } catch (error) {
    // The reader would wait for changes that never come.
    child.kill();
    await child.result.catch(() => undefined);
    throw error;
  }
  const { lastEventAt = 0, lagP50 = 0, lagP99 = 0, lagMax = 0 } = result.detail;
  return { events: result.items, seconds: (lastEventAt - writes.startedAt) / 1000, lagMs: { p50: lagP50, p99: lagP99, max: lagMax }, child: result, writes };
}

async function tributarySync(context: BenchContext, db: Db, load: WriteLoad, collection: string): Promise<StreamMeasure> {
  await freshCollection(db, collection);
  const mongoUri = "uri" in context.mongo ? context.mongo.uri : "";
  const table = defaultTableName(BENCH_DB, collection);
  return withDatabase(context, collection, async (url) => {
    const child = startScenario(context, collection, { kind: "tributary-sync", url, mongoUri, namespace: `${BENCH_DB}.${collection}`, pipeline: PIPELINE }, load.events);
    try {
      // Streaming from the current time: once the first position is stored, no later write is missed.
      await untilRow(url, "SELECT 1 FROM tributary.positions WHERE pipeline = $1", [PIPELINE], child.result, READY_TIMEOUT_MS, "Tributary to start streaming");
      const writes = await writeLoad(db.collection(collection), load);
      await db.collection<{ _id: string; writtenAt: Date }>(collection).insertOne({ _id: SENTINEL, writtenAt: new Date() });
      await untilRow(url, `SELECT 1 FROM "${table}" WHERE _id = $1`, [SENTINEL], child.result, undefined, "the last change to be applied");
      const applied = await appliedRows(url, table, SENTINEL);
      child.stop();
      const result = await child.result;
      const expected = writes.inserts + writes.updates;
      const seen = applied.rows + applied.updates;
      return {
        events: expected,
        seconds: (applied.lastSyncedMs - writes.startedAt) / 1000,
        lagMs: applied.lagMs,
        child: result,
        writes,
        ...(seen === expected ? {} : { note: `the table reflects ${seen} of ${expected} changes` }),
      };
    } finally {
      child.stop();
      await child.result.catch(() => undefined);
    }
  });
}

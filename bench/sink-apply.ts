// Sink apply: the same insert events applied by the PostgreSQL sink in raw mode, with a mapping
// file and with an inferred mapping, against a bare set-based baseline (raw: one
// jsonb_to_recordset upsert of Extended JSON per batch, in a transaction, nothing else; mapped:
// the mapping file's tables, relational-baseline.ts) and the peer-equivalent baseline
// (peer-baseline.ts); then replace events of documents the tables already hold, against the bare
// statements over rows they already wrote. The streaming write path without MongoDB. Each variant
// runs in a child process of its own (see run-child.ts).

import { benchSink } from "./bench-sink.js";
import { performance } from "node:perf_hooks";
import { BSON, type Document } from "mongodb";
import pg from "pg";
import type { ChangeEvent } from "../src/core/change-event.js";
import type { PostgresSink, PostgresSinkOptions } from "../src/sinks/postgres/postgres-sink.js";
import { makeEvent } from "../test/support/events.js";
import { query } from "../test/support/postgres-sink-fixture.js";
import { realisticDocuments } from "../test/support/realistic-documents.js";
import type { GeneratedSet, SinkApplyVariant, WriteMode } from "./scenario.js";
import { DocumentGenerator } from "./generated-documents.js";
import { GENERATED_NAMESPACE } from "./snapshot-scenarios.js";
import type { Measured } from "./snapshot-scenarios.js";
import { peerStream } from "./peer-baseline.js";
import { relationalBaseline } from "./relational-baseline.js";
import { benchMapping, tableOf } from "./relational-tables.js";
import { pumpDecoded, serializedInserts } from "./pump-scenarios.js";

const NS = "shop.orders";

/**
 * The variants in the order they run and are reported, each with its tag and the tag of the
 * baseline its ratio is taken against (always one that runs before it): the bare baselines of
 * the raw table (`s0`) and of the mapping file's tables (`s0R`, relational-baseline.ts), the
 * peer-equivalent baseline (one change per transaction), then the sink in batches of `--batch`,
 * and with the mapping file fed by the pump from change events decoded from BSON (reading a
 * single change ahead, then a batch: pump-scenarios.ts); then the same over tables that hold every document already (the bare statements again, the
 * sink with replace events); then the sink with one change per transaction (`single`, on fewer
 * documents: see {@link SINGLE_CHANGE_DOCS}), against the peer only; the last of them after a
 * first batch of {@link BURST} changes, as a stream that starts on a backlog and then trickles.
 */
export const SINK_APPLY_VARIANTS: readonly {
  readonly variant: SinkApplyVariant;
  readonly tag: string;
  readonly name: string;
  readonly against?: string;
  readonly single?: boolean;
}[] = [
  { variant: "baseline", tag: "s0", name: "bare: jsonb_to_recordset upsert per batch" },
  { variant: "baseline-relational", tag: "s0R", name: "bare: parent upsert, child delete and insert per batch", against: "s0" },
  { variant: "peer", tag: "p", name: "peer: row-at-a-time upserts, 1 change/transaction", single: true },
  { variant: "raw", tag: "raw", name: "tributary sink, raw mode", against: "s0" },
  { variant: "mapping", tag: "mapping", name: "tributary sink, mapping file (+ child table)", against: "s0R" },
  { variant: "inferred", tag: "inferred", name: "tributary sink, inferred mapping", against: "s0R" },
  { variant: "mapping-plain-role", tag: "mapping-role", name: "tributary sink, mapping file, a role that keeps key checks", against: "s0R" },
  { variant: "mapping-pump-one-ahead", tag: "pump1", name: "tributary pump reading 1 change ahead, mapping file, events decoded from BSON", against: "mapping" },
  { variant: "mapping-pump", tag: "pump", name: "tributary pump (reads a batch ahead), mapping file, events decoded from BSON", against: "pump1" },
  { variant: "baseline-replace", tag: "s0r", name: "bare: s0 over existing rows" },
  { variant: "baseline-relational-replace", tag: "s0Rr", name: "bare: s0R over existing rows", against: "s0r" },
  { variant: "raw-replace", tag: "raw-replace", name: "tributary sink, raw, replace events", against: "s0r" },
  { variant: "mapping-replace", tag: "mapping-replace", name: "tributary sink, mapping file, replace events", against: "s0Rr" },
  { variant: "inferred-replace", tag: "inferred-replace", name: "tributary sink, inferred mapping, replace events", against: "s0Rr" },
  { variant: "raw-single", tag: "raw-single", name: "tributary sink, raw, 1 change/transaction", single: true },
  { variant: "mapping-single", tag: "mapping-single", name: "tributary sink, mapping file, 1 change/transaction", single: true },
  { variant: "mapping-single-burst", tag: "mapping-single-burst", name: "tributary sink, mapping file, 1 change/transaction after a first batch of 150", single: true },
];

/** One change per transaction runs at about a thousandth of a second each: these many documents at most. */
export const SINGLE_CHANGE_DOCS = 5_000;

/**
 * The untimed first batch of `mapping-single-burst`: fewer changes than go by COPY, so that it is
 * queued the way single changes are, and its statements are the ones the connection prepares.
 */
const BURST = 150;

/**
 * Applies `docs` insert events (realistic documents of about `size` bytes, held in memory and
 * made before the clock starts) in batches of `batch`, the way `variant` says; a `-replace`
 * variant applies them once untimed, then again as replace events. Timed from the first batch to
 * the last commit, after an untimed warm-up ({@link warmUpSize}).
 */
export async function applyInserts(url: string, variant: SinkApplyVariant, docs: number, size: number, batch: number): Promise<Measured> {
  const all = realisticDocuments(docs + warmUpSize(variant, batch), size);
  const documents = all.slice(0, docs);
  const warmUp = all.slice(docs);
  let seconds: number;
  if (variant === "baseline" || variant === "baseline-replace") seconds = await baseline(url, documents, batch, variant === "baseline-replace" ? documents : warmUp);
  else if (variant === "baseline-relational" || variant === "baseline-relational-replace") {
    seconds = await relationalBaseline(url, tableOf(benchMapping(NS, documents), NS), documents, batch, variant === "baseline-relational-replace" ? documents : warmUp);
  } else if (variant === "peer") {
    const table = tableOf(benchMapping(NS, documents), NS);
    const clusterSeconds = Math.floor(Date.now() / 1000);
    await peerStream(url, table, warmUp, clusterSeconds);
    seconds = await peerStream(url, table, documents, clusterSeconds);
  }
  else if (variant === "mapping-pump-one-ahead" || variant === "mapping-pump") seconds = await decodedThroughPump(url, documents, batch, warmUp, variant === "mapping-pump-one-ahead");
  else if (variant === "mapping-plain-role") seconds = await asPlainRole(url, (plain) => throughSink(plain, documents, batch, sinkOptions(variant, documents), { replaces: false, burst: 0, warmUp }));
  else if (isSingle(variant)) {
    // The warm-up goes through a sink of its own, so that the timed sink's connection meets its statements as a new one would (the burst first).
    const options = sinkOptions(variant, documents);
    await throughSink(url, warmUp, 1, options, { replaces: false, burst: 0, warmUp: [] });
    seconds = await throughSink(url, documents, 1, options, { replaces: false, burst: variant.endsWith("-burst") ? BURST : 0, warmUp: [] });
  } else seconds = await throughSink(url, documents, batch, sinkOptions(variant, documents), { replaces: variant.endsWith("-replace"), burst: 0, warmUp });
  return { seconds, items: documents.length };
}

/** Batches of its own documents a batched insert variant writes untimed before the clock starts. */
const WARM_UP_BATCHES = 5;

/** Changes of its own documents a one-change-per-transaction variant writes untimed, on a connection of their own. */
const SINGLE_WARM_UP = 1_000;

/**
 * How many documents a variant writes untimed before the timed ones: {@link WARM_UP_BATCHES}
 * batches for each insert variant in batches (baselines included), {@link SINGLE_WARM_UP} changes
 * for each variant of one change per transaction (the peer included). A stream runs for hours; a
 * bench process for a second or two. Applied batch after batch in one process, the mapping
 * file's first batch of 2000 took 213 ms, the second 98, the third 73, and from the fifth on
 * 60–68 (the compiler had not seen the code yet, the heap was still growing, and the sink created
 * its tables in the first, where the baselines create theirs before the clock); the peer's first
 * 1000 changes ran at 1072 changes/s, the next ones at 1535–1771. The replace variants write every
 * document untimed first anyway.
 */
function warmUpSize(variant: SinkApplyVariant, batch: number): number {
  if (variant.endsWith("-replace")) return 0;
  return isSingle(variant) ? SINGLE_WARM_UP : WARM_UP_BATCHES * batch;
}

function isSingle(variant: SinkApplyVariant): boolean {
  return SINK_APPLY_VARIANTS.some((each) => each.variant === variant && each.single === true);
}

/**
 * `documents` as change events in the server's shape, serialized before the clock, then decoded
 * and applied with the mapping file through the pump, reading a batch ahead or `oneAhead` (see
 * pump-scenarios.ts). The warm-up batches go the same way, untimed.
 */
async function decodedThroughPump(url: string, documents: readonly Document[], batch: number, warmUp: readonly Document[], oneAhead: boolean): Promise<number> {
  const sink = benchSink(url, { mapping: benchMapping(NS, documents) });
  await sink.open();
  try {
    await pumpDecoded(sink, serializedInserts(warmUp), batch, oneAhead);
    return await pumpDecoded(sink, serializedInserts(documents, warmUp.length), batch, oneAhead);
  } finally {
    await sink.close();
  }
}

function sinkOptions(variant: Exclude<SinkApplyVariant, "baseline" | "baseline-replace" | "baseline-relational" | "baseline-relational-replace" | "peer">, documents: readonly Document[]): Partial<PostgresSinkOptions> {
  if (variant === "raw" || variant === "raw-single" || variant === "raw-replace") return {};
  if (variant === "inferred" || variant === "inferred-replace") return { inferMapping: true };
  return { mapping: benchMapping(NS, documents) };
}

/** The role `mapping-plain-role` writes as: not a superuser, so not allowed to set session_replication_role. */
const PLAIN_ROLE = "tributary_bench_plain";

/**
 * Runs `work` with a URL of `url`'s database for a role that may create what the sink creates
 * there but is no superuser: its child rows are inserted with PostgreSQL's foreign key checks
 * (see child-key-checks.ts), as most production roles' are. The role goes afterwards.
 */
async function asPlainRole(url: string, work: (plainUrl: string) => Promise<number>): Promise<number> {
  await query(
    url,
    // One left by a run that was killed owns nothing: its databases were dropped with it.
    `DROP ROLE IF EXISTS ${PLAIN_ROLE};
     CREATE ROLE ${PLAIN_ROLE} LOGIN PASSWORD '${PLAIN_ROLE}';
     DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO ${PLAIN_ROLE}', current_database()); END $$;
     GRANT ALL ON SCHEMA public TO ${PLAIN_ROLE}`,
  );
  try {
    const plain = new URL(url);
    plain.username = PLAIN_ROLE;
    plain.password = PLAIN_ROLE;
    return await work(plain.toString());
  } finally {
    await query(url, `DROP OWNED BY ${PLAIN_ROLE}; DROP ROLE ${PLAIN_ROLE}`);
  }
}

/** `s0` (with `before`, untimed first: the warm-up batches, or for `s0r` every document). */
async function baseline(url: string, documents: readonly Document[], batchSize: number, before: readonly Document[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("CREATE TABLE orders (_id text PRIMARY KEY, doc jsonb NOT NULL)");
    if (before.length > 0) await baselineBatches(client, before, batchSize);
    return await baselineBatches(client, documents, batchSize);
  } finally {
    await client.end();
  }
}

async function baselineBatches(client: pg.Client, documents: readonly Document[], batchSize: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < documents.length; i += batchSize) {
    const rows = documents.slice(i, i + batchSize).map((doc) => ({ id: String(doc._id), doc: BSON.EJSON.serialize(doc) }));
    await client.query("BEGIN");
    await client.query("INSERT INTO orders (_id, doc) SELECT r.id, r.doc FROM jsonb_to_recordset($1::jsonb) AS r(id text, doc jsonb) ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc", [
      JSON.stringify(rows),
    ]);
    await client.query("COMMIT");
  }
  return (performance.now() - started) / 1000;
}

async function throughSink(
  url: string,
  documents: readonly Document[],
  batchSize: number,
  options: Partial<PostgresSinkOptions>,
  { replaces, burst, warmUp }: { replaces: boolean; burst: number; warmUp: readonly Document[] },
): Promise<number> {
  const sink = benchSink(url, options);
  await sink.open();
  try {
    if (burst > 0) await applyBurst(sink, documents.slice(0, burst + 1));
    const changes = (op: ChangeEvent["op"], of: readonly Document[]): ChangeEvent[] => of.map((doc) => makeEvent({ op, ns: NS, id: doc._id, doc }));
    if (warmUp.length > 0) await applyBatches(sink, changes("insert", warmUp), batchSize);
    if (replaces) {
      await applyBatches(sink, changes("insert", documents), batchSize);
      return await applyBatches(sink, changes("replace", documents), batchSize);
    }
    return await applyBatches(sink, changes("insert", documents), batchSize);
  } finally {
    await sink.close();
  }
}

/**
 * Copies of `documents` under other keys, untimed: the first alone (it creates the tables), then
 * the rest as one queued batch (the tables exist), which prepares the statements every later
 * change executes.
 */
async function applyBurst(sink: PostgresSink, documents: readonly Document[]): Promise<void> {
  const events = documents.map((doc, i) => makeEvent({ op: "insert", ns: NS, id: `burst-${i}`, doc: { ...doc, _id: `burst-${i}` } }));
  for (const batch of [events.slice(0, 1), events.slice(1)]) await sink.apply({ events: batch, position: batch.at(-1)!.position });
}

/**
 * Generated documents (see `DocumentGenerator`) applied as insert events in batches of `batch`,
 * each batch made just before it is applied, so that the process holds one batch at a time: what
 * a long stream costs in memory, in raw mode, with the bench's mapping file or with an inferred
 * mapping.
 */
export async function applyGenerated(url: string, set: GeneratedSet, mode: WriteMode, batch: number): Promise<Measured> {
  const generator = new DocumentGenerator(set.size, set.distinct);
  const options = mode === "raw" ? {} : mode === "inferred" ? { inferMapping: true } : { mapping: benchMapping(GENERATED_NAMESPACE, generator.documents(0, set.docs)) };
  const sink = benchSink(url, options);
  await sink.open();
  try {
    const started = performance.now();
    for (let from = 0; from < set.docs; from += batch) {
      const events = [...generator.documents(from, Math.min(from + batch, set.docs))].map((doc, i) => makeEvent({ op: "insert", ns: GENERATED_NAMESPACE, id: doc._id, doc, t: EVENTS_FROM + from + i }));
      await sink.apply({ events, position: events.at(-1)!.position });
    }
    return { seconds: (performance.now() - started) / 1000, items: set.docs };
  } finally {
    await sink.close();
  }
}

/** Cluster time (seconds) of the first generated event: each next one a second later, so that every position is new. */
const EVENTS_FROM = 1_700_000_000;

async function applyBatches(sink: PostgresSink, events: readonly ChangeEvent[], batchSize: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize);
    await sink.apply({ events: batch, position: batch.at(-1)!.position });
  }
  return (performance.now() - started) / 1000;
}

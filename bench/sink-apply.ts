// Sink apply benchmark: the same insert events applied by the PostgreSQL sink in raw mode, with a
// mapping file and with an inferred mapping, against a bare baseline measured in the same run
// (one jsonb_to_recordset INSERT of Extended JSON per batch, in a transaction, nothing else).
// Run: npm run bench -- [--docs 20000] [--batch 2000] [--out bench-results/sink-apply.json]

import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { BSON, type Document } from "mongodb";
import pg from "pg";
import { inferMapping } from "../src/mapping/infer/infer-mapping.js";
import { parseMapping } from "../src/mapping/load-mapping.js";
import { silentLogger } from "../src/observability/logger.js";
import { PostgresSink, type PostgresSinkOptions } from "../src/sinks/postgres/postgres-sink.js";
import { makeEvent } from "../test/support/events.js";
import { createDatabase, startPostgres } from "../test/support/postgres-server.js";
import { realisticDocuments } from "../test/support/realistic-documents.js";

const NS = "shop.orders";

interface Result {
  readonly name: string;
  readonly seconds: number;
  readonly docsPerSecond: number;
  readonly mbPerSecond: number;
  readonly ratioToBaseline: number;
}

const { values } = parseArgs({ options: { docs: { type: "string", default: "20000" }, batch: { type: "string", default: "2000" }, out: { type: "string", default: "bench-results/sink-apply.json" } } });
const docCount = Number(values.docs);
const batchSize = Number(values.batch);

async function baseline(url: string, documents: readonly Document[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("CREATE TABLE orders (_id text PRIMARY KEY, doc jsonb NOT NULL)");
    const started = performance.now();
    for (let i = 0; i < documents.length; i += batchSize) {
      const rows = documents.slice(i, i + batchSize).map((doc) => ({ id: String(doc._id), doc: BSON.EJSON.serialize(doc) }));
      await client.query("BEGIN");
      await client.query("INSERT INTO orders (_id, doc) SELECT r.id, r.doc FROM jsonb_to_recordset($1::jsonb) AS r(id text, doc jsonb) ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc", [JSON.stringify(rows)]);
      await client.query("COMMIT");
    }
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}

async function throughSink(url: string, documents: readonly Document[], options: Partial<PostgresSinkOptions>): Promise<number> {
  const sink = new PostgresSink({ url, schema: "public", checkpointSchema: "tributary", tables: {}, pipeline: "bench", retry: { initialDelayMs: 100, maxDelayMs: 1000 }, logger: silentLogger(), ...options });
  await sink.open();
  try {
    const events = documents.map((doc) => makeEvent({ op: "insert", ns: NS, id: doc._id, doc }));
    const started = performance.now();
    for (let i = 0; i < events.length; i += batchSize) {
      const batch = events.slice(i, i + batchSize);
      await sink.apply({ events: batch, position: batch.at(-1)!.position });
    }
    return (performance.now() - started) / 1000;
  } finally {
    await sink.close();
  }
}

async function main(): Promise<void> {
  const documents = realisticDocuments(docCount);
  const megabytes = documents.reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0) / 1_000_000;
  const server = await startPostgres();
  try {
    const mappingFile = inferMapping(new Map([[NS, documents.slice(0, 1000)]]));
    const mapping = parseMapping("inferred.json", mappingFile, { defaultSchema: "public" });
    const runs: [string, (url: string) => Promise<number>][] = [
      ["baseline: bare jsonb_to_recordset insert", (url) => baseline(url, documents)],
      ["tributary raw mode", (url) => throughSink(url, documents, {})],
      ["tributary mapping file (typed tables + child table)", (url) => throughSink(url, documents, { mapping })],
      ["tributary inferred mapping (inferred from the first batch)", (url) => throughSink(url, documents, { inferMapping: true })],
    ];
    const results: Result[] = [];
    let baselineSeconds = 0;
    for (const [index, [name, run]] of runs.entries()) {
      const seconds = await run(await createDatabase(server.url, `bench_sink_${index}`));
      if (index === 0) baselineSeconds = seconds;
      results.push({ name, seconds, docsPerSecond: docCount / seconds, mbPerSecond: megabytes / seconds, ratioToBaseline: baselineSeconds / seconds });
    }
    process.stdout.write(`\n${docCount} documents (${megabytes.toFixed(1)} MB of BSON, ${(megabytes * 1000 / docCount).toFixed(2)} KB each), batches of ${batchSize}\n\n`);
    process.stdout.write(`${"run".padEnd(60)} ${"docs/s".padStart(9)} ${"MB/s".padStart(7)} ${"× baseline".padStart(11)}\n`);
    for (const result of results) {
      process.stdout.write(`${result.name.padEnd(60)} ${result.docsPerSecond.toFixed(0).padStart(9)} ${result.mbPerSecond.toFixed(2).padStart(7)} ${result.ratioToBaseline.toFixed(2).padStart(11)}\n`);
    }
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, `${JSON.stringify({ docs: docCount, batch: batchSize, megabytes, results }, null, 2)}\n`);
    process.stdout.write(`\nwritten to ${values.out}\n`);
  } finally {
    await server.stop();
  }
}

await main();

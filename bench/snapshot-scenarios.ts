import { benchSink } from "./bench-sink.js";
import { performance } from "node:perf_hooks";
import { MongoClient } from "mongodb";
import pg from "pg";
import { validateConfig } from "../src/config/load-config.js";
import { silentLogger } from "../src/core/logger.js";
import { NamespaceFilter } from "../src/core/namespace-filter.js";
import type { PostgresSinkOptions } from "../src/sinks/postgres/postgres-sink.js";
import { defaultTableName } from "../src/sinks/postgres/table-naming.js";
import { MongoSnapshotSource } from "../src/source/mongo-snapshot-source.js";
import type { SnapshotSettings } from "../src/snapshot/snapshot-runner.js";
import { runSnapshot } from "../src/snapshot/snapshot-runner.js";
import type { SnapshotSource } from "../src/core/snapshot-contract.js";
import { splitNamespace } from "../src/core/change-event.js";
import { connectMongo } from "../src/source/mongo-connection.js";
import { bareCopy } from "./bare-copy.js";
import { DocumentGenerator } from "./generated-documents.js";
import { GeneratedSnapshotSource } from "./generated-snapshot-source.js";
import type { GeneratedSet, WriteMode } from "./scenario.js";
import { benchMapping, tableOf } from "./relational-tables.js";

/** The namespace of the generated collection. */
export const GENERATED_NAMESPACE = "bench.orders";

/** What a scenario measured; the child adds the memory figures. */
export interface Measured {
  readonly seconds: number;
  readonly items: number;
  readonly detail?: Readonly<Record<string, number>>;
}

/** The product's snapshot defaults (chunk and range sizes), as a config without `snapshot` gets them. */
export function defaultSnapshotSettings(parallelism: number): SnapshotSettings {
  const { snapshot } = validateConfig({ source: { uri: "mongodb://localhost" }, target: { url: "postgres://localhost/bench" } });
  return { mode: "initial", parallelism, chunkSize: snapshot.chunkSize, rangeSize: snapshot.rangeSize };
}

/** The generated source read range by range with the product's chunking, written nowhere. */
export async function readGenerated(set: GeneratedSet): Promise<Measured> {
  const source = new GeneratedSnapshotSource(GENERATED_NAMESPACE, set.docs, new DocumentGenerator(set.size, set.distinct));
  const settings = defaultSnapshotSettings(1);
  const signal = new AbortController().signal;
  const started = performance.now();
  let items = 0;
  const ranges = await source.planRanges(GENERATED_NAMESPACE, Math.ceil(set.docs / settings.rangeSize));
  for (const range of ranges) for await (const chunk of source.readRange(GENERATED_NAMESPACE, range, settings.chunkSize, signal)) items += chunk.length;
  return { seconds: (performance.now() - started) / 1000, items };
}

export async function copyGenerated(url: string, set: GeneratedSet): Promise<Measured> {
  const generator = new DocumentGenerator(set.size, set.distinct);
  const started = performance.now();
  const items = await bareCopy(url, generator.documents(0, set.docs));
  return { seconds: (performance.now() - started) / 1000, items };
}

export function snapshotGenerated(url: string, set: GeneratedSet, parallelism: number, mode: WriteMode = "raw"): Promise<Measured> {
  const generator = new DocumentGenerator(set.size, set.distinct);
  const source = new GeneratedSnapshotSource(GENERATED_NAMESPACE, set.docs, generator);
  if (mode === "raw") return tributarySnapshot(url, source, GENERATED_NAMESPACE, parallelism);
  // The sink infers the mapping from the first chunk's documents; its table takes the collection's name.
  if (mode === "inferred") return tributarySnapshot(url, source, GENERATED_NAMESPACE, parallelism, { options: { inferMapping: true }, table: splitNamespace(GENERATED_NAMESPACE).coll });
  const mapping = benchMapping(GENERATED_NAMESPACE, generator.documents(0, set.docs));
  return tributarySnapshot(url, source, GENERATED_NAMESPACE, parallelism, { options: { mapping }, table: tableOf(mapping, GENERATED_NAMESPACE).table });
}

/** The bare MongoDB baseline: one `find()` cursor, default BSON options, batches of 1000 → bare COPY. */
export async function copyFromMongo(url: string, mongoUri: string, namespace: string): Promise<Measured> {
  const client = new MongoClient(mongoUri);
  await client.connect();
  try {
    const { db, coll } = splitNamespace(namespace);
    const started = performance.now();
    const items = await bareCopy(url, client.db(db).collection(coll).find({}, { batchSize: 1_000 }));
    return { seconds: (performance.now() - started) / 1000, items };
  } finally {
    await client.close();
  }
}

export async function snapshotFromMongo(url: string, mongoUri: string, namespace: string, parallelism: number): Promise<Measured> {
  const deployment = await connectMongo(mongoUri, { serverSelectionTimeoutMs: 10_000 });
  try {
    const source = new MongoSnapshotSource(deployment, { filter: new NamespaceFilter([namespace], []), include: [namespace] });
    return await tributarySnapshot(url, source, namespace, parallelism);
  } finally {
    await deployment.client.close();
  }
}

/**
 * Tributary's snapshot as the sync runs it: a raw-mode PostgreSQL sink (or one with a mapping file or an inferred mapping), its snapshot target with
 * `parallelism` connections, `runSnapshot` with the product's chunk and range sizes. Timed
 * from the first step of the snapshot (planning) to its end (every range done, the collection
 * marked complete); the sink's own setup is not counted. The rows are counted afterwards.
 */
async function tributarySnapshot(url: string, source: SnapshotSource, namespace: string, parallelism: number, relational?: { options: Partial<PostgresSinkOptions>; table: string }): Promise<Measured> {
  const sink = benchSink(url, relational?.options);
  await sink.open();
  const target = sink.snapshotTarget(parallelism);
  let seconds: number;
  let items: number;
  try {
    const started = performance.now();
    const outcome = await runSnapshot(source, target, { ...defaultSnapshotSettings(parallelism), logger: silentLogger(), signal: new AbortController().signal });
    seconds = (performance.now() - started) / 1000;
    items = outcome.documents;
    if (!outcome.complete) throw new Error(`the snapshot of ${namespace} did not complete`);
  } finally {
    await target.close();
    await sink.close();
  }
  const { db, coll } = splitNamespace(namespace);
  return { seconds, items, detail: { rows: await countRows(url, relational?.table ?? defaultTableName(db, coll)) } };
}

async function countRows(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM "${table}"`);
    return Number(result.rows[0]?.rows ?? 0);
  } finally {
    await client.end();
  }
}

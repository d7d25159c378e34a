import { MongoClient } from "mongodb";
import { redactSecrets } from "../src/core/redact.js";
import { splitNamespace } from "../src/core/change-event.js";
import { describeMongoUnavailable, startMongoReplicaSet } from "../test/support/mongodb-server.js";
import type { DocumentGenerator } from "./generated-documents.js";

/** The database the MongoDB sections write to. */
export const BENCH_DB = "tributary_bench";

export type MongoAvailability = { readonly uri: string; readonly version: string; stop(): Promise<void> } | { readonly skipped: string };

/**
 * A MongoDB replica set for the bench, found as the tests find one: `uri` (from
 * `--mongodb-uri` or TRIBUTARY_TEST_MONGODB_URI), else mongodb-memory-server (MONGOMS_SYSTEM_BINARY,
 * its cache or a download). None is not an error: the MongoDB sections are then skipped, with the
 * reason in the results.
 */
export async function findMongo(uri: string | undefined): Promise<MongoAvailability> {
  try {
    if (uri === undefined) return await startMongoReplicaSet();
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
    try {
      await client.connect();
      const info = await client.db("admin").command({ buildInfo: 1 });
      return { uri, version: typeof info.version === "string" ? info.version : "unknown", stop: async () => undefined };
    } finally {
      await client.close();
    }
  } catch (error) {
    return { skipped: `no MongoDB replica set: ${redactSecrets(describeMongoUnavailable(error))}` };
  }
}

interface LoadRecord {
  _id: string;
  docs: number;
  size: number;
  distinct: number;
  bytes: number;
}

/**
 * Fills `namespace` with generated documents `0 .. docs - 1` by `insertMany` in batches of
 * 1,000 (not timed), unless an earlier run left exactly that there (recorded in
 * `tributary_bench.bench_loads`). Returns the BSON bytes of the documents.
 */
export async function loadCollection(uri: string, namespace: string, docs: number, generator: DocumentGenerator, settings: { size: number; distinct: number }): Promise<{ bytes: number; reused: boolean }> {
  const client = new MongoClient(uri);
  await client.connect();
  try {
    const { db, coll } = splitNamespace(namespace);
    const collection = client.db(db).collection(coll);
    const loads = client.db(BENCH_DB).collection<LoadRecord>("bench_loads");
    const record = await loads.findOne({ _id: namespace });
    if (record && record.docs === docs && record.size === settings.size && record.distinct === settings.distinct && (await collection.countDocuments()) === docs) {
      return { bytes: record.bytes, reused: true };
    }
    await loads.deleteOne({ _id: namespace });
    await collection.drop().catch(() => undefined);
    const bytes = generator.totalBytes(docs);
    for (let from = 0; from < docs; from += 1_000) await collection.insertMany([...generator.documents(from, Math.min(docs, from + 1_000))], { ordered: false });
    await loads.insertOne({ _id: namespace, docs, size: settings.size, distinct: settings.distinct, bytes });
    return { bytes, reused: false };
  } finally {
    await client.close();
  }
}

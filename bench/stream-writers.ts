import { setTimeout as sleep } from "node:timers/promises";
import { Int32, type Collection, type Document, type ObjectId } from "mongodb";
import type { DocumentGenerator } from "./generated-documents.js";

/** The streaming workload: W writers, E events in all, half inserts and half updates. */
export interface WriteLoad {
  readonly writers: number;
  readonly events: number;
  /** Total events/s the writers keep to; as fast as they can without it. */
  readonly rate?: number;
  readonly generator: DocumentGenerator;
}

export interface WriteOutcome {
  /** Epoch milliseconds just before the first write. */
  readonly startedAt: number;
  /** Epoch milliseconds once every write was acknowledged. */
  readonly endedAt: number;
  readonly inserts: number;
  readonly updates: number;
}

/** Writers' `_id`s are far apart, so that no two writers touch the same document. */
const IDS_PER_WRITER = 100_000_000;

/**
 * Runs the workload against `collection`: each writer alternates between inserting a new
 * realistic document and updating one of its earlier ones (a `$set` and an `$inc`), one write
 * in flight at a time. Every write sets `writtenAt` to the writer's clock just before it is
 * sent, which is what end-to-end lag is measured from; `revision` counts a document's updates,
 * so that the target can tell that every update arrived.
 */
export async function writeLoad(collection: Collection, load: WriteLoad): Promise<WriteOutcome> {
  const startedAt = Date.now();
  const counts = await Promise.all(
    Array.from({ length: load.writers }, (_, writer) => {
      const events = Math.floor(load.events / load.writers) + (writer < load.events % load.writers ? 1 : 0);
      return runWriter(collection, load, writer, events, startedAt);
    }),
  );
  return {
    startedAt,
    endedAt: Date.now(),
    inserts: counts.reduce((sum, count) => sum + count.inserts, 0),
    updates: counts.reduce((sum, count) => sum + count.updates, 0),
  };
}

async function runWriter(collection: Collection, load: WriteLoad, writer: number, events: number, startedAt: number): Promise<{ inserts: number; updates: number }> {
  const inserted: ObjectId[] = [];
  let updates = 0;
  // Paced: write k of this writer is due k intervals after the start (late writes are not made up by bursts beyond the pace).
  const interval = load.rate === undefined ? 0 : (load.writers * 1000) / load.rate;
  for (let k = 0; k < events; k += 1) {
    if (interval > 0) {
      const due = startedAt + k * interval - Date.now();
      if (due > 0) await sleep(due);
    }
    if (k % 2 === 0 || inserted.length === 0) {
      const doc: Document = { ...load.generator.document(writer * IDS_PER_WRITER + inserted.length), revision: new Int32(0), writtenAt: new Date() };
      await collection.insertOne(doc);
      inserted.push(doc._id as ObjectId);
    } else {
      const _id = inserted[Math.floor(Math.random() * inserted.length)];
      await collection.updateOne({ _id }, { $set: { status: "updated", writtenAt: new Date() }, $inc: { revision: 1 } });
      updates += 1;
    }
  }
  return { inserts: inserted.length, updates };
}

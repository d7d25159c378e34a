import { Binary, Long, Timestamp, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { Batch } from "../../../src/core/sink.js";
import { normalizeChange } from "../../../src/source/normalize-change.js";

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, "0");
const MiB = 1024 * 1024;

/** A resume token as mongod writes it (see batch-transactions.test.ts). */
function token(t: number, i: number, txnOpIndex = 0): { _data: string } {
  const opIndex = txnOpIndex === 0 ? "29" : `2B${hex(txnOpIndex * 2, 2)}`;
  return { _data: `82${hex(t, 8)}${hex(i, 8)}2B042C0100${opIndex}6E5A1004` };
}

const session = { id: new Binary(Buffer.from("00112233445566778899aabbccddeeff", "hex"), 4), uid: new Binary(Buffer.alloc(32)) };

/** An insert as the server emits it, its document `bytes` long or so. */
function insert(id: number, bytes: number, txn?: { txnNumber: number; opIndex: number }): ChangeEvent {
  const raw: Document = {
    _id: token(1_800_000_000, txn ? 1 : id, txn?.opIndex),
    operationType: "insert",
    clusterTime: new Timestamp({ t: 1_800_000_000, i: txn ? 1 : id }),
    wallTime: new Date(1_800_000_000_000),
    ns: { db: "shop", coll: "orders" },
    documentKey: { _id: id },
    fullDocument: { _id: id, body: "x".repeat(bytes) },
    ...(txn ? { lsid: session, txnNumber: Long.fromNumber(txn.txnNumber) } : {}),
  };
  return normalizeChange(raw)!;
}

/** An update as the server emits it without `fullDocument`: what it holds is its update description. */
function update(id: number, bytes: number): ChangeEvent {
  return normalizeChange({
    _id: token(1_800_000_000, id),
    operationType: "update",
    clusterTime: new Timestamp({ t: 1_800_000_000, i: id }),
    ns: { db: "shop", coll: "orders" },
    documentKey: { _id: id },
    updateDescription: { updatedFields: { body: "y".repeat(bytes) }, removedFields: [], truncatedArrays: [] },
  })!;
}

/** The sizes of the batches `events` are cut into (the last one drained). */
function batchSizes(limits: { maxSize: number; maxBytes: number }, events: readonly ChangeEvent[]): number[] {
  const acc = new BatchAccumulator({ ...limits, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000 }, (event) => event, undefined, () => 0);
  const sizes: number[] = [];
  const take = (batch: Batch | undefined): void => {
    if (batch) sizes.push(batch.events.length);
  };
  for (const event of events) take(acc.push({ kind: "event", event }));
  take(acc.drain());
  return sizes;
}

describe("BatchAccumulator and the bytes of a batch", () => {
  it("cuts batches of large documents by their bytes, from the first event on", () => {
    const events = Array.from({ length: 10 }, (_, n) => insert(n + 1, MiB));
    expect(batchSizes({ maxSize: 2_000, maxBytes: 4 * MiB }, events)).toEqual([4, 4, 2]);
  });

  it("leaves batches of small documents to maxSize", () => {
    const events = Array.from({ length: 250 }, (_, n) => insert(n + 1, 100));
    expect(batchSizes({ maxSize: 100, maxBytes: 4 * MiB }, events)).toEqual([100, 100, 50]);
  });

  it("counts what an update without its full document holds", () => {
    const events = Array.from({ length: 6 }, (_, n) => update(n + 1, MiB));
    expect(batchSizes({ maxSize: 2_000, maxBytes: 2 * MiB }, events)).toEqual([2, 2, 2]);
  });

  it("follows a stream whose documents grow, from its next measured event", () => {
    // 64 small events, then large ones: events 1, 33, 65, 97… are measured.
    const events = [...Array.from({ length: 64 }, (_, n) => insert(n + 1, 100)), ...Array.from({ length: 40 }, (_, n) => insert(65 + n, MiB))];
    const sizes = batchSizes({ maxSize: 2_000, maxBytes: 8 * MiB }, events);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(104);
    // The first batch ends soon after the large documents begin, not at maxSize.
    expect(sizes[0]).toBeLessThan(64 + 32);
    expect(sizes.length).toBeGreaterThan(2);
  });

  it("does not cut a MongoDB transaction for its bytes", () => {
    const txn = Array.from({ length: 6 }, (_, n) => insert(n + 1, MiB, { txnNumber: 3, opIndex: n }));
    const after = insert(100, MiB);
    expect(batchSizes({ maxSize: 2_000, maxBytes: 2 * MiB }, [...txn, after])).toEqual([6, 1]);
  });
});

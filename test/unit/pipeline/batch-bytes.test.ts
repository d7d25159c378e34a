import { describe, expect, it } from "vitest";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { Batch } from "../../../src/core/sink.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { serverChange } from "../../support/server-changes.js";

const MiB = 1024 * 1024;

/** An insert as the server emits it, its document `bytes` long or so. */
function insert(id: number, bytes: number, txn?: { txnNumber: number; opIndex: number }, coll = "orders"): ChangeEvent {
  const at = { t: 1_800_000_000, i: txn ? 1 : id, txnOpIndex: txn?.opIndex };
  return serverChange({ operationType: "insert", id, at, txnNumber: txn?.txnNumber, coll, fields: { fullDocument: { _id: id, body: "x".repeat(bytes) } } });
}

/** A replace as the server emits it with its pre-image (`fullDocumentBeforeChange`), each document `bytes` long or so. */
function replaceWithPreImage(id: number, bytes: number): ChangeEvent {
  const fields = { fullDocument: { _id: id, body: "n".repeat(bytes) }, fullDocumentBeforeChange: { _id: id, body: "o".repeat(bytes) } };
  return serverChange({ operationType: "replace", id, at: { t: 1_800_000_000, i: id }, fields });
}

/** An update as the server emits it without `fullDocument`: what it holds is its update description. */
function update(id: number, bytes: number): ChangeEvent {
  const fields = { updateDescription: { updatedFields: { body: "y".repeat(bytes) }, removedFields: [], truncatedArrays: [] } };
  return serverChange({ operationType: "update", id, at: { t: 1_800_000_000, i: id }, fields });
}

/** The batches `events` are cut into (the last one drained). */
function batchesOf(limits: { maxSize: number; maxBytes: number; maxTransactionBytes?: number }, events: readonly ChangeEvent[], accepts: (event: ChangeEvent) => ChangeEvent | undefined = (event) => event): Batch[] {
  const acc = new BatchAccumulator({ ...limits, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000 }, accepts, undefined, () => 0);
  const batches: Batch[] = [];
  const take = (batch: Batch | undefined): void => {
    if (batch) batches.push(batch);
  };
  for (const event of events) take(acc.push({ kind: "event", event }));
  take(acc.drain());
  return batches;
}

function batchSizes(limits: { maxSize: number; maxBytes: number; maxTransactionBytes?: number }, events: readonly ChangeEvent[]): number[] {
  return batchesOf(limits, events).map((batch) => batch.events.length);
}

/** How many of a batch's events hold a document of at least `bytes`. */
const largeIn = (batch: Batch, bytes: number): number => batch.events.filter((event) => (event.doc?.body as string).length >= bytes).length;

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

  it("counts a pre-image", () => {
    const events = Array.from({ length: 6 }, (_, n) => replaceWithPreImage(n + 1, MiB / 2));
    expect(batchSizes({ maxSize: 2_000, maxBytes: 2 * MiB }, events)).toEqual([2, 2, 2]);
  });

  it("follows a stream whose documents grow from the first large one measured", () => {
    // 2000 small changes, then large ones: as 16 MiB documents would be against the default 64 MiB.
    const events = [...Array.from({ length: 2_000 }, (_, n) => insert(n + 1, 100)), ...Array.from({ length: 200 }, (_, n) => insert(2_001 + n, MiB / 4))];
    const batches = batchesOf({ maxSize: 2_000, maxBytes: MiB }, events);
    expect(batches.reduce((sum, batch) => sum + batch.events.length, 0)).toBe(2_200);
    const first = batches.findIndex((batch) => largeIn(batch, MiB / 4) > 0);
    // Until one is measured (at most 63 changes after the switch), large ones join the batch …
    expect(largeIn(batches[first]!, MiB / 4)).toBeLessThanOrEqual(63);
    // … and from then on a batch holds what maxBytes allows, not the 12, 8, 6 times as much of a slow mean.
    for (const batch of batches.slice(first + 1)) expect(largeIn(batch, MiB / 4)).toBeLessThanOrEqual(4);
  });

  it("measures only the changes a batch takes", () => {
    // Large changes of a collection left out, small ones kept: batches stay at maxSize.
    const events = Array.from({ length: 400 }, (_, n) => (n % 2 === 0 ? insert(n + 1, MiB, undefined, "skip") : insert(n + 1, 100)));
    const batches = batchesOf({ maxSize: 100, maxBytes: 4 * MiB }, events, (event) => (event.ns.coll === "skip" ? undefined : event));
    expect(batches.map((batch) => batch.events.length)).toEqual([100, 100]);
  });

  it("does not cut a MongoDB transaction for maxBytes", () => {
    const txn = Array.from({ length: 6 }, (_, n) => insert(n + 1, MiB, { txnNumber: 3, opIndex: n }));
    const after = insert(100, MiB);
    expect(batchSizes({ maxSize: 2_000, maxBytes: 2 * MiB }, [...txn, after])).toEqual([6, 1]);
  });

  it("counts a transaction's bytes exactly: a large change does not make its small ones count as large", () => {
    const txn = [insert(1, MiB, { txnNumber: 4, opIndex: 0 }), ...Array.from({ length: 10 }, (_, n) => insert(n + 2, 100, { txnNumber: 4, opIndex: n + 1 }))];
    expect(batchSizes({ maxSize: 2_000, maxBytes: MiB, maxTransactionBytes: 4 * MiB }, [...txn, insert(100, 100)])).toEqual([11, 1]);
  });

  it("counts a transaction's bytes exactly: sparse large changes the samples may miss count", () => {
    // 200 small changes, every 30th from the 60th on a large one: the 4th large one (index 150) reaches 4 MiB.
    const txn = Array.from({ length: 200 }, (_, n) => insert(n + 1, n >= 60 && n % 30 === 0 ? MiB : 100, { txnNumber: 5, opIndex: n }));
    const sizes = batchSizes({ maxSize: 10, maxBytes: 64 * MiB, maxTransactionBytes: 4 * MiB }, txn);
    expect(sizes[0]).toBe(151);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(200);
  });

  it("cuts a transaction that outgrows maxTransactionBytes, saying so once", () => {
    const { logger, lines } = capturingLogger();
    const acc = new BatchAccumulator({ maxSize: 2_000, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000, maxBytes: 2 * MiB, maxTransactionBytes: 4 * MiB }, (event) => event, undefined, () => 0, logger);
    const sizes = Array.from({ length: 10 }, (_, n) => insert(n + 1, MiB, { txnNumber: 3, opIndex: n }))
      .map((event) => acc.push({ kind: "event", event }))
      .flatMap((batch) => (batch ? [batch.events.length] : []));
    // A little over 1 MiB a change: at 4 changes the transaction's batch has reached 4 MiB.
    expect(sizes).toEqual([4, 4]);
    expect(acc.drain()?.events).toHaveLength(2);
    const warnings = lines.filter((line) => String(line.msg).includes("batch.maxTransactionBytes"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ txnNumber: "3", events: 4, maxTransactionBytes: 4 * MiB });
  });
});

import { describe, expect, it } from "vitest";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { Batch } from "../../../src/core/sink.js";
import { makePosition } from "../../../src/core/position.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { serverChange, serverToken } from "../../support/server-changes.js";

/** An insert as the server emits it; inside a transaction every event has the commit's cluster time. */
function insert(id: number, at: { t: number; i: number; txnOpIndex?: number }, txnNumber?: number): ChangeEvent {
  return serverChange({ operationType: "insert", id, at, txnNumber, fields: { fullDocument: { _id: id } } });
}

/** The events of one transaction committed at (t, i): txnOpIndex 0, 1, … */
function transaction(firstId: number, count: number, t: number, i: number, txnNumber: number): ChangeEvent[] {
  return Array.from({ length: count }, (_, index) => insert(firstId + index, { t, i, txnOpIndex: index }, txnNumber));
}

const ids = (batch: Batch | undefined): unknown[] | undefined => batch?.events.map((event) => event.key?._id);
const limits = { maxSize: 2, maxLatencyMs: 1_000, idleCommitIntervalMs: 10_000 };

describe("BatchAccumulator and MongoDB transactions", () => {
  it("keeps a transaction's events in one batch past the size limit, and cuts before the next change", () => {
    const acc = new BatchAccumulator(limits, (event) => event, undefined, () => 0);
    for (const event of transaction(1, 4, 1_800_000_000, 3, 7)) expect(acc.push({ kind: "event", event })).toBeUndefined();
    expect(ids(acc.push({ kind: "event", event: insert(5, { t: 1_800_000_000, i: 4 }) }))).toEqual([1, 2, 3, 4]);
  });

  it("does not cut when caught up at the transaction's own cluster time (mongos between two shards' parts)", () => {
    const acc = new BatchAccumulator(limits, (event) => event, undefined, () => 0);
    const [first, second] = transaction(1, 2, 1_800_000_000, 3, 7);
    acc.push({ kind: "event", event: first! });
    // The post-batch resume token mongos reports while a shard's part is still to come.
    expect(acc.push({ kind: "caughtUp", position: makePosition(serverToken(1_800_000_000, 3)) })).toBeUndefined();
    acc.push({ kind: "event", event: second! });
    const batch = acc.push({ kind: "caughtUp", position: makePosition(serverToken(1_800_000_000, 5)) });
    expect(ids(batch)).toEqual([1, 2]);
  });

  it("keeps the transaction open across another change of the same cluster time (shards merged by mongos)", () => {
    const acc = new BatchAccumulator({ ...limits, maxSize: 1 }, (event) => event, undefined, () => 0);
    const [a0, a1] = transaction(1, 2, 1_800_000_000, 3, 7);
    acc.push({ kind: "event", event: a0! });
    // Another shard's write that happened to get the same cluster time.
    expect(acc.push({ kind: "event", event: insert(50, { t: 1_800_000_000, i: 3 }) })).toBeUndefined();
    expect(acc.push({ kind: "event", event: a1! })).toBeUndefined();
    expect(ids(acc.push({ kind: "event", event: insert(60, { t: 1_800_000_001, i: 1 }) }))).toEqual([1, 50, 2]);
  });

  it("cuts batched writes without a session: they are not a transaction", () => {
    const acc = new BatchAccumulator({ ...limits, maxSize: 1 }, (event) => event, undefined, () => 0);
    acc.push({ kind: "event", event: insert(1, { t: 1_800_000_000, i: 3, txnOpIndex: 0 }) });
    expect(ids(acc.push({ kind: "event", event: insert(2, { t: 1_800_000_000, i: 3, txnOpIndex: 1 }) }))).toEqual([1]);
  });

  it("cuts a transaction that outgrows maxTransactionEvents, saying so once", () => {
    const { logger, lines } = capturingLogger();
    const acc = new BatchAccumulator({ ...limits, maxTransactionEvents: 3 }, (event) => event, undefined, () => 0, logger);
    const batches = transaction(1, 7, 1_800_000_000, 3, 7)
      .map((event) => acc.push({ kind: "event", event }))
      .filter((batch) => batch !== undefined);
    expect(batches.map(ids)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const warnings = lines.filter((line) => String(line.msg).includes("maxTransactionEvents"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ lsid: "00112233445566778899aabbccddeeff", txnNumber: "7", events: 3, maxTransactionEvents: 3 });
  });
});

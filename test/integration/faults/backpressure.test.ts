// A slow target and a huge MongoDB transaction, through the pump that runSync uses, from a
// source that never waits: what is read but not yet applied stays bounded (while a batch is
// applied, at most one batch more is read ahead), and a transaction is applied in one PostgreSQL transaction
// (a reader never sees part of it). Each test prints its figures, heap included.

import { beforeAll, describe, expect, it } from "vitest";
import type { ChangeEvent, SourceItem } from "../../../src/core/change-event.js";
import { silentLogger } from "../../../src/core/logger.js";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import { PipelineStats } from "../../../src/pipeline/pipeline-stats.js";
import { pumpChanges } from "../../../src/runtime/pump-changes.js";
import { readAheadLimits } from "../../../src/pipeline/read-ahead.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, observedSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { syntheticEvent, syntheticFinalState } from "../../support/synthetic-stream.js";

/** Pumps `events` into the PostgreSQL sink at `url`, counting what was read and not yet applied. */
async function pump(url: string, pipeline: string, events: Iterable<ChangeEvent>, maxSize: number): Promise<{ maxInFlight: number; maxHeapMb: number; batchSizes: number[]; ms: number }> {
  const target = makeSink(url, { pipeline });
  let read = 0;
  let applied = 0;
  let maxInFlight = 0;
  let maxHeap = 0;
  const batchSizes: number[] = [];
  async function* source(): AsyncGenerator<SourceItem> {
    for (const event of events) {
      read += 1;
      maxInFlight = Math.max(maxInFlight, read - applied);
      yield { kind: "event", event };
    }
  }
  const counting = observedSink(target, (batch) => {
    applied += batch.events.length;
    batchSizes.push(batch.events.length);
    maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
  });
  await counting.open();
  const startedAt = Date.now();
  const accumulator = new BatchAccumulator({ maxSize, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000 }, (event) => event);
  await pumpChanges(() => source(), accumulator, counting, { signal: new AbortController().signal, readAhead: readAheadLimits({ maxSize }), stats: new PipelineStats(), logger: silentLogger() });
  await counting.close();
  return { maxInFlight, maxHeapMb: Math.round(maxHeap / 1_048_576), batchSizes, ms: Date.now() - startedAt };
}

describe("backpressure", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "fault_backpressure");
  });

  it("a slow target: what is read and not applied stays within two batches, the one applied and the one read ahead", { timeout: 120_000 }, async () => {
    const total = 10_000;
    const maxSize = 200;
    // Every statement on the table takes 30 ms more: the target is far slower than the source.
    await query(
      url,
      `CREATE TABLE public.crash_synthetic (_id text PRIMARY KEY, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
       CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.03); RETURN NULL; END $$;
       CREATE TRIGGER slow AFTER INSERT OR UPDATE OR DELETE ON public.crash_synthetic FOR EACH STATEMENT EXECUTE FUNCTION slow();`,
    );
    const events = (function* () {
      for (let k = 1; k <= total; k += 1) yield syntheticEvent(k);
    })();
    const outcome = await pump(url, "slow", events, maxSize);
    console.log(
      `[faults] slow target (30 ms per statement): ${total} changes in ${outcome.batchSizes.length} batches, ${outcome.ms} ms; at most ${outcome.maxInFlight} changes read and not applied; heap at most ${outcome.maxHeapMb} MB`,
    );
    expect(outcome.maxInFlight).toBeLessThanOrEqual(2 * maxSize + 1);
    const rows = await query<{ _id: string; k: number }>(url, "SELECT _id, (doc->>'k')::int AS k FROM public.crash_synthetic");
    expect(new Map(rows.map((row) => [row._id, row.k]))).toEqual(syntheticFinalState(total));
  });

  it("a huge transaction: applied at once, in one batch, with no more read than its batch and one batch ahead", { timeout: 120_000 }, async () => {
    const size = 20_000;
    const maxSize = 500;
    // More changes after the transaction than may be read ahead while it is applied.
    const after = 4 * maxSize;
    const txn = { lsid: "c1d2e3f4-0000-4000-8000-000000000001", txnNumber: "7" };
    // As the server emits a transaction: one cluster time (its commit entry) for every event.
    const first = makeEvent({ op: "insert", ns: "fault.huge", id: "txn-0", doc: { _id: "txn-0" }, txn, t: 1_700_100_000 });
    const events = (function* () {
      for (let i = 0; i < 300; i += 1) yield makeEvent({ op: "insert", ns: "fault.huge", id: `before-${i}`, doc: { _id: `before-${i}` }, t: 1_700_099_999 });
      yield first;
      for (let i = 1; i < size; i += 1) {
        yield { ...makeEvent({ op: "insert", ns: "fault.huge", id: `txn-${i}`, doc: { _id: `txn-${i}`, i }, txn }), clusterTime: first.clusterTime };
      }
      for (let i = 0; i < after; i += 1) yield makeEvent({ op: "insert", ns: "fault.huge", id: `after-${i}`, doc: { _id: `after-${i}` }, t: 1_700_100_001 });
    })();
    // A reader polls the transaction's rows while it is applied: it must see none or all.
    const seen = new Set<number>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const [row] = await query<{ n: string }>(url, "SELECT count(*) AS n FROM public.fault_huge WHERE _id LIKE 'txn-%'").catch(() => [{ n: "0" }]);
        seen.add(Number(row?.n));
      }
    })();
    const outcome = await pump(url, "huge", events, maxSize);
    reading = false;
    await reader;
    console.log(
      `[faults] a transaction of ${size} changes (batch.maxSize ${maxSize}): batches ${outcome.batchSizes.filter((n) => n > maxSize).join(", ")} above maxSize, ${outcome.batchSizes.length} in all, ${outcome.ms} ms; ` +
        `at most ${outcome.maxInFlight} changes read and not applied; heap at most ${outcome.maxHeapMb} MB; a reader saw ${[...seen].sort((a, b) => a - b).join(" or ")} of its rows`,
    );
    expect(outcome.batchSizes.filter((n) => n > maxSize)).toHaveLength(1);
    expect(outcome.batchSizes.find((n) => n > maxSize)).toBeGreaterThanOrEqual(size);
    // Its batch (the 300 before it and itself), the change that closed it, one batch read ahead.
    expect(outcome.maxInFlight).toBeLessThanOrEqual(300 + size + 1 + maxSize);
    expect([...seen].every((n) => n === 0 || n === size)).toBe(true);
    const [count] = await query<{ n: string }>(url, "SELECT count(*) AS n FROM public.fault_huge");
    expect(Number(count?.n)).toBe(300 + size + after);
  });
});

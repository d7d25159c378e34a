import { describe, expect, it } from "vitest";
import type { SourceItem } from "../../../src/core/change-event.js";
import { silentLogger } from "../../../src/core/logger.js";
import { sleep } from "../../../src/core/retry.js";
import type { Sink, StreamBatch } from "../../../src/core/sink.js";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import { PipelineStats } from "../../../src/pipeline/pipeline-stats.js";
import { readAheadLimits } from "../../../src/pipeline/read-ahead.js";
import { pumpChanges } from "../../../src/runtime/pump-changes.js";
import { makeEvent } from "../../support/events.js";

const insert = (i: number): SourceItem => ({ kind: "event", event: makeEvent({ op: "insert", ns: "pump.items", id: `k${i}`, doc: { _id: `k${i}` }, t: 1_700_000_000 + i }) });

/** A sink that records the batches it is given and takes `applyMs` over each. */
function recordingSink(applyMs: number, onApplied: (batch: StreamBatch) => void): Sink {
  return {
    name: "recording",
    transactional: true,
    open: () => Promise.resolve(undefined),
    close: () => Promise.resolve(),
    apply: async (batch) => {
      await sleep(applyMs);
      onApplied(batch as StreamBatch);
    },
  };
}

describe("pumpChanges", () => {
  it("on a stop, applies the batch in flight and what it had taken, not what was read ahead", async () => {
    const stop = new AbortController();
    const applied: string[] = [];
    let afterStop = 0;
    const source = async function* (signal: AbortSignal): AsyncGenerator<SourceItem> {
      for (let i = 0; i < 1_000 && !signal.aborted; i += 1) yield insert(i);
    };
    const sink = recordingSink(20, (batch) => {
      if (stop.signal.aborted) afterStop += batch.events.length;
      applied.push(...batch.events.map((event) => String(event.key?._id)));
      // Stopped while the first batch is applied, with the next ten read ahead by then.
      if (applied.length === 10) stop.abort();
    });
    const accumulator = new BatchAccumulator({ maxSize: 10, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000 }, (event) => event);
    await pumpChanges(source, accumulator, sink, { signal: stop.signal, readAhead: readAheadLimits({ maxSize: 10 }), stats: new PipelineStats(), logger: silentLogger() });
    // The first batch, then the one change that closed it, which the accumulator held.
    expect(applied).toEqual(Array.from({ length: 11 }, (_, i) => `k${i}`));
    expect(afterStop).toBe(1);
  });
});

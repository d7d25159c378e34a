import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { silentLogger } from "../../../src/core/logger.js";
import { sleep } from "../../../src/core/retry.js";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import { pumpChanges } from "../../../src/runtime/pump-changes.js";
import { readAheadLimits } from "../../../src/pipeline/read-ahead.js";
import { PipelineStats } from "../../../src/pipeline/pipeline-stats.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { SourceItem } from "../../../src/core/change-event.js";
import type { Batch } from "../../../src/core/sink.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, observedSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

/** What a source did: how many events were pulled from it, and whether it was closed. */
const seen = { pulled: 0, closed: false };

/** A source that yields `events` and then, if given, fails with `failure`. */
async function* source(events: ChangeEvent[], failure?: Error): AsyncGenerator<SourceItem> {
  seen.pulled = 0;
  seen.closed = false;
  try {
    for (const event of events) {
      seen.pulled += 1;
      yield { kind: "event", event };
    }
    if (failure) throw failure;
  } finally {
    // Closing a change stream is a round trip to the server.
    await sleep(20);
    seen.closed = true;
  }
}

const insert = (id: string): ChangeEvent => makeEvent({ op: "insert", ns: "pump.items", id, doc: { _id: id } });

describe("pumpChanges", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "pump_changes");
  });

  /** Runs the pump into the sink of pipeline `name`; `onApplied` is told of each batch once applied. */
  async function run(name: string, events: ChangeEvent[], failure?: Error, onApplied: (batch: Batch) => void = () => undefined): Promise<unknown> {
    const sink = observedSink(makeSink(url, { pipeline: name, schema: name }), onApplied);
    await sink.open();
    const accumulator = new BatchAccumulator({ maxSize: 2, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000 }, (event) => event);
    try {
      await pumpChanges(() => source(events, failure), accumulator, sink, { signal: new AbortController().signal, readAhead: readAheadLimits({ maxSize: 2 }), stats: new PipelineStats(), logger: silentLogger() });
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await sink.close();
    }
  }

  async function state(name: string): Promise<{ ids: string[]; position: string | undefined }> {
    const rows = await query<{ _id: string }>(url, `SELECT _id FROM ${name}.pump_items ORDER BY _id`).catch(() => []);
    const [position] = await query<{ position: string }>(url, "SELECT position FROM tributary.positions WHERE pipeline = $1", [name]);
    return { ids: rows.map((row) => row._id), position: position?.position };
  }

  it("applies what was read before the source failed, then reports the failure", async () => {
    const events = ["a", "b", "c"].map(insert);
    const error = await run("source_fails", events, new Error("stream broke"));
    expect((error as Error).message).toBe("stream broke");
    expect(await state("source_fails")).toEqual({ ids: ["a", "b", "c"], position: events[2]!.position.key });
  });

  it("applies nothing after a batch the sink refused, so the position never passes it", async () => {
    await query(url, "CREATE SCHEMA sink_fails; CREATE TABLE sink_fails.pump_items (_id text PRIMARY KEY CHECK (_id <> 'poison'), doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now())");
    const events = ["a", "b", "poison", ...Array.from({ length: 100 }, (_, i) => `later-${i}`)].map(insert);
    const error = await run("sink_fails", events);
    expect(error).toMatchObject({ code: ErrorCode.PostgresApplyFailed });
    // The source was read ahead of the refused batch (maxSize 2: two batches, the change that
    // closed the second, two read ahead), no further, and was closed before the pump gave up.
    expect(seen.pulled).toBeLessThanOrEqual(7);
    expect(seen.closed).toBe(true);
    expect(await state("sink_fails")).toEqual({ ids: ["a", "b"], position: events[1]!.position.key });
  });

  it("has the next changes read while a batch is applied, at most a batch ahead", async () => {
    const events = Array.from({ length: 40 }, (_, i) => insert(`k${String(i).padStart(2, "0")}`));
    let applied = 0;
    const ahead: number[] = [];
    const error = await run("reads_ahead", events, undefined, (batch) => {
      applied += batch.events.length;
      ahead.push(seen.pulled - applied);
    });
    expect(error).toBeUndefined();
    // maxSize 2: a batch is cut when the change after it arrives, so one change is always read
    // beyond the batch applied; reading ahead adds up to a batch (2) more.
    expect(Math.max(...ahead)).toBe(3);
    expect((await state("reads_ahead")).ids).toHaveLength(40);
  });
});

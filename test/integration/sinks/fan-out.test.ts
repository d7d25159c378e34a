import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.js";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import { pumpChanges } from "../../../src/runtime/pump-changes.js";
import { readAheadLimits } from "../../../src/pipeline/read-ahead.js";
import { SinkFanOut } from "../../../src/runtime/sink-fanout.js";
import { PipelineStats } from "../../../src/pipeline/pipeline-stats.js";
import { buildSink } from "../../../src/runtime/sink-resolver.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { SourceItem } from "../../../src/core/change-event.js";
import { comparePositions, type Position } from "../../../src/core/position.js";
import { makeEvent } from "../../support/events.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

const FIXTURES = resolve("test/fixtures/sinks");

interface RecordingModule {
  received: Map<string, { batches: { ids: unknown[]; position: string }[] }>;
}

/** The stream as a change stream would replay it: the events after `from`. */
async function* replay(events: readonly ChangeEvent[], from: Position | undefined): AsyncGenerator<SourceItem> {
  for (const event of events) if (!from || comparePositions(event.position, from) > 0) yield { kind: "event", event };
}

describe("several sinks on one stream", () => {
  let url: string;
  const events = ["a", "b", "c", "d", "e"].map((id) => makeEvent({ op: "insert", ns: "fan.items", id, doc: { _id: id } }));
  const recorderPositions = new MemoryResumePointStore();

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "fan_out");
  });

  async function run(recorderOptions: Record<string, unknown>): Promise<unknown> {
    const postgres = makeSink(url, { pipeline: "fan" });
    const recorder = await buildSink("./recording-sink", recorderOptions, { pipeline: "fan", sinkName: "recorder", logger: silentLogger(), baseDir: FIXTURES, positions: recorderPositions }, "sinks.recorder");
    const fanOut = new SinkFanOut([postgres, recorder], silentLogger());
    const from = await fanOut.open();
    const accumulator = new BatchAccumulator({ maxSize: 2, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000 }, (event) => event, from);
    try {
      await pumpChanges(() => replay(events, from), accumulator, fanOut, { signal: new AbortController().signal, readAhead: readAheadLimits({ maxSize: 2 }), stats: new PipelineStats(), logger: silentLogger() });
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await fanOut.close();
    }
  }

  it("keeps a position per sink: after one sink fails, a restart catches it up and the other applies nothing twice", async () => {
    const failure = await run({ failAt: "d" });
    expect((failure as Error).message).toBe("refusing d");
    const { received } = (await import(pathToFileURL(resolve(FIXTURES, "recording-sink/main.js")).href)) as RecordingModule;
    expect(received.get("recorder")?.batches.map((batch) => batch.ids)).toEqual([["a", "b"]]);
    expect(recorderPositions.saved.map((position) => position.key)).toEqual([events[1]!.position.key]);
    const [stored] = await query<{ position: string }>(url, "SELECT position FROM tributary.positions WHERE pipeline = 'fan'");
    expect(stored?.position).toBe(events[3]!.position.key);

    // Every write PostgreSQL receives from now on is logged: only 'e' may arrive.
    await query(
      url,
      `CREATE TABLE writes (id text);
       CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO writes VALUES (NEW._id); RETURN NEW; END $$;
       CREATE TRIGGER log_write AFTER INSERT OR UPDATE ON public.fan_items FOR EACH ROW EXECUTE FUNCTION log_write();`,
    );
    expect(await run({})).toBeUndefined();
    expect(received.get("recorder")?.batches.map((batch) => batch.ids)).toEqual([["c", "d"], ["e"]]);
    expect(await query(url, "SELECT id FROM writes")).toEqual([{ id: "e" }]);
    expect((await query<{ _id: string }>(url, "SELECT _id FROM public.fan_items ORDER BY _id")).map((row) => row._id)).toEqual(["a", "b", "c", "d", "e"]);
    expect(recorderPositions.saved.at(-1)?.key).toBe(events[4]!.position.key);
  });
});

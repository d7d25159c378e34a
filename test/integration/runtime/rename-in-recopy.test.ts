// A collection renamed into the synced set from outside it ($out, or a "build aside, then swap"
// renameCollection with dropTarget) arrives as one rename event and none of its documents: the
// runtime copies it again through the snapshot machinery, into every sink behind the rename,
// then streams on from the rename. Real PostgreSQL and jsonl sinks; a synthetic snapshot source
// stands in for MongoDB (test/integration/sync/rename-in.test.ts runs it against a real server).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Document } from "mongodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileResumePointStore } from "../../../src/checkpoint/file-resume-point-store.js";
import { validateConfig } from "../../../src/config/load-config.js";
import type { ChangeEvent, SourceItem } from "../../../src/core/change-event.js";
import { silentLogger } from "../../../src/core/logger.js";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import type { Sink } from "../../../src/core/sink.js";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import { EventSelector } from "../../../src/pipeline/event-selector.js";
import { PipelineStats } from "../../../src/pipeline/pipeline-stats.js";
import { pumpChanges } from "../../../src/runtime/pump-changes.js";
import { readAheadLimits } from "../../../src/pipeline/read-ahead.js";
import { RenameInRecopy } from "../../../src/runtime/rename-in-recopy.js";
import { SinkFanOut } from "../../../src/runtime/sink-fanout.js";
import { createJsonlSink } from "../../../src/sinks/jsonl/jsonl-sink.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";

const filter = new NamespaceFilter(["shop.orders", "shop.users"], []);
/** What the aggregation built aside, under a name the pipeline does not sync. */
const renamedIn: Document[] = Array.from({ length: 25 }, (_, index) => ({ _id: 1_000 + index, total: index }));

function config(): ReturnType<typeof validateConfig> {
  const valid = validateConfig({ source: { uri: "mongodb://unused" }, sinks: [{ name: "lines", use: "jsonl" }], snapshot: { parallelism: 2 } });
  return { ...valid, snapshot: { ...valid.snapshot, chunkSize: 10, rangeSize: 10 } };
}

/** Stops the run (as a signal would) once the copy has started on its second range. */
class StoppingSource extends SyntheticSnapshotSource {
  private readonly controller: AbortController;

  constructor(collections: Record<string, readonly Document[]>, controller: AbortController) {
    super(collections);
    this.controller = controller;
  }

  override readRange(...args: Parameters<SyntheticSnapshotSource["readRange"]>): ReturnType<SyntheticSnapshotSource["readRange"]> {
    if (this.reads.length === 1) this.controller.abort();
    return super.readRange(...args);
  }
}

async function* itemsOf(events: readonly ChangeEvent[]): AsyncGenerator<SourceItem> {
  for (const event of events) yield { kind: "event", event };
}

describe("a rename into the synced set from outside it", () => {
  let dir: string;
  let url: string;
  let opened: Sink[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-rename-in-"));
    url = await createDatabase(postgresUrl(), `rename_in_${Date.now()}`);
    opened = [];
  });
  afterEach(async () => {
    await Promise.allSettled(opened.map((sink) => sink.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function openSinks(): Promise<{ fanOut: SinkFanOut; postgres: ReturnType<typeof makeSink> }> {
    const postgres = makeSink(url);
    const lines = await createJsonlSink({ path: "lines.jsonl" }, { pipeline: "test", sinkName: "lines", logger: silentLogger(), baseDir: dir, positions: new FileResumePointStore(join(dir, "lines.json")) });
    opened.push(postgres, lines);
    const fanOut = new SinkFanOut([postgres, lines], silentLogger());
    await fanOut.open();
    return { fanOut, postgres };
  }

  async function pump(fanOut: SinkFanOut, events: readonly ChangeEvent[], source: SyntheticSnapshotSource, signal = new AbortController().signal): Promise<void> {
    const selector = new EventSelector({ namespaces: filter, renameOutAsDrop: true });
    const accumulator = new BatchAccumulator({ maxSize: 100, maxLatencyMs: 60_000, idleCommitIntervalMs: 60_000 }, (event) => selector.select(event), fanOut.earliestPosition());
    const interrupt = new RenameInRecopy(filter, fanOut, { config: config(), source, logger: silentLogger(), signal });
    await pumpChanges(() => itemsOf(events), accumulator, fanOut, { signal, readAhead: readAheadLimits({ maxSize: 100 }), stats: new PipelineStats(), logger: silentLogger(), interrupt });
  }

  const orderIds = async (): Promise<string[]> => (await query<{ _id: string }>(url, "SELECT _id FROM public.shop_orders ORDER BY _id")).map((row) => row._id);
  const lines = async (): Promise<{ op: string; ns: string; source: string }[]> =>
    (await readFile(join(dir, "lines.jsonl"), "utf8"))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { op: string; ns: string; source: string });

  function history(): { before: ChangeEvent[]; rename: ChangeEvent; after: ChangeEvent[] } {
    const before = [
      ...[1, 2, 3].map((id) => makeEvent({ op: "insert", ns: "shop.orders", id, doc: { _id: id, total: 0 } })),
      makeEvent({ op: "insert", ns: "shop.tmp_out", id: 1_000, doc: { _id: 1_000 } }),
      makeEvent({ op: "insert", ns: "shop.users", id: "ann", doc: { _id: "ann" } }),
    ];
    const rename = makeEvent({ op: "rename", ns: "shop.tmp_out", to: "shop.orders" });
    const after = [makeEvent({ op: "insert", ns: "shop.orders", id: 2_000, doc: { _id: 2_000, total: 9 } })];
    return { before, rename, after };
  }

  it("ends with the renamed-in collection in every sink (old documents gone), then streams on from the rename", async () => {
    const { fanOut, postgres } = await openSinks();
    const { before, rename, after } = history();
    await pump(fanOut, [...before, rename, ...after], new SyntheticSnapshotSource({ "shop.orders": renamedIn }));

    expect(await orderIds()).toEqual([...renamedIn.map((doc) => String(doc._id)), "2000"].sort());
    expect(await query(url, "SELECT _id FROM public.shop_users")).toEqual([{ _id: "ann" }]);
    expect(postgres.capabilities.atomicPosition?.storedPosition()?.key).toBe(after.at(-1)?.position.key);
    const written = await lines();
    const dropAt = written.findIndex((line) => line.op === "drop" && line.ns === "shop.orders");
    expect(dropAt).toBe(4);
    expect(written.slice(dropAt + 1, dropAt + 1 + renamedIn.length).every((line) => line.source === "snapshot" && line.ns === "shop.orders")).toBe(true);
    expect(written.at(-1)).toMatchObject({ op: "insert", ns: "shop.orders", source: "stream" });
  });

  it("never moves past the rename before the copy is complete: a stop mid-copy copies again on the next start", async () => {
    const { before, rename, after } = history();
    const first = await openSinks();
    const controller = new AbortController();
    await pump(first.fanOut, [...before, rename, ...after], new StoppingSource({ "shop.orders": renamedIn }, controller), controller.signal);
    expect(first.postgres.capabilities.atomicPosition?.storedPosition()?.key).toBe(before.at(-1)?.position.key);
    expect((await orderIds()).length).toBeLessThan(renamedIn.length);
    await first.fanOut.close();
    opened = [];

    // The restart streams from the stored position: the rename again, and the copy with it.
    const again = await openSinks();
    await pump(again.fanOut, [...before, rename, ...after], new SyntheticSnapshotSource({ "shop.orders": renamedIn }));
    expect(await orderIds()).toEqual([...renamedIn.map((doc) => String(doc._id)), "2000"].sort());
  });

  it("leaves alone a sink already past the rename", async () => {
    const { fanOut } = await openSinks();
    const { before, rename, after } = history();
    const jsonl = fanOut.positions()[1]!.sink;
    fanOut.continueAfter(jsonl, rename.position);
    await pump(fanOut, [...before, rename, ...after], new SyntheticSnapshotSource({ "shop.orders": renamedIn }));
    expect((await lines()).map((line) => `${line.op} ${line.ns}`)).toEqual(["insert shop.orders"]);
  });
});

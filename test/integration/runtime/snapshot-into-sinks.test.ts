// The snapshot phase drives every sink the same way: through its bulk path when it offers one
// (PostgreSQL: COPY with stored range progress), otherwise as `source: "snapshot"` insert events
// through its `apply`. A synthetic source stands in for MongoDB (whose source is tested against a
// real replica set in test/integration/sync/snapshot.test.ts).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Document } from "mongodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileResumePointStore } from "../../../src/checkpoint/file-resume-point-store.js";
import { validateConfig } from "../../../src/config/load-config.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { Sink } from "../../../src/core/sink.js";
import { runSnapshotPhase } from "../../../src/runtime/snapshot-phase.js";
import { createJsonlSink } from "../../../src/sinks/jsonl/jsonl-sink.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";

const orders: Document[] = Array.from({ length: 45 }, (_, index) => ({ _id: index + 1, total: index * 10 }));
const users: Document[] = Array.from({ length: 12 }, (_, index) => ({ _id: `user-${String(index).padStart(2, "0")}`, name: `U${index}` }));

/** A valid config, with ranges and chunks smaller than the config allows, so a few dozen documents span several. */
function config(mode: "initial" | "always" | "only" = "initial"): ReturnType<typeof validateConfig> {
  const valid = validateConfig({ source: { uri: "mongodb://unused" }, sinks: [{ name: "lines", use: "jsonl" }], snapshot: { mode, parallelism: 2 } });
  return { ...valid, snapshot: { ...valid.snapshot, chunkSize: 10, rangeSize: 20 } };
}

function source(): SyntheticSnapshotSource {
  return new SyntheticSnapshotSource({ "shop.orders": orders, "shop.users": users });
}

describe("a snapshot into a sink without a bulk path (jsonl)", () => {
  let dir: string;
  let sinks: Sink[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-snapshot-jsonl-"));
    sinks = [];
  });
  afterEach(async () => {
    await Promise.allSettled(sinks.map((sink) => sink.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function openJsonl(): Promise<{ sink: Sink; stored: Awaited<ReturnType<Sink["open"]>> }> {
    const positions = new FileResumePointStore(join(dir, "lines.position.json"));
    const sink = await createJsonlSink({ path: "lines.jsonl" }, { pipeline: "test", sinkName: "lines", logger: silentLogger(), baseDir: dir, positions });
    sinks.push(sink);
    return { sink, stored: await sink.open() };
  }

  async function lines(): Promise<Record<string, unknown>[]> {
    const text = await readFile(join(dir, "lines.jsonl"), "utf8").catch(() => "");
    return text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it("receives every document as an insert marked source: snapshot, then stores the hand-over as its position", async () => {
    const { sink, stored } = await openJsonl();
    expect(stored).toBeUndefined();
    const snapshotSource = source();
    const result = await runSnapshotPhase(sink, stored, { config: config(), source: snapshotSource, logger: silentLogger(), signal: new AbortController().signal });

    const written = await lines();
    expect(written).toHaveLength(orders.length + users.length);
    expect(new Set(written.map((line) => line.op))).toEqual(new Set(["insert"]));
    expect(new Set(written.map((line) => line.source))).toEqual(new Set(["snapshot"]));
    expect(written.filter((line) => line.ns === "shop.users")).toHaveLength(users.length);
    expect(result.complete).toBe(true);
    // The hand-over is the position the source fixed before its first read.
    expect(snapshotSource.startPositionCalls).toBe(1);
    expect(result.startFrom?.clusterTime.t).toBe(1_700_000_001);
    await sink.close();
    sinks = [];
    // The position stored once the copy completed is where its stream takes over.
    const reopened = await openJsonl();
    expect(reopened.stored?.key).toBe(result.startFrom?.key);
  });

  it("is not copied again once the sink streams (initial), and is copied again with always", async () => {
    const first = await openJsonl();
    await runSnapshotPhase(first.sink, first.stored, { config: config(), source: source(), logger: silentLogger(), signal: new AbortController().signal });
    await first.sink.close();
    sinks = [];

    const again = await openJsonl();
    const skipped = await runSnapshotPhase(again.sink, again.stored, { config: config("initial"), source: source(), logger: silentLogger(), signal: new AbortController().signal });
    expect(skipped.startFrom?.key).toBe(again.stored?.key);
    expect(await lines()).toHaveLength(orders.length + users.length);

    const always = await runSnapshotPhase(again.sink, again.stored, { config: config("always"), source: source(), logger: silentLogger(), signal: new AbortController().signal });
    expect(await lines()).toHaveLength(2 * (orders.length + users.length));
    // A stored stream position stays: the stream replays from there, after the new copy.
    expect(always.startFrom?.key).toBe(again.stored?.key);
  });

  it("stores no position when the copy is cut short, so the next start copies again (at-least-once)", async () => {
    const { sink, stored } = await openJsonl();
    const controller = new AbortController();
    const slow = new SyntheticSnapshotSource({ "shop.orders": orders }, { delayPerChunkMs: 20 });
    const stopping = setTimeout(() => controller.abort(), 30);
    const result = await runSnapshotPhase(sink, stored, { config: config(), source: slow, logger: silentLogger(), signal: controller.signal });
    clearTimeout(stopping);
    expect(result.complete).toBe(false);
    expect((await lines()).length).toBeLessThan(orders.length);
    await sink.close();
    sinks = [];
    expect((await openJsonl()).stored).toBeUndefined();
  });
});

describe("a snapshot into PostgreSQL (bulk path)", () => {
  let url: string;
  let sink: ReturnType<typeof makeSink> | undefined;

  beforeEach(async () => {
    url = await createDatabase(postgresUrl(), `snapshot_into_sinks_${Date.now()}`);
  });
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  it("copies through COPY with stored range progress, never through apply, and stores the hand-over with its data", async () => {
    sink = makeSink(url);
    const stored = await sink.open();
    let applied = 0;
    const counting: Sink = Object.assign(Object.create(sink) as Sink, {
      apply: (...args: Parameters<Sink["apply"]>) => {
        applied += 1;
        return sink!.apply(...args);
      },
    });
    const result = await runSnapshotPhase(counting, stored, { config: config(), source: source(), logger: silentLogger(), signal: new AbortController().signal });

    expect(applied).toBe(0);
    expect(result.complete).toBe(true);
    const counted = await query<{ count: string }>(url, "SELECT count(*) AS count FROM public.shop_orders");
    expect(Number(counted[0]?.count)).toBe(orders.length);
    const ranges = await query<{ copied: number }>(url, "SELECT copied FROM tributary.snapshot_ranges WHERE namespace = 'shop.orders'");
    expect(ranges.reduce((sum, range) => sum + Number(range.copied), 0)).toBe(orders.length);
    expect(sink.capabilities.atomicPosition?.storedPosition()?.key).toBe(result.startFrom?.key);
  });
});

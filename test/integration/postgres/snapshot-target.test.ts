import { encodeIdBound } from "../../../src/codec/id-bound.js";
import { BSON, Double, Int32, Long, ObjectId, type Document } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeDocument } from "../../../src/codec/document-codec.js";
import { keyText } from "../../../src/codec/key-text.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import type { PostgresSnapshotTarget } from "../../../src/sinks/postgres/snapshot/postgres-snapshot-target.js";
import type { CollectionSnapshotPlan, IdRange, SnapshotChunk } from "../../../src/core/snapshot-contract.js";
import { makePosition, type Position } from "../../../src/core/position.js";
import { snapshotEvents } from "../../../src/snapshot/snapshot-events.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { waitFor } from "../../support/wait-for.js";

let url: string;
const sinks: PostgresSink[] = [];
const targets: PostgresSnapshotTarget[] = [];
const ns = "shop.orders";
const T = 1_700_000_100;
const startedAt = makePosition(tokenAt(T, 7));

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "snapshot_target");
});

afterEach(async () => {
  await Promise.all(targets.splice(0).map((target) => target.close()));
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

async function openSink(overrides: Parameters<typeof makeSink>[1] = {}): Promise<PostgresSink> {
  const sink = makeSink(url, overrides);
  sinks.push(sink);
  await sink.open();
  return sink;
}

async function openTarget(overrides: Parameters<typeof makeSink>[1] = {}, parallelism = 4): Promise<{ sink: PostgresSink; target: PostgresSnapshotTarget }> {
  const sink = await openSink(overrides);
  const target = sink.snapshotTarget(parallelism);
  targets.push(target);
  return { sink, target };
}

function plan(ranges: readonly IdRange[] = [{}], namespace = ns, at: Position = startedAt): CollectionSnapshotPlan {
  return { namespace, startedAt: at, estimated: 1234, ranges };
}

function chunk(documents: readonly Document[], options: Partial<SnapshotChunk> = {}): SnapshotChunk {
  const at = options.startedAt ?? startedAt;
  return { namespace: options.namespace ?? ns, rangeNo: 0, events: snapshotEvents(options.namespace ?? ns, documents, at), last: false, startedAt: at, ...options };
}

interface RawRow {
  _id: string;
  doc: unknown;
  _cluster_time: Date;
}

async function rawRows(table = "public.shop_orders"): Promise<RawRow[]> {
  return query<RawRow>(url, `SELECT _id, doc, _cluster_time FROM ${table} ORDER BY _id COLLATE "C"`);
}

/** The rows the streaming path writes for the same documents (inserted at the same cluster time). */
async function streamedRows(documents: readonly Document[], sinkOverrides: Parameters<typeof makeSink>[1] = {}): Promise<RawRow[]> {
  const sink = await openSink({ ...sinkOverrides, pipeline: "streaming", tables: { "shop.streamed": "shop_streamed" } });
  const events = documents.map((doc) => makeEvent({ op: "insert", ns: "shop.streamed", id: doc._id, doc, t: T }));
  await sink.apply({ events, position: events.at(-1)!.position });
  return rawRows("public.shop_streamed");
}

/** Canonical Extended JSON: tells Int32, Long and Double apart, which toEqual does not. */
function canonical(value: unknown): string {
  return BSON.EJSON.stringify({ v: value }, { relaxed: false });
}

const oid = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, "0"));

describe("PostgresSnapshotTarget: snapshot state", () => {
  it("stores a plan and loads it back with every bound of its exact BSON type, unbounded ends as NULL", async () => {
    const { target } = await openTarget();
    const bounds = [new Int32(5), Long.fromString("9007199254740993"), new Double(1e20), "m\tid\\dle", new Date("2024-02-29T12:00:00.000Z"), oid(0xabc)];
    const ranges: IdRange[] = [{ upper: bounds[0] }, ...bounds.slice(1).map((upper, index) => ({ lower: bounds[index], upper })), { lower: bounds.at(-1) }];
    await target.startSnapshot(plan(ranges));

    const stored = await query<{ range_no: number; lower: string | null; upper: string | null; copied: string; done: boolean }>(
      url,
      "SELECT range_no, lower, upper, copied, done FROM tributary.snapshot_ranges WHERE pipeline = 'test' ORDER BY range_no",
    );
    expect(stored).toHaveLength(7);
    // Stored as their BSON bytes (codec/id-bound), which give back the very values.
    expect(stored[0]).toEqual({ range_no: 0, lower: null, upper: encodeIdBound(bounds[0]), copied: "0", done: false });
    expect(stored[6]).toEqual({ range_no: 6, lower: encodeIdBound(bounds[5]), upper: null, copied: "0", done: false });
    expect(await query(url, "SELECT namespace, status, started_token, estimated, finished_at FROM tributary.snapshots")).toEqual([
      { namespace: ns, status: "copying", started_token: startedAt.resumeToken._data, estimated: "1234", finished_at: null },
    ]);

    const loaded = await target.loadSnapshots();
    expect([...loaded.keys()]).toEqual([ns]);
    const state = loaded.get(ns)!;
    expect(state).toStrictEqual({
      namespace: ns,
      status: "copying",
      startedAt,
      estimated: 1234,
      ranges: ranges.map((range, rangeNo) => ({ rangeNo, range, copied: 0, done: false })),
    });
    expect(state.startedAt.key).toBe(startedAt.key);
    for (const [index, range] of state.ranges.entries()) {
      expect(canonical(range.range), `range ${index}`).toBe(canonical(ranges[index]));
      expect(Object.keys(range.range).sort()).toEqual(Object.keys(ranges[index]!).sort());
    }

    // Another pipeline sees none of it.
    const other = (await openSink({ pipeline: "other" })).snapshotTarget(1);
    targets.push(other);
    expect(await other.loadSnapshots()).toEqual(new Map());
  });

  it("records progress with each chunk: count, the last _id (exact type), done with the last chunk", async () => {
    const { target } = await openTarget();
    await target.startSnapshot(plan([{ upper: Long.fromNumber(100) }, { lower: Long.fromNumber(100) }]));
    await target.writeChunk(chunk([{ _id: Long.fromNumber(1) }, { _id: Long.fromNumber(2) }], { rangeNo: 0 }));
    await target.writeChunk(chunk([{ _id: Long.fromNumber(150) }], { rangeNo: 1 }));
    let ranges = (await target.loadSnapshots()).get(ns)!.ranges;
    expect(ranges.map(({ copied, done }) => ({ copied, done }))).toEqual([
      { copied: 2, done: false },
      { copied: 1, done: false },
    ]);
    expect(canonical(ranges[0]!.resumeFrom)).toBe(canonical(Long.fromNumber(2)));

    // A resumed range reads its last committed document again: it is not counted twice.
    await target.writeChunk(chunk([{ _id: Long.fromNumber(2) }, { _id: Long.fromNumber(3) }], { rangeNo: 0 }));
    await target.writeChunk(chunk([], { rangeNo: 0, last: true }));
    ranges = (await target.loadSnapshots()).get(ns)!.ranges;
    expect(ranges[0]).toMatchObject({ copied: 3, done: true });
    expect(canonical(ranges[0]!.resumeFrom)).toBe(canonical(Long.fromNumber(3)));
    expect(ranges[1]).toMatchObject({ copied: 1, done: false });
  });

  it("continues after a restart from the stored state, in a new process's target", async () => {
    const first = await openTarget();
    await first.target.startSnapshot(plan([{ upper: "m" }, { lower: "m" }]));
    await first.target.writeChunk(chunk([{ _id: "a" }, { _id: "b" }], { rangeNo: 0 }));
    await first.target.close();
    await first.sink.close();

    const { target } = await openTarget();
    const state = (await target.loadSnapshots()).get(ns)!;
    expect(state.ranges[0]).toStrictEqual({ rangeNo: 0, range: { upper: "m" }, resumeFrom: "b", copied: 2, done: false });
    await Promise.all([
      target.writeChunk(chunk([{ _id: "b", v: 2 }, { _id: "c" }], { rangeNo: 0, last: true, startedAt: state.startedAt })),
      target.writeChunk(chunk([{ _id: "x" }], { rangeNo: 1, last: true, startedAt: state.startedAt })),
    ]);
    expect((await rawRows()).map((row) => [row._id, row.doc])).toEqual([
      ["a", { _id: "a" }],
      ["b", { _id: "b", v: 2 }],
      ["c", { _id: "c" }],
      ["x", { _id: "x" }],
    ]);
    expect((await target.loadSnapshots()).get(ns)!.ranges.map(({ copied, done }) => ({ copied, done }))).toEqual([
      { copied: 3, done: true },
      { copied: 1, done: true },
    ]);
  });

  it("startSnapshot replaces the previous state, and chunks of the replaced snapshot are refused", async () => {
    // One connection: the refused chunk's must be left clean for the next.
    const { target } = await openTarget({}, 1);
    await target.startSnapshot(plan([{ upper: new Int32(10) }, { lower: new Int32(10), upper: new Int32(20) }, { lower: new Int32(20) }]));
    await target.writeChunk(chunk([{ _id: new Int32(1) }]));
    await target.startSnapshot(plan([{ upper: "m" }, { lower: "m" }], ns, makePosition(tokenAt(T + 50, 1))));

    const state = (await target.loadSnapshots()).get(ns)!;
    expect(state.startedAt.key).toBe(makePosition(tokenAt(T + 50, 1)).key);
    expect(state.ranges).toStrictEqual([
      { rangeNo: 0, range: { upper: "m" }, copied: 0, done: false },
      { rangeNo: 1, range: { lower: "m" }, copied: 0, done: false },
    ]);
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.snapshot_ranges")).toEqual([{ n: 2 }]);
    // The rows copied so far stay: the new snapshot upserts over them.
    expect((await rawRows()).map((row) => row._id)).toEqual(["1"]);

    const stale = target.writeChunk(chunk([{ _id: new Int32(2) }], { rangeNo: 1 }));
    await expect(stale).rejects.toMatchObject({ code: ErrorCode.SnapshotFailed });
    await expect(stale).rejects.toThrow(/snapshot of shop\.orders has no range 1 in progress/);
    expect((await rawRows()).map((row) => row._id)).toEqual(["1"]);

    await target.writeChunk(chunk([{ _id: "a" }], { rangeNo: 0, startedAt: makePosition(tokenAt(T + 50, 1)) }));
    expect((await rawRows()).map((row) => row._id)).toEqual(["1", "a"]);
    expect((await target.loadSnapshots()).get(ns)!.ranges[0]).toMatchObject({ copied: 1 });
  });

  it("finishSnapshot marks the collection done; again is harmless; unknown collections and later chunks are refused", async () => {
    const { target } = await openTarget();
    await target.startSnapshot(plan());
    await target.writeChunk(chunk([{ _id: 1 }], { last: true }));
    await target.finishSnapshot(ns);
    await target.finishSnapshot(ns);
    const [row] = await query<{ status: string; finished_at: Date | null; started_at: Date }>(url, "SELECT status, finished_at, started_at FROM tributary.snapshots");
    expect(row?.status).toBe("done");
    expect(row?.finished_at).toBeInstanceOf(Date);
    expect(row!.finished_at!.getTime()).toBeGreaterThanOrEqual(row!.started_at.getTime());
    expect((await target.loadSnapshots()).get(ns)).toMatchObject({ status: "done", ranges: [{ rangeNo: 0, copied: 1, done: true }] });

    await expect(target.finishSnapshot("shop.unknown")).rejects.toMatchObject({ code: ErrorCode.SnapshotFailed });
    await expect(target.writeChunk(chunk([{ _id: 2 }]))).rejects.toMatchObject({ code: ErrorCode.SnapshotFailed });
  });
});

describe("PostgresSnapshotTarget: raw tables by COPY", () => {
  it("writes exact rows (_id text, doc jsonb, _cluster_time of the snapshot), the same as the streaming path", async () => {
    const { target } = await openTarget();
    await target.startSnapshot(plan());
    // The table exists from the start, even for an empty collection.
    expect(await rawRows()).toEqual([]);
    const documents = [
      { _id: oid(1), qty: new Int32(1), price: new Double(2.5), big: Long.fromString("9007199254740993"), at: new Date("2024-01-02T03:04:05.678Z") },
      { _id: oid(2), tags: ["a", "b"], nested: { deep: { deeper: [new Int32(1), { x: null }] } } },
      { _id: new Int32(3), whole: new Double(3) },
      { _id: "text key", empty: {} },
    ];
    await target.writeChunk(chunk(documents));

    const rows = await rawRows();
    expect(rows).toEqual(
      documents
        .map((doc) => ({ _id: keyText(doc._id), doc: encodeDocument(doc), _cluster_time: new Date(T * 1000) }))
        .sort((a, b) => (Buffer.from(a._id) < Buffer.from(b._id) ? -1 : 1)),
    );
    expect(rows).toEqual(await streamedRows(documents));
  });

  it("carries keys and values with tabs, newlines, carriage returns, backslashes, \\N, \\. and any unicode through COPY", async () => {
    const { target } = await openTarget();
    await target.startSnapshot(plan());
    const nastyStrings = [
      "tab\there",
      "new\nline",
      "carriage\rreturn",
      "crlf\r\n",
      "back\\slash",
      "\\",
      "\\\\",
      "\\N",
      "\\.",
      "\\.\n\\.",
      "a\\tb",
      "trailing\\",
      "\\x41\\101",
      "\t",
      "\n",
      " ",
      "émoji 😀 中文 𝌆",
      "line\u2028sep\u2029para",
      "\u0001\u0007\b\f\v\u001f\u007f",
      "",
      "5",
      "{not json",
      '"quoted"',
      "null",
      "65f1c0ffee0000000000abcd",
    ];
    const documents: Document[] = nastyStrings.map((text, index) => ({
      _id: text,
      value: text,
      [`field\t${index}\\ \n`]: { [text === "" ? "empty" : text]: [text, `${text}${text}`] },
      n: new Int32(index),
    }));
    documents.push({ _id: { "key\twith": "a\\b\nc" }, value: "document key", n: new Int32(99) });
    await target.writeChunk(chunk(documents));

    const rows = await rawRows();
    expect(rows).toHaveLength(documents.length);
    const byKey = new Map(rows.map((row) => [row._id, row]));
    for (const doc of documents) {
      const row = byKey.get(keyText(doc._id));
      expect(row, JSON.stringify(doc._id)).toBeDefined();
      expect(row!.doc, JSON.stringify(doc._id)).toEqual(encodeDocument(doc));
    }
    expect(rows).toEqual(await streamedRows(documents));
  });

  it("merges a chunk over existing rows (updated) and leaves the other rows alone; the same chunk twice changes nothing", async () => {
    const { sink, target } = await openTarget();
    await target.startSnapshot(plan());
    const older = [1, 2, 3].map((n) => makeEvent({ op: "insert", ns, id: new Int32(n), doc: { _id: new Int32(n), v: "old" }, t: T - 100 }));
    await sink.apply({ events: older, position: older.at(-1)!.position });
    const [{ synced: before } = { synced: new Date(0) }] = await query<{ synced: Date }>(url, "SELECT _synced_at AS synced FROM public.shop_orders WHERE _id = '2'");

    const documents = [
      { _id: new Int32(2), v: "new" },
      { _id: new Int32(4), v: "new" },
    ];
    await target.writeChunk(chunk(documents));
    const expected = [
      { _id: "1", doc: { _id: 1, v: "old" }, _cluster_time: new Date((T - 100) * 1000) },
      { _id: "2", doc: { _id: 2, v: "new" }, _cluster_time: new Date(T * 1000) },
      { _id: "3", doc: { _id: 3, v: "old" }, _cluster_time: new Date((T - 100) * 1000) },
      { _id: "4", doc: { _id: 4, v: "new" }, _cluster_time: new Date(T * 1000) },
    ];
    expect(await rawRows()).toEqual(expected);
    const [{ synced: after } = { synced: new Date(0) }] = await query<{ synced: Date }>(url, "SELECT _synced_at AS synced FROM public.shop_orders WHERE _id = '2'");
    expect(after.getTime()).toBeGreaterThan(before.getTime());

    await target.writeChunk(chunk(documents));
    expect(await rawRows()).toEqual(expected);
    expect((await target.loadSnapshots()).get(ns)!.ranges[0]).toMatchObject({ copied: 2, done: false });
  });

  it("commits rows and progress together: a chunk that fails leaves neither", async () => {
    const { target } = await openTarget();
    await target.startSnapshot(plan());
    await target.writeChunk(chunk([{ _id: "a", v: new Int32(1) }]));
    await query(
      url,
      `CREATE FUNCTION public.refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         IF NEW._id = 'boom' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER refuse_boom BEFORE INSERT OR UPDATE ON public.shop_orders FOR EACH ROW EXECUTE FUNCTION public.refuse_boom()`,
    );
    const failing = target.writeChunk(chunk([{ _id: "a", v: new Int32(2) }, { _id: "b" }, { _id: "boom" }], { last: true }));
    await expect(failing).rejects.toMatchObject({ code: ErrorCode.PostgresApplyFailed });
    await expect(failing).rejects.toThrow(/PostgreSQL refused the snapshot of shop\.orders \(range 0\): boom refused/);

    expect((await rawRows()).map((row) => [row._id, row.doc])).toEqual([["a", { _id: "a", v: 1 }]]);
    const range = (await target.loadSnapshots()).get(ns)!.ranges[0]!;
    expect(range).toStrictEqual({ rangeNo: 0, range: {}, resumeFrom: "a", copied: 1, done: false });
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.dead_letters")).toEqual([{ n: 0 }]);
  });

  it("strict: a document that cannot be encoded stops the chunk, and neither its rows nor its progress are written", async () => {
    const { target } = await openTarget({ strict: true });
    await target.startSnapshot(plan());
    const failing = target.writeChunk(chunk([{ _id: "ok", v: 1 }, { _id: "bad", v: "nul\u0000here" }]));
    await expect(failing).rejects.toMatchObject({ code: ErrorCode.ValueDoesNotFit, context: { namespace: ns, key: "bad", field: "v" } });
    expect(await rawRows()).toEqual([]);
    expect((await target.loadSnapshots()).get(ns)!.ranges[0]).toStrictEqual({ rangeNo: 0, range: {}, copied: 0, done: false });
  });

  it("sets a document that cannot be encoded aside in dead_letters and writes the rest of the chunk", async () => {
    const { target } = await openTarget();
    await target.startSnapshot(plan());
    await target.writeChunk(chunk([{ _id: "ok1" }, { _id: "bad", nested: { v: "nul\u0000here" } }, { _id: "nul\u0000key" }, { _id: "ok2" }], { last: true }));
    expect((await rawRows()).map((row) => row._id)).toEqual(["ok1", "ok2"]);
    expect(
      await query(url, "SELECT pipeline, namespace, key, field, reason LIKE '%NUL%' AS nul, document IS NOT NULL AS kept, cluster_time FROM tributary.dead_letters ORDER BY id"),
    ).toEqual([
      { pipeline: "test", namespace: ns, key: "bad", field: "nested.v", nul: true, kept: true, cluster_time: new Date(T * 1000) },
      { pipeline: "test", namespace: ns, key: keyText("nul\u0000key"), field: "_id", nul: true, kept: true, cluster_time: new Date(T * 1000) },
    ]);
    expect((await target.loadSnapshots()).get(ns)!.ranges[0]).toMatchObject({ copied: 4, done: true });
  });

  it("writes chunks of four ranges of one collection at once, each range's progress its own", async () => {
    const { target } = await openTarget({}, 4);
    const ranges: IdRange[] = [{ upper: new Int32(10_000) }, { lower: new Int32(10_000), upper: new Int32(20_000) }, { lower: new Int32(20_000), upper: new Int32(30_000) }, { lower: new Int32(30_000) }];
    await target.startSnapshot(plan(ranges));
    const perChunk = 400;
    const chunksPerRange = 3;
    await Promise.all(
      ranges.map(async (_range, rangeNo) => {
        for (let part = 0; part < chunksPerRange; part += 1) {
          const documents = Array.from({ length: perChunk }, (_, index) => {
            const id = rangeNo * 10_000 + part * perChunk + index;
            return { _id: new Int32(id), range: new Int32(rangeNo), text: `row ${id}\twith\\escapes\n` };
          });
          await target.writeChunk(chunk(documents, { rangeNo, last: part === chunksPerRange - 1 }));
        }
      }),
    );
    const [counts] = await query<{ n: number; distinct: number }>(url, "SELECT count(*)::int AS n, count(DISTINCT doc->>'range')::int AS distinct FROM public.shop_orders");
    expect(counts).toEqual({ n: ranges.length * chunksPerRange * perChunk, distinct: 4 });
    const state = (await target.loadSnapshots()).get(ns)!;
    expect(state.ranges.map(({ rangeNo, copied, done, resumeFrom }) => ({ rangeNo, copied, done, last: canonical(resumeFrom) }))).toEqual(
      ranges.map((_range, rangeNo) => ({ rangeNo, copied: chunksPerRange * perChunk, done: true, last: canonical(new Int32(rangeNo * 10_000 + chunksPerRange * perChunk - 1)) })),
    );
    const [sample] = await query<{ doc: unknown }>(url, "SELECT doc FROM public.shop_orders WHERE _id = '20401'");
    expect(sample?.doc).toEqual({ _id: 20401, range: 2, text: "row 20401\twith\\escapes\n" });
  });

  it("retries a chunk whose connection is terminated, without writing or counting it twice", async () => {
    const { target } = await openTarget({}, 2);
    await target.startSnapshot(plan());
    await query(
      url,
      `CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
       CREATE TRIGGER slow AFTER INSERT ON public.shop_orders FOR EACH STATEMENT EXECUTE FUNCTION public.slow()`,
    );
    const documents = Array.from({ length: 50 }, (_, index) => ({ _id: new Int32(index) }));
    const writing = target.writeChunk(chunk(documents, { last: true }));
    await waitFor(
      async () =>
        (await query<{ pid: number }>(url, "SELECT pid FROM pg_stat_activity WHERE application_name = 'tributary snapshot' AND query LIKE 'COPY%' AND state = 'active'")).length > 0,
      "the chunk's COPY to run",
      10_000,
    );
    await query(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tributary snapshot' AND query LIKE 'COPY%'");
    await writing;
    expect(await query(url, "SELECT count(*)::int AS n FROM public.shop_orders")).toEqual([{ n: 50 }]);
    expect((await target.loadSnapshots()).get(ns)!.ranges[0]).toMatchObject({ copied: 50, done: true });
  });
});

describe("PostgresSink.startStreamAt", () => {
  it("stores the snapshot's start as the pipeline's position only when none is stored", async () => {
    const sink = await openSink();
    expect(sink.storedPosition()).toBeUndefined();
    await sink.startStreamAt(startedAt);
    expect(sink.storedPosition()?.key).toBe(startedAt.key);
    expect(await query(url, "SELECT pipeline, position, resume_token FROM tributary.positions")).toEqual([
      { pipeline: "test", position: startedAt.key, resume_token: startedAt.resumeToken._data },
    ]);

    await sink.startStreamAt(makePosition(tokenAt(T + 500, 1)));
    expect(sink.storedPosition()?.key).toBe(startedAt.key);
    const reopened = await openSink();
    expect(reopened.storedPosition()?.key).toBe(startedAt.key);
    await reopened.startStreamAt(makePosition(tokenAt(T + 600, 1)));
    expect(await query(url, "SELECT position FROM tributary.positions")).toEqual([{ position: startedAt.key }]);

    // Streaming continues from there: the next batch advances the stored position.
    const next = makeEvent({ op: "insert", ns, id: 1, doc: { _id: 1 }, t: T + 1 });
    await reopened.apply({ events: [next], position: next.position });
    expect(await query(url, "SELECT position FROM tributary.positions")).toEqual([{ position: next.position.key }]);
  });

  it("keeps a position stored by another process since this one opened", async () => {
    const sink = await openSink();
    const other = await openSink();
    const streamed = makeEvent({ op: "insert", ns, id: 1, doc: { _id: 1 }, t: T - 10 });
    await other.apply({ events: [streamed], position: streamed.position });
    await sink.startStreamAt(startedAt);
    expect(sink.storedPosition()?.key).toBe(streamed.position.key);
    expect(await query(url, "SELECT position FROM tributary.positions")).toEqual([{ position: streamed.position.key }]);
  });
});

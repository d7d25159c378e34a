import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retryConfig } from "../../../src/cli/dead-letters-retry.js";
import { configFromFlags } from "../../../src/cli/sync-options.js";
import { keyText } from "../../../src/codec/key-text.js";
import { silentLogger } from "../../../src/core/logger.js";
import { makePosition } from "../../../src/core/position.js";
import { buildPipelineSinks } from "../../../src/runtime/pipeline-sinks.js";
import { retryDeadLetters, type CurrentDocuments } from "../../../src/runtime/retry-dead-letters.js";
import { selectDeadLetters, settleRetriedDeadLetters } from "../../../src/sinks/postgres/dead-letter-admin.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { makeSink, observedSink, query } from "../../support/postgres-sink-fixture.js";
import { createDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
let sink: PostgresSink;

/**
 * MongoDB as it is now, for the retry: documents by `_id` (ids it has not are left out, as `$in`
 * leaves them), in groups of `perGroup` as MongoDB's batches would hand them out; `log` tells
 * each group read, in order.
 */
function documentsNow(docs: readonly Document[], perGroup = Number.POSITIVE_INFINITY): CurrentDocuments & { asked: unknown[][]; log: string[] } {
  const asked: unknown[][] = [];
  const log: string[] = [];
  return {
    asked,
    log,
    startPosition: () => Promise.resolve(makePosition(tokenAt(1_800_000_000, 1))),
    async *readIds(_namespace, ids) {
      asked.push([...ids]);
      const wanted = new Set(ids.map(keyText));
      const found = docs.filter((doc) => wanted.has(keyText(doc._id)));
      for (let start = 0; start < found.length; start += perGroup) {
        const group = found.slice(start, start + perGroup);
        log.push(`read ${group.map((doc) => keyText(doc._id)).join(" ")}`);
        yield await Promise.resolve(group);
      }
    },
  };
}

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "dead_letter_retry");
  sink = makeSink(url);
  await sink.open();
  // As a sync leaves it: 4 written, then its update set aside (the target keeps the older 4); 2, 3 and other.9 set aside.
  const first = [makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }), makeEvent({ op: "insert", ns: "shop.orders", id: 4, doc: { _id: 4, v: "old" } })];
  await sink.apply({ events: first, position: first[1]!.position });
  const events = [
    makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2, note: "a\u0000b" } }),
    makeEvent({ op: "insert", ns: "shop.orders", id: "three", doc: { _id: "three", note: "a\u0000b" } }),
    makeEvent({ op: "replace", ns: "shop.orders", id: 4, doc: { _id: 4, note: "a\u0000b" } }),
    makeEvent({ op: "insert", ns: "shop.other", id: 9, doc: { _id: 9, note: "a\u0000b" } }),
  ];
  await sink.apply({ events, position: events.at(-1)!.position });
});

afterAll(async () => {
  await sink.close();
});

describe("retrying dead letters through the PostgreSQL sink", () => {
  it("writes the documents as they are now, deletes what is gone, sets aside again what still does not fit, and removes only the retried rows", async () => {
    const positionBefore = await query(url, "SELECT position FROM tributary.positions");
    expect(await query(url, "SELECT _id FROM public.shop_orders ORDER BY _id")).toEqual([{ _id: "1" }, { _id: "4" }]);
    const letters = await selectDeadLetters(url, "tributary", { pipeline: "test", collection: "shop.orders" });
    expect(letters.map((letter) => letter.key)).toEqual(["2", "three", "4"]);
    expect(await selectDeadLetters(url, "tributary", { pipeline: "other", collection: "shop.orders" })).toEqual([]);
    expect(await selectDeadLetters(url, "tributary", { pipeline: "test", olderThanMs: 86_400_000 })).toEqual([]);

    // Now: 2 fixed (and changed since it was set aside), "three" still holding a NUL, 4 deleted.
    const mongo = documentsNow([{ _id: 2, note: "fixed", v: 2 }, { _id: "three", note: "still a\u0000b" }, { _id: 7 }]);
    const settle = (namespace: string, retried: readonly (typeof letters)[number][]): Promise<number> => settleRetriedDeadLetters(url, "tributary", "test", namespace, retried);
    const outcome = await retryDeadLetters(letters, mongo, sink, settle);

    expect(outcome).toEqual({ letters: 3, documents: 3, written: 1, setAsideAgain: 1, gone: 1 });
    expect(mongo.asked).toEqual([[2, "three", 4]]);
    expect(await query(url, "SELECT _id, doc FROM public.shop_orders ORDER BY _id")).toEqual([
      { _id: "1", doc: { _id: 1 } },
      { _id: "2", doc: { _id: 2, note: "fixed", v: 2 } },
    ]);
    const left = await query<{ id: string; namespace: string; key: string }>(url, "SELECT id, namespace, key FROM tributary.dead_letters ORDER BY id");
    expect(left.map((row) => [row.namespace, row.key])).toEqual([
      ["shop.other", "9"],
      ["shop.orders", "three"],
    ]);
    expect(Number(left[1]!.id)).toBeGreaterThan(Math.max(...letters.map((letter) => letter.id)));
    // A batch with no position: the stream's stored position stays where the sync left it.
    expect(await query(url, "SELECT position FROM tributary.positions")).toEqual(positionBefore);
  });

  it("keeps a row the sync wrote after the retry read its document, and settles its dead letter", async () => {
    const late = [makeEvent({ op: "insert", ns: "shop.late", id: 5, doc: { _id: 5, note: "a\u0000b" } })];
    await sink.apply({ events: late, position: late[0]!.position });
    // The document's next change, written by the sync from a change after the retry's read (its position is at 1_800_000_000).
    const next = [makeEvent({ op: "replace", ns: "shop.late", id: 5, doc: { _id: 5, note: "by the sync" }, t: 1_800_000_001 })];
    await sink.apply({ events: next, position: next[0]!.position });
    const letters = await selectDeadLetters(url, "tributary", { pipeline: "test", collection: "shop.late" });
    expect(letters.map((letter) => letter.key)).toEqual(["5"]);
    const settle = (namespace: string, retried: readonly (typeof letters)[number][]): Promise<number> => settleRetriedDeadLetters(url, "tributary", "test", namespace, retried);
    await retryDeadLetters(letters, documentsNow([{ _id: 5, note: "as the retry read it" }]), sink, settle);
    expect(await query(url, "SELECT doc->>'note' AS note FROM public.shop_late")).toEqual([{ note: "by the sync" }]);
    expect(await selectDeadLetters(url, "tributary", { pipeline: "test", collection: "shop.late" })).toEqual([]);
  });

  it("retries a thousand keys at a time, writes each group MongoDB reads before reading the next, and settles each thousand once written", async () => {
    const keys = Array.from({ length: 1_003 }, (_, i) => i);
    const bad = keys.map((i) => makeEvent({ op: "insert", ns: "shop.many", id: i, doc: { _id: i, note: "a\u0000b" } }));
    await sink.apply({ events: bad, position: bad.at(-1)!.position });
    const letters = await selectDeadLetters(url, "tributary", { pipeline: "test", collection: "shop.many" });
    expect(letters).toHaveLength(1_003);
    // Now: every document fixed but the last, which is gone; read 400 to a group.
    const mongo = documentsNow(
      keys.slice(0, -1).map((i) => ({ _id: i, note: "fixed" })),
      400,
    );
    const settled: number[] = [];
    const settle = (namespace: string, retried: readonly (typeof letters)[number][]): Promise<number> => {
      settled.push(retried.length);
      mongo.log.push(`settle ${retried.length}`);
      return settleRetriedDeadLetters(url, "tributary", "test", namespace, retried);
    };
    const written = observedSink(sink, (batch) => mongo.log.push(`apply ${batch.events.length} ${batch.events[0]!.op}`));
    const outcome = await retryDeadLetters(letters, mongo, written, settle);

    expect(outcome).toEqual({ letters: 1_003, documents: 1_003, written: 1_002, setAsideAgain: 0, gone: 1 });
    expect(mongo.asked.map((ids) => ids.length)).toEqual([1_000, 3]);
    expect(settled).toEqual([1_000, 3]);
    expect(mongo.log.map((entry) => (entry.startsWith("read") ? `read ${entry.split(" ").length - 1}` : entry))).toEqual([
      "read 400",
      "apply 400 insert",
      "read 400",
      "apply 400 insert",
      "read 200",
      "apply 200 insert",
      "settle 1000",
      "read 2",
      "apply 2 insert",
      "apply 1 delete",
      "settle 3",
    ]);
    expect(await query(url, "SELECT count(*)::int AS n, count(*) FILTER (WHERE doc->>'note' = 'fixed')::int AS fixed FROM public.shop_many")).toEqual([{ n: 1_002, fixed: 1_002 }]);
    expect(await selectDeadLetters(url, "tributary", { pipeline: "test", collection: "shop.many" })).toEqual([]);
  });

  it("retries nothing and deletes nothing when the filters select nothing", async () => {
    const before = await query(url, "SELECT count(*)::int AS n FROM tributary.dead_letters");
    const letters = await selectDeadLetters(url, "tributary", { pipeline: "test", collection: "shop.none" });
    const outcome = await retryDeadLetters(letters, documentsNow([]), sink, () => Promise.reject(new Error("nothing to settle")));
    expect(outcome).toEqual({ letters: 0, documents: 0, written: 0, setAsideAgain: 0, gone: 0 });
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.dead_letters")).toEqual(before);
  });
});

describe("dead-letters retry with target.strict in the sync's config", () => {
  it("sets a document that still does not fit aside again, and writes the others of its batch", async () => {
    const strictUrl = await createDatabase(postgresUrl(), "dead_letter_retry_strict");
    const writer = makeSink(strictUrl);
    await writer.open();
    const events = [makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1, note: "a\u0000b" } }), makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2, note: "a\u0000b" } })];
    await writer.apply({ events, position: events[1]!.position });
    await writer.close();
    const file = join(await mkdtemp(join(tmpdir(), "tributary-retry-strict-")), "tributary.yml");
    // JSON is YAML. The pipeline is "test", as the fixture's sink wrote the dead letters.
    await writeFile(file, JSON.stringify({ name: "test", source: { uri: "mongodb://127.0.0.1:1/?replicaSet=rs0" }, target: { url: strictUrl, strict: true } }));
    const config = retryConfig(await configFromFlags({ config: file }));
    const { sinks } = await buildPipelineSinks(config, silentLogger(), process.cwd());
    const strictSink = sinks[0]!;
    await strictSink.open();
    try {
      const letters = await selectDeadLetters(strictUrl, "tributary", { pipeline: "test" });
      const settle = (namespace: string, retried: readonly (typeof letters)[number][]): Promise<number> => settleRetriedDeadLetters(strictUrl, "tributary", "test", namespace, retried);
      // Now: 1 fixed, 2 still holding a NUL.
      const outcome = await retryDeadLetters(letters, documentsNow([{ _id: 1, note: "fixed" }, { _id: 2, note: "still a\u0000b" }]), strictSink, settle);
      expect(outcome).toEqual({ letters: 2, documents: 2, written: 1, setAsideAgain: 1, gone: 0 });
      expect(await query(strictUrl, "SELECT _id, doc->>'note' AS note FROM public.shop_orders")).toEqual([{ _id: "1", note: "fixed" }]);
      expect((await selectDeadLetters(strictUrl, "tributary", { pipeline: "test" })).map((letter) => letter.key)).toEqual(["2"]);
    } finally {
      await strictSink.close();
    }
  });
});

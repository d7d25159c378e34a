import type { Document } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { makePosition } from "../../../src/core/position.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { PostgresSink, PostgresSinkOptions } from "../../../src/sinks/postgres/postgres-sink.js";
import { snapshotEvents } from "../../../src/snapshot/snapshot-events.js";
import { silentLogger } from "../../../src/core/logger.js";
import { runVerify } from "../../../src/verify/run-verify.js";
import type { Batch, HeldFingerprint } from "../../../src/core/sink.js";
import { FIRST_PAGE_ROWS, PAGE_CHARS } from "../../../src/sinks/postgres/verify/held-pages.js";
import { tokenAt } from "../../support/events.js";
import { postsExample } from "../../support/mapping-examples.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";
import { COPIED_AT, copied as copyOf, oid, orders, summary, VERIFY_NS, VERIFY_SETTINGS, VERIFY_TABLE, verifyWith, type VerifiableSink } from "../../support/verify-fixture.js";

const NS = VERIFY_NS;
const TABLE = VERIFY_TABLE;
const T = COPIED_AT;

let url: string;
const sinks: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "verify_postgres");
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

const copied = (source: SyntheticSnapshotSource, options: Partial<PostgresSinkOptions> = {}): Promise<VerifiableSink> => copyOf(url, source, sinks, options);
const verify = verifyWith;

describe("verify against PostgreSQL, raw mode", () => {
  it("finds a faithful copy equal, range by range", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(450) });
    const result = await verify(source, await copied(source));
    expect(summary(result)).toEqual({ equal: true, differences: [], expectedMissing: [] });
    expect(result).toMatchObject({ documents: 450, held: 450, ranges: 5, rangesChecked: 5, rangesDiffering: 0 });
  });

  it("reads both sides in chunks of at most 1000 documents, whatever the snapshot's chunk size", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(2500) });
    const sink = await copied(source);
    const asked: string[] = [];
    const readRange = source.readRange.bind(source);
    source.readRange = (namespace, range, chunkSize, signal) => {
      asked.push(`source ${chunkSize}`);
      return readRange(namespace, range, chunkSize, signal);
    };
    const verifiable = sink.capabilities.verifiable;
    const held = (namespace: string, chunkSize: number, signal?: AbortSignal): ReturnType<typeof verifiable.held> => {
      asked.push(`held ${chunkSize}`);
      return verifiable.held(namespace, chunkSize, signal);
    };
    const counting: VerifiableSink = Object.create(sink, { capabilities: { value: { ...sink.capabilities, verifiable: Object.create(verifiable, { held: { value: held } }) } } });
    const result = await verify(source, counting, { chunkSize: 5_000, rangeSize: 25_000 });
    expect(summary(result)).toEqual({ equal: true, differences: [], expectedMissing: [] });
    expect(new Set(asked)).toEqual(new Set(["source 1000", "held 1000"]));
    // Narrowing a difference down to its key reads with the same cap.
    asked.length = 0;
    await query(url, `DELETE FROM ${TABLE} WHERE _id = $1`, [oid(1_234).toHexString()]);
    const narrowed = await verify(source, counting, { chunkSize: 5_000, rangeSize: 25_000 });
    expect(summary(narrowed)).toMatchObject({ equal: false, differences: [`missing ${oid(1_234).toHexString()}`] });
    expect(narrowed.rangesDiffering).toBe(1);
    expect(new Set(asked)).toEqual(new Set(["source 1000", "held 1000"]));
    // A smaller chunk size is kept.
    asked.length = 0;
    await verify(source, counting, { chunkSize: 300, rangeSize: 25_000 });
    expect(new Set(asked)).toEqual(new Set(["source 300", "held 300"]));
  });

  it("narrows missing, extra and changed rows down to their keys and the first differing field", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(450) });
    const sink = await copied(source);
    await query(url, `DELETE FROM ${TABLE} WHERE _id = $1`, [oid(10).toHexString()]);
    await query(url, `INSERT INTO ${TABLE} (_id, doc, _cluster_time) VALUES ($1, '{"_id": {"$oid": "00000000000000000000ffff"}}', now())`, [oid(0xffff).toHexString()]);
    await query(url, `UPDATE ${TABLE} SET doc = jsonb_set(doc, '{address,city}', '"Nice"') WHERE _id = $1`, [oid(300).toHexString()]);
    await query(url, `UPDATE ${TABLE} SET doc = jsonb_set(doc, '{n}', '299') WHERE _id = $1`, [oid(200).toHexString()]);
    // Narrowed in groups of about one range (100 documents): one more scan of the table per group.
    const result = await verify(source, sink, { maxHeldWhileNarrowing: 100 });
    expect(summary(result)).toEqual({
      equal: false,
      differences: [`different ${oid(200).toHexString()} at n`, `different ${oid(300).toHexString()} at address.city`, `extra ${oid(0xffff).toHexString()}`, `missing ${oid(10).toHexString()}`],
      expectedMissing: [],
    });
    expect(result.rangesDiffering).toBeLessThanOrEqual(4);
    expect(result.recheck?.skipped).toMatch(/did not reach/);
  });

  it("counts a dead letter as expected-missing, apart from the differences", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: [...orders(20), { _id: oid(99), note: "nul \u0000 here" }] });
    const sink = await copied(source);
    expect(await query(url, "SELECT key FROM tributary.dead_letters")).toEqual([{ key: oid(99).toHexString() }]);
    const result = await verify(source, sink);
    expect(result.equal).toBe(true);
    expect(result.differences).toEqual([]);
    expect(result.expectedMissing).toEqual([{ key: oid(99).toHexString(), id: oid(99), reason: expect.stringMatching(/^the target refuses it: field "note": /) as unknown }]);
  });

  it("re-checks a key that changed while verify ran once the sync has passed that time, and reports it", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(120) });
    const sink = await copied(source);
    const changed = { ...orders(120)[5], item: "changed in MongoDB" } as Document;
    source.put(NS, changed);
    // The sync applies the change shortly after verify found it different.
    const sync = (async () => {
      for (let waited = 0; source.startPositionCalls < 2 && waited < 2_000; waited += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await sink.apply({ events: snapshotEvents(NS, [changed], makePosition(tokenAt(T + 500, 1))), position: makePosition(tokenAt(T + 500, 2)) });
    })();
    const result = await verify(source, sink, { settleTimeoutMs: 30_000 });
    await sync;
    expect(summary(result)).toEqual({ equal: true, differences: [], expectedMissing: [] });
    expect(result.recheck).toEqual({ keys: 1, resolved: [oid(6).toHexString()], changedDuringVerify: 0 });
  });

  it("repairs the differing keys through snapshot inserts and deletes, then finds them equal", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(250) });
    const sink = await copied(source);
    await query(url, `DELETE FROM ${TABLE} WHERE _id = $1`, [oid(1).toHexString()]);
    // Written as of the copy (a repair leaves a row written after its read to the sync).
    await query(url, `INSERT INTO ${TABLE} (_id, doc, _cluster_time) VALUES ('gone', '{"_id": "gone"}', to_timestamp($1))`, [T]);
    await query(url, `UPDATE ${TABLE} SET doc = doc - 'tags' WHERE _id = $1`, [oid(250).toHexString()]);
    const result = await verify(source, sink, { repair: true });
    expect(result.repair).toEqual({ keys: 3, remaining: 0 });
    expect(result.equal).toBe(true);
    expect(summary(await verify(source, sink))).toEqual({ equal: true, differences: [], expectedMissing: [] });
  });

  it("repairs in the groups the source reads: each group written before the next is read, the deletes last", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(250) }, { idsPerGroup: 2 });
    const sink = await copied(source);
    for (const i of [1, 2, 3, 4, 5]) await query(url, `DELETE FROM ${TABLE} WHERE _id = $1`, [oid(i).toHexString()]);
    await query(url, `INSERT INTO ${TABLE} (_id, doc, _cluster_time) VALUES ('gone', '{"_id": "gone"}', to_timestamp($1))`, [T]);
    const log: string[] = [];
    const readIds = source.readIds.bind(source);
    source.readIds = async function* (namespace, ids) {
      for await (const group of readIds(namespace, ids)) {
        log.push(`read ${group.length}`);
        yield group;
      }
    };
    const apply = sink.apply.bind(sink);
    const logged = async (batch: Batch, signal?: AbortSignal): Promise<void> => {
      await apply(batch, signal);
      log.push(`apply ${batch.events.length} ${batch.events[0]?.op ?? ""}`);
    };
    const result = await verify(source, Object.create(sink, { apply: { value: logged } }) as VerifiableSink, { repair: true });
    expect(result.repair).toEqual({ keys: 6, remaining: 0 });
    const repair = log.slice(log.indexOf("apply 2 insert") - 1, log.lastIndexOf("apply 1 delete") + 1);
    expect(repair).toEqual(["read 2", "apply 2 insert", "read 2", "apply 2 insert", "read 1", "apply 1 insert", "apply 1 delete"]);
    expect(summary(await verify(source, sink))).toEqual({ equal: true, differences: [], expectedMissing: [] });
  });

  it("repairs a key the sync wrote after the repair read it no further: the sync's row stays, and the key still differs", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(250) });
    const sink = await copied(source);
    // An older row, and a row the sync wrote from a change later than anything the repair reads.
    await query(url, `UPDATE ${TABLE} SET doc = doc - 'tags' WHERE _id = $1`, [oid(7).toHexString()]);
    await query(url, `UPDATE ${TABLE} SET doc = doc || '{"by": "the sync"}', _cluster_time = to_timestamp($2) WHERE _id = $1`, [oid(8).toHexString(), T + 86_400]);
    const result = await verify(source, sink, { repair: true });
    expect(result.repair).toEqual({ keys: 2, remaining: 1 });
    expect(result.differences.map((difference) => difference.key)).toEqual([oid(8).toHexString()]);
    expect(await query(url, `SELECT doc->>'by' AS by FROM ${TABLE} WHERE _id = $1`, [oid(8).toHexString()])).toEqual([{ by: "the sync" }]);
  });
});

describe("the copy read back for verify, in pages", () => {
  const pagesOf = async (sink: VerifiableSink, chunkSize: number): Promise<HeldFingerprint[][]> => {
    const pages: HeldFingerprint[][] = [];
    for await (const page of sink.capabilities.verifiable.held(NS, chunkSize)) pages.push(page);
    return pages;
  };

  it("reads documents of a megabyte a few at a time, each page about 16 MiB of text at most", async () => {
    const docs = orders(30).map((doc, n) => ({ ...doc, blob: `${n}`.padEnd(1_000_000, "x") }));
    const source = new SyntheticSnapshotSource({ [NS]: docs });
    const pages = await pagesOf(await copied(source), 1_000);
    expect(pages[0]).toHaveLength(FIRST_PAGE_ROWS);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) expect(page.reduce((sum, row) => sum + row.canonical.length, 0)).toBeLessThanOrEqual(PAGE_CHARS);
    expect(pages.flat().map((row) => row.key)).toEqual(docs.map((_, n) => oid(n + 1).toHexString()));
  });

  it("cuts a page once its text passes 16 MiB when the rows grow from a kilobyte to a megabyte within it", async () => {
    // In key order: 30 small documents, then 30 of a megabyte; the page after the first is sized by small rows.
    const docs = orders(60).map((doc, n) => (n < 30 ? doc : { ...doc, blob: `${n}`.padEnd(1_000_000, "x") }));
    const source = new SyntheticSnapshotSource({ [NS]: docs });
    const pages = await pagesOf(await copied(source), 1_000);
    const largest = Math.max(...pages.flat().map((row) => row.canonical.length));
    for (const page of pages) expect(page.reduce((sum, row) => sum + row.canonical.length, 0)).toBeLessThanOrEqual(PAGE_CHARS + largest);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.flat().map((row) => row.key)).toEqual(docs.map((_, n) => oid(n + 1).toHexString()));
  });

  it("reads documents of a kilobyte chunkSize at a time after a first small page, every row once", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(2_500) });
    const pages = await pagesOf(await copied(source), 1_000);
    expect(pages.map((page) => page.length)).toEqual([FIRST_PAGE_ROWS, 1_000, 1_000, 2_500 - FIRST_PAGE_ROWS - 2_000]);
    expect(new Set(pages.flat().map((row) => row.key)).size).toBe(2_500);
  });
});

describe("verify against PostgreSQL, the collections asked for", () => {
  it("verifies only the collections the predicate takes (verify.collections)", async () => {
    const source = new SyntheticSnapshotSource({ [NS]: orders(30), "shop.items": orders(20) });
    const sink = await copied(source);
    await query(url, "TRUNCATE public.shop_items");
    const run = (collections?: (namespace: string) => boolean) =>
      runVerify({ source, sinks: [sink], settings: VERIFY_SETTINGS, ...(collections ? { collections } : {}), logger: silentLogger(), signal: new AbortController().signal });
    expect((await run((namespace) => namespace === NS)).collections.map((each) => [each.namespace, each.equal])).toEqual([[NS, true]]);
    expect((await run()).collections.map((each) => [each.namespace, each.equal])).toEqual([
      ["shop.items", false],
      [NS, true],
    ]);
  });
});

describe("verify against PostgreSQL, inferred mapping", () => {
  it("compares the columns and child tables the inferred mapping made, misfits kept in the catch-all column included", async () => {
    const docs = [...orders(150), { _id: oid(999), n: "not a number", item: "misfit", tags: [], address: { city: "Oslo" } }];
    const source = new SyntheticSnapshotSource({ [NS]: docs });
    const sink = await copied(source, { inferMapping: true });
    expect(summary(await verify(source, sink))).toEqual({ equal: true, differences: [], expectedMissing: [] });
    const [table] = await query<{ name: string }>(url, "SELECT table_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'address_city'");
    await query(url, `UPDATE public.${table?.name ?? "missing"} SET address_city = 'Nice' WHERE item = 'item-42'`);
    const result = await verify(source, sink);
    expect(summary(result)).toEqual({ equal: false, differences: [`different ${oid(43).toHexString()} at ${table?.name ?? ""}.address_city`], expectedMissing: [] });
  });
});

describe("verify against PostgreSQL, relational mode", () => {
  const POSTS = "my_mongo_database.posts";

  function posts(count: number): Document[] {
    return Array.from({ length: count }, (_, n) => ({
      _id: `post-${String(n).padStart(3, "0")}`,
      content: `content ${n}`,
      comments: Array.from({ length: n % 3 }, (__, c) => ({ user: `u${c}`, comment: `comment ${c} on ${n}` })),
    }));
  }

  it("matches a row whose text key reads as another _id type (24 hex digits: an ObjectId) with its document, across narrowing groups", async () => {
    const hexString = "65f1c0ffee0000000000abcd";
    const source = new SyntheticSnapshotSource({ [POSTS]: [...posts(230), { _id: hexString, content: "a string _id of 24 hex digits", comments: [] }] });
    const sink = await copied(source, { mapping: parseMapping("mappings.json", postsExample, { defaultSchema: "public" }) });
    // The row is tallied in the ObjectId range, its document in the first string range: both ranges differ.
    const result = await verify(source, sink, { maxHeldWhileNarrowing: 100 }, POSTS);
    expect(summary(result)).toEqual({ equal: true, differences: [], expectedMissing: [] });
    expect(result.rangesDiffering).toBe(2);
  });

  it("compares mapped columns and child rows, and finds a changed or missing child row", async () => {
    const source = new SyntheticSnapshotSource({ [POSTS]: posts(230) });
    const sink = await copied(source, { mapping: parseMapping("mappings.json", postsExample, { defaultSchema: "public" }) });
    expect(summary(await verify(source, sink, {}, POSTS))).toEqual({ equal: true, differences: [], expectedMissing: [] });
    await query(url, "UPDATE public.comments SET comment = 'edited' WHERE post_id = 'post-002' AND _ordinal = 1");
    await query(url, "DELETE FROM public.comments WHERE post_id = 'post-101' AND _ordinal = 0");
    await query(url, "UPDATE public.posts SET description = 'x' WHERE id = 'post-150'");
    const result = await verify(source, sink, {}, POSTS);
    expect(summary(result)).toEqual({
      equal: false,
      differences: ["different post-002 at comments.1.comment", "different post-101 at comments.0._ordinal", "different post-150 at posts.description"],
      expectedMissing: [],
    });
  });
});

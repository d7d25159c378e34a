import type { Document } from "mongodb";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { makePosition } from "../../../src/core/position.js";
import { planBatch, type RowChanges } from "../../../src/sinks/postgres/coalesce.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import { extractChanges, writeExtractedRowsKeepingNewer } from "../../../src/sinks/postgres/relational/relational-row-writer.js";
import type { PostgresSink, PostgresSinkOptions } from "../../../src/sinks/postgres/postgres-sink.js";
import { snapshotDeletes, snapshotEvents } from "../../../src/snapshot/snapshot-events.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { postsExample } from "../../support/mapping-examples.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { waitFor } from "../../support/wait-for.js";

// `verify --repair` and `dead-letters retry` copy documents again beside a running sync: they
// read a document at or after a cluster time (their position), and the sync may write a later
// change of it before they write. Their batch says so (`keepNewer`): a row written from a change
// of that second or later stays, with its child rows; so does a row their deletes would remove.

let url: string;
const open: PostgresSink[] = [];
const NS = "my_mongo_database.posts";
/** The cluster time (seconds) the re-copy read its documents at. */
const AT = 1_800_000_000;

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_keep_newer");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

function post(id: string, content: string): Document {
  return { _id: id, content, comments: [{ user: "ann", comment: `${content} 1` }, { user: "bob", comment: `${content} 2` }] };
}

/** What the sync wrote: a and e after the re-copy's read, b in its second, c and d before it. */
async function syncWrites(sink: PostgresSink): Promise<void> {
  const events = [
    makeEvent({ op: "insert", ns: NS, id: "c", doc: post("c", "older"), t: AT - 100 }),
    makeEvent({ op: "insert", ns: NS, id: "d", doc: post("d", "older"), t: AT - 100 }),
    makeEvent({ op: "insert", ns: NS, id: "b", doc: post("b", "same second"), t: AT }),
    makeEvent({ op: "insert", ns: NS, id: "a", doc: post("a", "newer"), t: AT + 100 }),
    makeEvent({ op: "insert", ns: NS, id: "e", doc: post("e", "newer"), t: AT + 100 }),
  ];
  await sink.apply({ events, position: events.at(-1)!.position });
}

/** The re-copy: a, b and c as it read them, d and e gone from MongoDB when it read. */
async function recopy(sink: PostgresSink): Promise<void> {
  const at = makePosition(tokenAt(AT, 1));
  await sink.apply({ events: [...snapshotEvents(NS, ["a", "b", "c"].map((id) => post(id, "re-copied")), at), ...snapshotDeletes(NS, ["d", "e"], at)], keepNewer: true });
}

const EXPECTED = [
  ["a", "newer"],
  ["b", "same second"],
  ["c", "re-copied"],
  ["e", "newer"],
];

async function sinkWith(options: Partial<PostgresSinkOptions>): Promise<PostgresSink> {
  const sink = makeSink(url, options);
  open.push(sink);
  await sink.open();
  return sink;
}

describe("a batch that keeps newer rows (keepNewer: verify --repair, dead-letters retry)", () => {
  it("raw tables: keeps rows written from a change of the batch's second or later, deletes and overwrites only older ones", async () => {
    const sink = await sinkWith({});
    await syncWrites(sink);
    await recopy(sink);
    const rows = await query<{ _id: string; content: string }>(url, "SELECT _id, doc->>'content' AS content FROM public.my_mongo_database_posts ORDER BY _id");
    expect(rows.map((row) => [row._id, row.content])).toEqual(EXPECTED);
  });

  it("a mapping file: a parent row kept keeps its child rows; a parent row overwritten gets the new ones", async () => {
    const sink = await sinkWith({ mapping: parseMapping("mappings.json", postsExample, { defaultSchema: "public" }) });
    await syncWrites(sink);
    await recopy(sink);
    const parents = await query<{ id: string; description: string }>(url, "SELECT id, description FROM public.posts ORDER BY id");
    expect(parents.map((row) => [row.id, row.description])).toEqual(EXPECTED);
    const children = await query<{ post_id: string; comment: string }>(url, "SELECT post_id, comment FROM public.comments ORDER BY post_id, comment");
    expect(children.map((row) => [row.post_id, row.comment])).toEqual(EXPECTED.flatMap(([id, content]) => [[id, `${content} 1`], [id, `${content} 2`]]));
  });

  it("an inferred mapping: the same, child rows included", async () => {
    const sink = await sinkWith({ inferMapping: true });
    await syncWrites(sink);
    await recopy(sink);
    const parents = await query<{ _id: string; content: string }>(url, "SELECT _id, content FROM public.posts ORDER BY _id");
    expect(parents.map((row) => [row._id, row.content])).toEqual(EXPECTED);
    const children = await query<{ parent: string; comment: string }>(url, "SELECT _parent_id AS parent, comment FROM public.posts_comments ORDER BY _parent_id, comment");
    expect(children.map((row) => [row.parent, row.comment])).toEqual(EXPECTED.flatMap(([id, content]) => [[id, `${content} 1`], [id, `${content} 2`]]));
  });

  it("a mapping file with integer keys and a copy of many documents (child rows by COPY): each key as its own row's time says", async () => {
    const mapping = {
      shop: {
        orders: { pk: "id", _id: { dest: "id", type: "BIGINT" }, status: { dest: "status", type: "TEXT" }, items: { dest: "order_items", type: "_ARRAY", fk: "order_id" } },
        order_items: { pk: "id", order_id: { dest: "order_id", type: "BIGINT" }, sku: { dest: "sku", type: "TEXT" } },
      },
    };
    const sink = await sinkWith({ mapping: parseMapping("mappings.json", mapping, { defaultSchema: "public" }) });
    const order = (id: number, status: string) => ({ _id: id, status, items: [{ sku: `${status}-${id}-a` }, { sku: `${status}-${id}-b` }] });
    const ids = Array.from({ length: 400 }, (_, index) => index + 1);
    // Odd keys written by the sync after the copy's read, even keys before it.
    const synced = ids.map((id) => makeEvent({ op: "insert", ns: "shop.orders", id, doc: order(id, "synced"), t: id % 2 === 1 ? AT + 1 : AT - 1 }));
    await sink.apply({ events: synced, position: synced.at(-1)!.position });
    await sink.apply({ events: snapshotEvents("shop.orders", ids.map((id) => order(id, "copied")), makePosition(tokenAt(AT, 1))), keepNewer: true });
    // bigint comes back as text.
    const parents = await query<{ id: string; status: string }>(url, "SELECT id, status FROM public.orders ORDER BY id");
    expect(parents).toEqual(ids.map((id) => ({ id: String(id), status: id % 2 === 1 ? "synced" : "copied" })));
    const children = await query<{ order_id: string; sku: string }>(url, "SELECT order_id, sku FROM public.order_items ORDER BY order_id, sku");
    expect(children).toEqual(ids.flatMap((id) => ["a", "b"].map((suffix) => ({ order_id: String(id), sku: `${id % 2 === 1 ? "synced" : "copied"}-${id}-${suffix}` }))));
  });

  for (const [layout, options] of [
    ["raw tables", {}],
    ["a mapping file", { mapping: parseMapping("mappings.json", postsExample, { defaultSchema: "public" }) }],
  ] as const) {
    it(`${layout}: a copied document that does not fit is set aside only when its row is older`, async () => {
      const sink = await sinkWith(options);
      await syncWrites(sink);
      const unfit = (id: string): Document => ({ _id: id, content: "a\u0000b" });
      await sink.apply({ events: snapshotEvents(NS, [unfit("a"), unfit("b"), unfit("c")], makePosition(tokenAt(AT, 1))), keepNewer: true });
      expect(await query(url, "SELECT key FROM tributary.dead_letters ORDER BY key")).toEqual([{ key: "c" }]);
    });
  }

  it("a plain snapshot batch (no keepNewer) still overwrites whatever the tables hold: the initial snapshot's stream replay converges", async () => {
    const sink = await sinkWith({});
    await syncWrites(sink);
    const at = makePosition(tokenAt(AT, 1));
    await sink.apply({ events: snapshotEvents(NS, [post("a", "re-copied")], at) });
    expect(await query(url, "SELECT doc->>'content' AS content FROM public.my_mongo_database_posts WHERE _id = 'a'")).toEqual([{ content: "re-copied" }]);
  });
});

describe("a repair and the sync writing one document at the same time", () => {
  const changesOf = (events: readonly ChangeEvent[]) => (planBatch(events)[0] as RowChanges).changes;
  const noRejection = (): Promise<void> => Promise.reject(new Error("nothing here is rejected"));
  // Child rows with a generated key (the posts example), and child rows keyed by an element's own field.
  const keyedComments = {
    my_mongo_database: {
      posts: { ...postsExample.my_mongo_database.posts },
      comments: { pk: "cid", cid: { dest: "cid", type: "TEXT" }, post_id: { dest: "post_id", type: "TEXT" }, user: { dest: "user", type: "TEXT" }, comment: { dest: "comment", type: "TEXT" } },
    },
  };
  const keyed = (doc: Document): Document => ({ ...doc, comments: (doc.comments as Document[]).map((comment, index) => ({ ...comment, cid: `${String(doc._id)}-${index}` })) });

  for (const [children, mappingFile, shape] of [
    ["a generated key", postsExample, (doc: Document) => doc],
    ["a key of their own", keyedComments, keyed],
  ] as const) {
    for (const held of ["an older row", "no row"]) {
      it(`child rows with ${children}: the sync's change waits for the repair, then replaces its child rows (the target held ${held})`, async () => {
        const mapping = parseMapping("mappings.json", mappingFile, { defaultSchema: "public" });
        const posts = mapping.collections.get(NS)!;
        const sink = await sinkWith({ mapping });
        const first = held === "no row" ? "other" : "x";
        await sink.apply({ events: [makeEvent({ op: "insert", ns: NS, id: first, doc: shape(post(first, "older")), t: AT - 100 })], position: makePosition(tokenAt(AT - 100, 9)) });
        const [repair, watcher] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
        await Promise.all([repair.connect(), watcher.connect()]);
        let synced: Promise<void> | undefined;
        try {
          await repair.query("BEGIN");
          const recopied = snapshotEvents(NS, [shape(post("x", "re-copied"))], makePosition(tokenAt(AT, 1)));
          await writeExtractedRowsKeepingNewer(repair, posts, extractChanges(posts, changesOf(recopied)), noRejection);
          // The sync's change, through the sink as the sync applies one (one round trip).
          const change = makeEvent({ op: "replace", ns: NS, id: "x", doc: shape(post("x", "newer")), t: AT + 100 });
          synced = sink.apply({ events: [change], position: change.position });
          const waiting = async () => (await watcher.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rowCount === 1;
          await Promise.race([
            waitFor(waiting, "the sync's transaction waiting on the repair's lock", 10_000),
            synced.then(() => Promise.reject(new Error("the sync's change did not wait for the repair"))),
          ]);
          await repair.query("COMMIT");
          await synced;
        } finally {
          await Promise.all([repair.end(), watcher.end()]);
          await synced?.catch(() => undefined);
        }
        expect(await query(url, "SELECT description FROM public.posts WHERE id = 'x'")).toEqual([{ description: "newer" }]);
        expect(await query(url, "SELECT comment FROM public.comments WHERE post_id = 'x' ORDER BY comment")).toEqual([{ comment: "newer 1" }, { comment: "newer 2" }]);
      });
    }
  }
});

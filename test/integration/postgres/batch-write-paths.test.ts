// A batch of many changes (COPY into a staging table and a merge, child rows by COPY), a batch of
// a few (one round trip of queued statements; rows as JSON, or as a parameter per value when
// there are at most 4) and a change per batch must leave the tables exactly alike, raw or mapped:
// the ways a batch is written differ only in speed.

import { Decimal128, Double, Int32, Long, type Document } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { inferMapping } from "../../../src/sinks/postgres/mapping/infer/infer-mapping.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { COPY_FROM_ROWS } from "../../../src/sinks/postgres/copy-text.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { realisticDocuments } from "../../support/realistic-documents.js";
import { postgresUrl } from "../../support/requirements.js";

const NS = "shop.orders";
const T = 1_700_000_000;
let url: string;
const sinks: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "relational_batch_paths");
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

const documents = realisticDocuments(COPY_FROM_ROWS + 50);
/** Documents changed again after their inserts: enough for a batch of their own to take the COPY path. */
const LATER = COPY_FROM_ROWS + 40;
const mapping = parseMapping("mappings.json", inferMapping(new Map([[NS, documents]])), { defaultSchema: "public" });

/** Inserts of every document, then most of them replaced (other items, a tab and a backslash) or deleted, and a document set aside. */
function changes(): ChangeEvent[] {
  const inserts = documents.map((doc, i) => makeEvent({ op: "insert", ns: NS, id: doc._id, doc, t: T + i }));
  const later = documents.slice(0, LATER).map((doc, i): ChangeEvent => {
    const t = T + documents.length + i;
    if (i % 10 === 0) return makeEvent({ op: "delete", ns: NS, id: doc._id, t });
    const items = i % 3 === 1 ? [] : [{ line: new Int32(1), sku: "new\tsku\\", quantity: new Int32(2), price: Decimal128.fromString("1.50") }];
    const doc2: Document = { ...doc, items, total: new Double(i), views: Long.fromNumber(i), notes: `updated ${i}` };
    return makeEvent({ op: "replace", ns: NS, id: doc._id, doc: doc2, t });
  });
  const misfit = makeEvent({ op: "insert", ns: NS, id: "misfit", doc: { _id: "misfit", number: "not a number" }, t: T + 10_000 });
  return [...inserts, ...later, misfit];
}

async function tables(mode: Mode): Promise<unknown> {
  if (mode === "raw") {
    return {
      orders: await query(url, "SELECT _id, doc, _cluster_time FROM public.shop_orders ORDER BY _id"),
      deadLetters: await query(url, "SELECT key, field FROM tributary.dead_letters ORDER BY key"),
    };
  }
  const strip = (table: string): Promise<unknown[]> => query(url, `SELECT to_jsonb(t) - '_synced_at' - '_row_id' AS row FROM public.${table} t ORDER BY (to_jsonb(t) - '_synced_at' - '_row_id')::text`).then((rows) => rows.map((row) => row.row));
  return {
    orders: await strip("orders"),
    items: await strip("orders_items"),
    deadLetters: await query(url, "SELECT key, field FROM tributary.dead_letters ORDER BY key"),
  };
}

type Mode = "raw" | "mapping";

async function applyInBatches(mode: Mode, size: number): Promise<unknown> {
  const sink = makeSink(url, mode === "raw" ? {} : { mapping });
  sinks.push(sink);
  await sink.open();
  const events = changes();
  for (let i = 0; i < events.length; i += size) {
    const batch = events.slice(i, i + size);
    await sink.apply({ events: batch, position: batch.at(-1)!.position });
  }
  const result = await tables(mode);
  await sink.close();
  sinks.splice(0);
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
  return result;
}

describe("batches, large, small and of one change", () => {
  it("leave the same rows, child rows and dead letters with a mapping file", async () => {
    // The inserts in one batch, then the later changes in another: both past COPY_FROM_ROWS.
    const large = await applyInBatches("mapping", documents.length);
    const small = await applyInBatches("mapping", Math.floor(COPY_FROM_ROWS / 4));
    expect(large).toEqual(small);
    const one = await applyInBatches("mapping", 1);
    expect(one).toEqual(small);
    // Batches of a few: their parent rows, and child rows up to 4, as a parameter per value; more child rows as JSON.
    expect(await applyInBatches("mapping", 3)).toEqual(small);
    expect((large as { orders: unknown[] }).orders).toHaveLength(documents.length - Math.ceil(LATER / 10));
    expect((large as { deadLetters: unknown[] }).deadLetters).toEqual([{ key: "misfit", field: "number" }]);
  });

  it("leave the same rows in raw mode", async () => {
    const large = await applyInBatches("raw", documents.length);
    const small = await applyInBatches("raw", Math.floor(COPY_FROM_ROWS / 4));
    expect(large).toEqual(small);
    expect(await applyInBatches("raw", 1)).toEqual(small);
    // The misfit of the mapping fits a jsonb column.
    expect((large as { orders: unknown[] }).orders).toHaveLength(documents.length - Math.ceil(LATER / 10) + 1);
  });
});

describe("a batch of many insert events", () => {
  /** Counts the statements that could update the table (an INSERT … ON CONFLICT DO UPDATE fires UPDATE statement triggers; a COPY does not). */
  async function countMerges(table: string): Promise<() => Promise<number>> {
    await query(
      url,
      `CREATE TABLE public.merges (n int NOT NULL);
       CREATE FUNCTION count_merge() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.merges VALUES (1); RETURN NULL; END $$;
       CREATE TRIGGER count_merge AFTER UPDATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION count_merge();`,
    );
    return async () => Number((await query<{ n: string }>(url, "SELECT count(*) AS n FROM public.merges"))[0]?.n);
  }

  it.each<[Mode, string]>([
    ["raw", "public.shop_orders"],
    ["mapping", "public.orders"],
  ])("is copied straight into the %s tables, and merged when replayed after a restart lost its position", async (mode, table) => {
    const sink = makeSink(url, mode === "raw" ? {} : { mapping });
    sinks.push(sink);
    await sink.open();
    const [first, ...rest] = documents;
    await sink.apply({ events: [makeEvent({ op: "insert", ns: NS, id: first!._id, doc: first!, t: T })] });
    const merges = await countMerges(table);
    const inserts = rest.map((doc, i) => makeEvent({ op: "insert", ns: NS, id: doc._id, doc, t: T + 1 + i }));
    await sink.apply({ events: inserts });
    expect(await merges()).toBe(0);
    const copied = await tables(mode);

    // The same inserts again, some with other items: a key the table holds rolls the COPY back; the merge writes what the events say.
    const again = rest.map((doc, i) => makeEvent({ op: "insert", ns: NS, id: doc._id, doc: i % 2 === 0 ? { ...doc, items: [] } : doc, t: T + 1 + i }));
    await sink.apply({ events: again });
    expect(await merges()).toBeGreaterThan(0);
    const replayed = (await tables(mode)) as { orders: unknown[]; items?: unknown[] };
    expect(replayed.orders).toHaveLength(documents.length);
    if (mode === "mapping") {
      const items = (copied as { items: { _parent_id: string }[] }).items;
      const emptied = new Set(rest.filter((_, i) => i % 2 === 0).map((doc) => String(doc._id)));
      expect(replayed.items).toEqual(items.filter((row) => !emptied.has(row._parent_id)));
    } else {
      expect(replayed).not.toEqual(copied);
    }
  });

  it("is written the set-based way into a raw table whose BEFORE INSERT trigger keeps rows out, as the trigger fires there too", async () => {
    const sink = makeSink(url, {});
    sinks.push(sink);
    await sink.open();
    const [first, ...rest] = documents;
    await sink.apply({ events: [makeEvent({ op: "insert", ns: NS, id: first!._id, doc: first!, t: T })] });
    await query(
      url,
      `CREATE FUNCTION public.keep_odd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF (NEW.doc->>'number')::int % 2 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$;
       CREATE TRIGGER keep_odd BEFORE INSERT ON public.shop_orders FOR EACH ROW EXECUTE FUNCTION public.keep_odd()`,
    );
    const inserts = rest.map((doc, i) => makeEvent({ op: "insert", ns: NS, id: doc._id, doc, t: T + 1 + i }));
    await sink.apply({ events: inserts, position: inserts.at(-1)!.position });
    const numbers = (await query<{ n: number }>(url, "SELECT (doc->>'number')::int AS n FROM public.shop_orders ORDER BY 1")).map((row) => row.n);
    const odd = documents.map((doc) => Number(doc.number)).filter((n) => n % 2 !== 0);
    expect(numbers).toEqual([...new Set([Number(first!.number), ...odd])].sort((a, b) => a - b));
    expect(await query(url, "SELECT position FROM tributary.positions")).toEqual([{ position: inserts.at(-1)!.position.key }]);
  });
});

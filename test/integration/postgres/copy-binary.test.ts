// Proves that a raw table's rows loaded by COPY's binary format (a snapshot chunk, a streamed
// batch of inserts, the staging table of a large merge) are exactly the rows the set-based
// statement of a small batch writes (jsonb_to_recordset of the documents' JSON): the same key
// text, the same jsonb, the same cluster time, whatever the text holds and however large.

import { Binary, Decimal128, Long, ObjectId, type Document } from "mongodb";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeDocument } from "../../../src/codec/document-codec.js";
import { PIECE_BYTES } from "../../../src/sinks/postgres/copy-binary.js";
import { keyText } from "../../../src/codec/key-text.js";
import { BulkLoadDeclined } from "../../../src/sinks/postgres/bulk-load.js";
import { copyRawRows, mergeRawRows, type UpsertChange } from "../../../src/sinks/postgres/raw-copy.js";
import { RawLayout } from "../../../src/sinks/postgres/raw-layout.js";
import { writeRawRows } from "../../../src/sinks/postgres/raw-row-writer.js";
import type { RejectionHandler } from "../../../src/sinks/postgres/dead-letters.js";
import type { TableRef } from "../../../src/sinks/postgres/table-layout.js";
import { makeEvent } from "../../support/events.js";
import { postgresUrlInUtc } from "../../support/requirements.js";

let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: postgresUrlInUtc(), max: 1 });
});

afterAll(async () => {
  await pool.end();
});

/** Text that COPY's text format had to escape, or that takes more than one byte per character in UTF-8. */
const AWKWARD = ["tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "\\.", "quote'\"", "é ü ß", "日本語", "emoji 🦀 pair", ""];

/** A string of about `bytes` UTF-8 bytes: at three bytes a character, a bound of three per UTF-16 unit overestimates nothing. */
const wide = (bytes: number): string => "語".repeat(Math.ceil(bytes / 3));

const documents: { doc: Document; t: number }[] = [
  ...AWKWARD.map((text, i) => ({ doc: { _id: text === "" ? `key ${i}` : `key ${text}`, text, nested: { [text || "empty"]: [text] } }, t: 1_700_000_000 + i })),
  { doc: { _id: new ObjectId("65f1c0ffee0000000000abcd"), n: Long.fromString("9007199254740993"), d: Decimal128.fromString("0.1"), bin: new Binary(Buffer.from([0, 1, 2])) }, t: 1_700_000_100 },
  { doc: { _id: 7, at: new Date("1969-12-31T23:59:59.999Z") }, t: 1 }, // the smallest cluster time
  { doc: { _id: 8 }, t: 946_684_799 }, // the last second before PostgreSQL's epoch
  { doc: { _id: 9 }, t: 946_684_800 },
  { doc: { _id: 10 }, t: 4_294_967_295 }, // the largest cluster time
  // Larger than a piece (128 KiB): the first in UTF-16 units and in bytes, the second in bytes only.
  { doc: { _id: "big ascii", text: "x".repeat(300_000) }, t: 1_700_000_200 },
  { doc: { _id: "big wide", text: wide(200_000) }, t: 1_700_000_201 },
  ...Array.from({ length: 400 }, (_, i) => ({ doc: { _id: `many ${i}`, text: AWKWARD[i % AWKWARD.length], i }, t: 1_700_000_300 + i })),
];

function upserts(of: readonly { doc: Document; t: number }[]): UpsertChange[] {
  return of.map(({ doc, t }) => ({ kind: "upsert", key: keyText(doc._id), doc, event: makeEvent({ op: "insert", ns: "shop.orders", id: doc._id, doc, t }) }));
}

const rejected: string[] = [];
const onReject: RejectionHandler = (_client, _namespace, change) => {
  rejected.push(change.key);
  return Promise.resolve();
};

/** A fresh raw table in a schema of its own, written by `write`, read back as text. */
async function written(schema: string, write: (client: pg.PoolClient, ref: TableRef) => Promise<void>): Promise<Record<string, string>[]> {
  const client = await pool.connect();
  try {
    const ref = { namespace: "shop.orders", schema, table: "orders" };
    const layout = new RawLayout({ schema, tables: {}, onReject });
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    for (const statement of layout.createStatements(ref).required) await client.query(statement);
    await client.query("BEGIN");
    try {
      await write(client, ref);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    }
    const result = await client.query<Record<string, string>>(`SELECT _id, doc::text AS doc, _cluster_time::text AS cluster_time FROM "${schema}".orders ORDER BY _id COLLATE "C"`);
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    return result.rows;
  } finally {
    client.release();
  }
}

describe("raw rows by COPY's binary format", () => {
  let expected: Record<string, string>[];

  beforeAll(async () => {
    // Below COPY_FROM_ROWS changes per batch: jsonb_to_recordset of the documents' JSON.
    expected = await written("copy_binary_expected", async (client, ref) => {
      const all = upserts(documents);
      for (let from = 0; from < all.length; from += 100) await writeRawRows(client, ref, all.slice(from, from + 100), onReject);
    });
    expect(expected).toHaveLength(documents.length);
  });

  it("loads by a plain COPY what the set-based statement writes", async () => {
    expect(await written("copy_binary_plain", (client, ref) => copyRawRows(client, ref, upserts(documents), onReject))).toEqual(expected);
  });

  it("merges through the staging table what the set-based statement writes, over rows it replaces", async () => {
    const rows = await written("copy_binary_merge", async (client, ref) => {
      await copyRawRows(client, ref, upserts(documents.map(({ doc, t }) => ({ doc: { _id: doc._id, old: true }, t }))), onReject);
      await mergeRawRows(client, ref, upserts(documents), onReject);
    });
    expect(rows).toEqual(expected);
  });

  it("stores the cluster time's second exactly, before and after PostgreSQL's epoch", async () => {
    const rows = await written("copy_binary_times", (client, ref) => copyRawRows(client, ref, upserts(documents), onReject));
    const byKey = new Map(rows.map((row) => [row._id, row.cluster_time]));
    expect(byKey.get("7")).toBe("1970-01-01 00:00:01+00");
    expect(byKey.get("8")).toBe("1999-12-31 23:59:59+00");
    expect(byKey.get("9")).toBe("2000-01-01 00:00:00+00");
    expect(byKey.get("10")).toBe("2106-02-07 06:28:15+00");
  });

  it("declines the load into a table whose BEFORE INSERT trigger keeps rows out, which PostgreSQL does not count", async () => {
    const changes = upserts(["keep 1", "skip 1", "keep 2", "skip 2"].map((id, i) => ({ doc: { _id: id, i }, t: 1_700_000_000 + i })));
    await written("copy_binary_trigger", async (client, ref) => {
      await client.query(`CREATE FUNCTION copy_binary_trigger.keep_out() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW._id LIKE 'skip%' THEN RETURN NULL; END IF; RETURN NEW; END $$`);
      await client.query(`CREATE TRIGGER keep_out BEFORE INSERT ON copy_binary_trigger.orders FOR EACH ROW EXECUTE FUNCTION copy_binary_trigger.keep_out()`);
      const error = await copyRawRows(client, ref, changes, onReject).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BulkLoadDeclined);
      expect((error as Error).message).toBe("COPY into copy_binary_trigger.orders inserted 2 of 4 rows");
    });
  });

  // The writer's pieces are 128 KiB. The last row ending just before, at or just after a piece's
  // end leaves the trailer a piece of its own; a row may also start a piece and fill it exactly.
  // Every row must reach PostgreSQL (each COPY also checks its row count against the server's).
  describe("at the end of a piece", () => {
    const PIECE = PIECE_BYTES;
    /** A document whose row takes `bytes` bytes: field count (2), key (4 + 1), jsonb (4 + 1 + JSON), timestamp (4 + 8). */
    const sized = (key: string, bytes: number): { doc: Document; t: number } => {
      const empty = JSON.stringify(encodeDocument({ _id: key, text: "" }, { namespace: "shop.orders", key })).length;
      return { doc: { _id: key, text: "x".repeat(bytes - 2 - 5 - 5 - 12 - empty) }, t: 1_700_000_000 };
    };
    const loaded = async (schema: string, of: { doc: Document; t: number }[]): Promise<unknown[]> => {
      const rows = await written(schema, (client, ref) => copyRawRows(client, ref, upserts(of), onReject));
      return rows.map((row) => [row._id, (JSON.parse(row.doc ?? "{}") as { text: string }).text.length]);
    };

    it.each([-3, -2, -1, 0, 1, 2, 3])("loads a row ending %i bytes after it", async (offset) => {
      const only = sized("a", PIECE + offset - 19); // after the header (19)
      expect(await loaded(`copy_binary_edge_${offset + 3}`, [only])).toEqual([["a", (only.doc.text as string).length]]);
    });

    it("loads a row that starts a piece and fills it, after one ending a byte before the end of the first", async () => {
      const rows = [sized("a", PIECE - 1 - 19), sized("b", PIECE)];
      expect(await loaded("copy_binary_edge_full", rows)).toEqual(rows.map(({ doc }) => [doc._id, (doc.text as string).length]));
    });
  });

  it("sets aside a document jsonb cannot hold and loads the others, with no row for nothing", async () => {
    rejected.length = 0;
    const bad = upserts([
      { doc: { _id: "ok" }, t: 1 },
      { doc: { _id: "nul", text: "a\u0000b" }, t: 2 },
    ]);
    const rows = await written("copy_binary_rejects", async (client, ref) => {
      await copyRawRows(client, ref, bad, onReject);
      await mergeRawRows(client, ref, bad.slice(1), onReject);
    });
    expect(rows.map((row) => row._id)).toEqual(["ok"]);
    expect(rejected).toEqual(["nul", "nul"]);
  });
});

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BSON, type Document } from "mongodb";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";

/** The baseline's table: a key and the document, as a raw Tributary table has them. */
export const BARE_TABLE = "bench_raw";

const PIECE_CHARS = 64 * 1024;
const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * The bare snapshot baseline: documents → `BSON.EJSON.stringify` → one `COPY bench_raw (_id,
 * doc) FROM STDIN` into a jsonb table, in one transaction, and nothing else (no staging, no
 * upsert, no progress rows). Written without Tributary's code, so that it measures what the
 * drivers and PostgreSQL can do. Returns the rows copied.
 */
export async function bareCopy(url: string, documents: AsyncIterable<Document> | Iterable<Document>): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: "tributary bench baseline" });
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${BARE_TABLE} (_id text PRIMARY KEY, doc jsonb NOT NULL)`);
    let rows = 0;
    async function* lines(): AsyncGenerator<string> {
      let piece = "";
      for await (const doc of documents) {
        piece += `${escape(String(doc._id))}\t${escape(BSON.EJSON.stringify(doc))}\n`;
        rows += 1;
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = "";
        }
      }
      if (piece !== "") yield piece;
    }
    await client.query("BEGIN");
    await pipeline(Readable.from(lines()), client.query(copyFrom(`COPY ${BARE_TABLE} (_id, doc) FROM STDIN`)));
    await client.query("COMMIT");
    return rows;
  } finally {
    await client.end();
  }
}

/** A field of COPY's text format. */
function escape(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (char) => ESCAPES[char] ?? char);
}

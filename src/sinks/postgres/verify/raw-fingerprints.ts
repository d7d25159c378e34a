import type { PoolClient } from "pg";
import type { Document } from "../../../core/bson.js";
import type { ExpectedFingerprint, HeldFingerprint } from "../../../core/sink.js";
import { encodeDocument } from "../../../codec/document-codec.js";
import { keyText } from "../../../codec/key-text.js";
import { idFromKeyText } from "../../../codec/key-text-parse.js";
import { encodingRejection } from "../dead-letters.js";
import { qualifiedName } from "../sql.js";
import type { TableRef } from "../table-layout.js";
import { heldPages, withinBytes } from "./held-pages.js";

interface HeldRow {
  readonly key: string;
  readonly canonical: string;
  readonly cluster_time: Date;
}

/**
 * Raw mode's fingerprints. The canonical text of a document is PostgreSQL's own text of the
 * jsonb it stores: the source side sends the same lossless encoding the writer writes
 * (`encodeDocument`) and reads back `::jsonb::text`, so key order and number spelling are
 * jsonb's on both sides, and a document equals its row exactly when the texts are equal.
 */
export async function expectedRaw(client: PoolClient, docs: readonly Document[]): Promise<ExpectedFingerprint[]> {
  const encoded: (string | undefined)[] = [];
  const rejected = new Map<number, string>();
  for (const [index, doc] of docs.entries()) {
    try {
      encoded.push(JSON.stringify(encodeDocument(doc)));
    } catch (error) {
      const rejection = encodingRejection(error);
      if (!rejection) throw error;
      encoded.push(undefined);
      rejected.set(index, `field ${JSON.stringify(rejection.field)}: ${rejection.reason}`);
    }
  }
  const texts = encoded.filter((text): text is string => text !== undefined);
  const result = texts.length === 0 ? [] : (await client.query<{ canonical: string }>(`SELECT u.j::jsonb::text AS canonical FROM unnest($1::text[]) WITH ORDINALITY AS u(j, ord) ORDER BY u.ord`, [texts])).rows;
  let next = 0;
  return docs.map((doc, index) => {
    const key = keyText(doc._id);
    const reason = rejected.get(index);
    if (reason !== undefined) return { key, id: doc._id as unknown, rejected: reason };
    const canonical = result[next++]?.canonical ?? "";
    return { key, id: doc._id as unknown, canonical };
  });
}

/** The rows of a raw table in key order, in pages of at most `chunkSize` (see {@link heldPages}). */
export function heldRaw(connect: () => Promise<PoolClient>, ref: TableRef, chunkSize: number, signal?: AbortSignal): AsyncGenerator<HeldFingerprint[]> {
  const select = `SELECT _id AS key, doc::text AS canonical, _cluster_time AS cluster_time, _id AS page_order FROM ${qualifiedName(ref.schema, ref.table)}`;
  /** A page of the rows `where` takes, its limit of rows and of bytes the parameters numbered from `first`. */
  const page = (where: string, first: number): string => withinBytes(`${select} ${where} ORDER BY _id LIMIT $${first}`, "w.key, w.canonical, w.cluster_time", `$${first + 1}`);
  const readPage = async (client: PoolClient, after: string | null, limit: number, bytes: number): Promise<HeldFingerprint[]> => {
    // Two statements rather than `$1 IS NULL OR _id > $1`, so that each page is an index range scan.
    const result = after === null ? await client.query<HeldRow>(page("", 1), [limit, bytes]) : await client.query<HeldRow>(page("WHERE _id > $1", 2), [after, limit, bytes]);
    return result.rows.map(heldOf);
  };
  return heldPages(connect, readPage, chunkSize, signal);
}

/** What a raw table holds for these keys. */
export async function heldRawKeys(client: PoolClient, ref: TableRef, keys: readonly string[]): Promise<HeldFingerprint[]> {
  const result = await client.query<HeldRow>(`SELECT _id AS key, doc::text AS canonical, _cluster_time AS cluster_time FROM ${qualifiedName(ref.schema, ref.table)} WHERE _id = ANY($1::text[])`, [keys]);
  return result.rows.map(heldOf);
}

function heldOf(row: HeldRow): HeldFingerprint {
  return { key: row.key, id: idFromKeyText(row.key), canonical: row.canonical, clusterTime: row.cluster_time };
}

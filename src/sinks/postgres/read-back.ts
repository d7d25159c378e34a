import type { PoolClient } from "pg";
import { decodeDocument, type JsonValue } from "../../codec/document-codec.js";
import { keyText } from "../../codec/key-text.js";
import { splitNamespace } from "../../core/change-event.js";
import type { DatabaseEntries } from "./mapping/infer/collection-entries.js";
import { compileMapping } from "./mapping/compile-mapping.js";
import type { RelationalMapping, TableMapping } from "./mapping/table-mapping.js";
import { coerceValue } from "./mapping/value-coercion.js";
import { arrayParameter, qualifiedName, quoteIdent } from "./sql.js";
import type { TableRef } from "./table-layout.js";

/** A row read back, as the sink stores it: raw mode's `doc` decoded back to the document. @public */
export type StoredRow = Readonly<Record<string, unknown>>;

/** How a collection's ids are looked up in its (parent) table. */
export interface ReadBackTarget {
  readonly ref: TableRef;
  /** Relational mode: the parent table's mapping; raw mode without it. */
  readonly mapping?: TableMapping;
}

/** Where the mode of a sink keeps a collection: its mapping file, its inferred mapping, or raw. */
export interface ReadBackMappings {
  readonly schema: string;
  readonly mapping?: RelationalMapping;
  /** Inferred mode: the current inferred mapping entries of each collection. */
  readonly inferred?: ReadonlyMap<string, DatabaseEntries>;
}

const ORDINAL = "__tributary_read_back_ordinal";

/** The parent table mapping of a collection in relational or inferred mode; undefined in raw mode or when unmapped. */
export function tableMappingOf(namespace: string, mappings: ReadBackMappings): TableMapping | undefined {
  if (mappings.mapping) return mappings.mapping.collections.get(namespace);
  const entries = mappings.inferred?.get(namespace);
  if (!entries) return undefined;
  const { db } = splitNamespace(namespace);
  // The same compilation the inferred layout makes of its stored entries.
  return compileMapping(`the inferred mapping of ${namespace}`, { [db]: entries }, { defaultSchema: mappings.schema, keepMisfits: true }).mapping.collections.get(namespace);
}

/**
 * What a collection's table holds for these `_id`s, keyed by `keyText(_id)`: in raw mode `_id`,
 * `doc` (decoded back to the document, BSON types included), `_cluster_time` and `_synced_at`; in
 * relational mode the parent row's columns as PostgreSQL returns them. Ids it does not hold (or
 * that cannot be a key of the table's primary key type) are absent.
 */
export async function readBackRows(client: PoolClient, target: ReadBackTarget, ids: readonly unknown[]): Promise<Map<string, StoredRow>> {
  const found = new Map<string, StoredRow>();
  const keys: JsonValue[] = [];
  const texts: string[] = [];
  for (const id of ids) {
    const text = keyText(id);
    if (target.mapping) {
      const coerced = coerceValue(id, target.mapping.pk.type);
      if (!coerced.ok) continue;
      keys.push(coerced.value);
    } else keys.push(text);
    texts.push(text);
  }
  if (keys.length === 0) return found;
  const pkColumn = target.mapping ? quoteIdent(target.mapping.pk.column) : "_id";
  const pkType = target.mapping ? target.mapping.pk.type.sql : "text";
  const result = await client.query<Record<string, unknown>>(
    `SELECT k.ord AS ${quoteIdent(ORDINAL)}, t.* FROM unnest($1::${pkType}[]) WITH ORDINALITY AS k(id, ord)
     JOIN ${qualifiedName(target.ref.schema, target.ref.table)} AS t ON t.${pkColumn} = k.id`,
    [arrayParameter(keys, pkType)],
  );
  for (const { [ORDINAL]: ordinal, ...row } of result.rows) {
    const text = texts[Number(ordinal) - 1];
    if (text === undefined) continue;
    found.set(text, target.mapping ? row : { ...row, doc: decodeDocument(row.doc as JsonValue) });
  }
  return found;
}

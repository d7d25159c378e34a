import type { PoolClient } from "pg";
import type { Document } from "../../../core/bson.js";
import type { ExpectedFingerprint, HeldFingerprint } from "../../../core/sink.js";
import { keyText } from "../../../codec/key-text.js";
import { idFromKeyText } from "../../../codec/key-text-parse.js";
import type { ChildMapping, TableMapping } from "../mapping/table-mapping.js";
import { CLUSTER_TIME_COLUMN, ORDINAL_COLUMN } from "../relational/relational-ddl.js";
import { extractRows, isRejection, type Row } from "../relational/row-extractor.js";
import { qualifiedName, quoteIdent } from "../sql.js";
import type { TableRef } from "../table-layout.js";
import { heldPages, withinBytes } from "./held-pages.js";

interface Column {
  readonly name: string;
  readonly sql: string;
}

/** Which parent a row belongs to: the document's place in its chunk (source side) or the parent key (read back). */
const OWNER = "__tributary_owner";

/**
 * Relational mode's fingerprints (a mapping file or an inferred mapping). A document's canonical
 * text is its parent row's mapped columns and, per child table, its child rows (foreign key,
 * position, mapped columns; not a generated key), each row as PostgreSQL's jsonb text of the
 * columns as typed. The source side extracts the rows the writer would write (the same
 * `extractRows` and value coercion) and has PostgreSQL type them through the same
 * `jsonb_to_recordset`, so both sides are spelled by PostgreSQL alike. Bookkeeping columns
 * (`_cluster_time`, `_synced_at`) are left out.
 */
export async function expectedRelational(client: PoolClient, mapping: TableMapping, docs: readonly Document[]): Promise<ExpectedFingerprint[]> {
  const parents: Row[] = [];
  const children = new Map<ChildMapping, Row[]>(mapping.children.map((child) => [child, []]));
  const rejected = new Map<number, string>();
  for (const [index, doc] of docs.entries()) {
    const rows = extractRows(mapping, doc);
    if (isRejection(rows)) {
      rejected.set(index, `field ${JSON.stringify(rows.field)}: ${rows.reason}`);
      continue;
    }
    parents.push({ ...rows.row, [OWNER]: index });
    for (const [position, child] of rows.children.entries()) {
      const list = children.get(mapping.children[position] as ChildMapping);
      for (const row of child.rows) list?.push({ ...row, [OWNER]: index });
    }
  }
  const pk = quoteIdent(mapping.pk.column);
  const parentColumns = [...parentCanonicalColumns(mapping), { name: OWNER, sql: "integer" }];
  const parentRows = await typed(client, parentColumns, parents, `r.${pk}::text AS key`, parentCanonicalColumns(mapping));
  const childTexts = await Promise.all(
    mapping.children.map(async (child) => {
      const columns = [...childCanonicalColumns(child), { name: OWNER, sql: "integer" }];
      return groupByOwner(await typed(client, columns, children.get(child) ?? [], "NULL::text AS key", childCanonicalColumns(child), `r.${quoteIdent(OWNER)}, r.${quoteIdent(ORDINAL_COLUMN)}`));
    }),
  );
  const byOwner = new Map(parentRows.map((row) => [Number(row.owner), row]));
  return docs.map((doc, index) => {
    const id = doc._id as unknown;
    const reason = rejected.get(index);
    const row = byOwner.get(index);
    if (reason !== undefined || !row) return { key: keyText(id), id, rejected: reason ?? "no row" };
    return { key: row.key, id, canonical: canonicalText(mapping, row.canonical, childTexts.map((texts) => texts.get(String(index)) ?? [])) };
  });
}

/** The documents of a relational collection in key order, with their child rows, in pages of at most `chunkSize` parents (see {@link heldPages}). */
export function heldRelational(connect: () => Promise<PoolClient>, ref: TableRef, mapping: TableMapping, chunkSize: number, signal?: AbortSignal): AsyncGenerator<HeldFingerprint[]> {
  const pk = quoteIdent(mapping.pk.column);
  const readPage = (client: PoolClient, after: string | null, limit: number, bytes: number): Promise<HeldFingerprint[]> => {
    const page = `ORDER BY t.${pk} LIMIT ${limit}`;
    // Two forms rather than `$1 IS NULL OR pk > $1`, so that each page is an index range scan.
    return after === null ? heldWhere(client, ref, mapping, `true ${page}`, [], bytes) : heldWhere(client, ref, mapping, `t.${pk} > $1::${mapping.pk.type.sql} ${page}`, [after], bytes);
  };
  return heldPages(connect, readPage, chunkSize, signal);
}

/** What a relational collection holds for these keys (the primary key's text). */
export function heldRelationalKeys(client: PoolClient, ref: TableRef, mapping: TableMapping, keys: readonly string[]): Promise<HeldFingerprint[]> {
  return heldWhere(client, ref, mapping, `t.${quoteIdent(mapping.pk.column)} = ANY($1::text[]::${mapping.pk.type.sql}[])`, [keys]);
}

/**
 * The documents of the parent rows `where` takes, with their child rows; with `bytes`, a page of
 * them cut once the parent rows' text passes that many bytes (see `withinBytes`).
 */
async function heldWhere(client: PoolClient, ref: TableRef, mapping: TableMapping, where: string, parameters: unknown[], bytes?: number): Promise<HeldFingerprint[]> {
  const pk = quoteIdent(mapping.pk.column);
  const select = `SELECT t.${pk}::text AS key, ${rowText(parentCanonicalColumns(mapping), "t")} AS canonical, t.${quoteIdent(CLUSTER_TIME_COLUMN)} AS cluster_time, t.${pk} AS page_order
     FROM ${qualifiedName(ref.schema, ref.table)} AS t WHERE ${where}`;
  const parents = await client.query<{ key: string; canonical: string; cluster_time: Date }>(
    bytes === undefined ? select : withinBytes(select, "w.key, w.canonical, w.cluster_time", `$${parameters.length + 1}`),
    bytes === undefined ? parameters : [...parameters, bytes],
  );
  if (parents.rows.length === 0) return [];
  const keys = parents.rows.map((row) => row.key);
  const childTexts = await Promise.all(
    mapping.children.map(async (child) => {
      const fk = quoteIdent(child.fkColumn);
      const rows = await client.query<{ owner: string; canonical: string }>(
        `SELECT c.${fk}::text AS owner, ${rowText(childCanonicalColumns(child), "c")} AS canonical FROM ${qualifiedName(child.table.schema, child.table.table)} AS c
         WHERE c.${fk} = ANY($1::text[]::${child.fkType.sql}[]) ORDER BY c.${fk}, c.${quoteIdent(ORDINAL_COLUMN)}`,
        [keys],
      );
      return groupByOwner(rows.rows);
    }),
  );
  return parents.rows.map((row) => ({
    key: row.key,
    id: idFromKeyText(row.key),
    canonical: canonicalText(mapping, row.canonical, childTexts.map((texts) => texts.get(row.key) ?? [])),
    clusterTime: row.cluster_time,
  }));
}

/** Rows typed by PostgreSQL as the writer's `jsonb_to_recordset` types them, each with its canonical text. */
async function typed(client: PoolClient, definition: readonly Column[], rows: readonly Row[], key: string, canonical: readonly Column[], orderBy = `r.${quoteIdent(OWNER)}`): Promise<{ key: string; owner: string; canonical: string }[]> {
  if (rows.length === 0) return [];
  const columns = definition.map((column) => `${quoteIdent(column.name)} ${column.sql}`).join(", ");
  const result = await client.query<{ key: string; owner: string; canonical: string }>(
    `SELECT ${key}, r.${quoteIdent(OWNER)}::text AS owner, ${rowText(canonical, "r")} AS canonical FROM jsonb_to_recordset($1::jsonb) AS r(${columns}) ORDER BY ${orderBy}`,
    [JSON.stringify(rows)],
  );
  return result.rows;
}

/** The jsonb text of some columns of a row (a sub-select keeps it free of the 100-argument limit of `jsonb_build_object`). */
function rowText(columns: readonly Column[], alias: string): string {
  const selected = columns.map((column) => `${alias}.${quoteIdent(column.name)}`).join(", ");
  return `(SELECT to_jsonb(x) FROM (SELECT ${selected}) AS x)::text`;
}

function parentCanonicalColumns(mapping: TableMapping): Column[] {
  const columns = mapping.columns.map((column) => ({ name: column.column, sql: column.type.sql }));
  return mapping.extraColumn ? [...columns, { name: mapping.extraColumn, sql: "jsonb" }] : columns;
}

function childCanonicalColumns(child: ChildMapping): Column[] {
  const table = child.table;
  const own = parentCanonicalColumns(table).filter((column) => !(table.pk.generated && column.name === table.pk.column));
  return [{ name: child.fkColumn, sql: child.fkType.sql }, { name: ORDINAL_COLUMN, sql: "integer" }, ...own];
}

function groupByOwner(rows: readonly { owner: string; canonical: string }[]): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const row of rows) {
    const list = grouped.get(row.owner);
    if (list) list.push(row.canonical);
    else grouped.set(row.owner, [row.canonical]);
  }
  return grouped;
}

/** `{"<table>": <parent row>, "<child table>": [<rows in array order>], …}`: one JSON text per document. */
function canonicalText(mapping: TableMapping, parent: string, children: readonly (readonly string[])[]): string {
  const parts = [`${JSON.stringify(mapping.table)}:${parent}`];
  for (const [index, child] of mapping.children.entries()) parts.push(`${JSON.stringify(child.table.table)}:[${(children[index] ?? []).join(",")}]`);
  return `{${parts.join(",")}}`;
}

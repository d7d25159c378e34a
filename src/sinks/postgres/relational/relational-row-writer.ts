import pg from "pg";
import type { Statements } from "../statement-queue.js";
import { copiesExactly, copyRows, mergeThroughStage, parameterWriter } from "./copy-relational-rows.js";
import { COPY_FROM_ROWS } from "../copy-text.js";
import { mayCreateTempTables } from "../temp-tables.js";

import type { TableMapping } from "../mapping/table-mapping.js";
import { coerceValue } from "../mapping/value-coercion.js";
import type { RowChange } from "../coalesce.js";
import { arrayParameter, qualifiedName, quoteIdent } from "../sql.js";
import { deleteOlderStatement, ONLY_OVER_OLDER, rejectedUnlessNewer } from "../keep-newer.js";
import { withoutChildKeyChecks } from "./child-key-checks.js";
import { CLUSTER_TIME_COLUMN, SYNCED_AT_COLUMN } from "./relational-ddl.js";
import { childColumns, parentColumns, type RowColumn } from "./relational-columns.js";
import type { Rejection, RejectionHandler } from "../dead-letters.js";
import { extractRows, isRejection, type ExtractedRows, type Row } from "./row-extractor.js";

/** A batch's row changes of one collection, turned into rows, ready to be written. */
export interface ExtractedChanges {
  /** Keyed by the pk value: two `_id`s that map to one key (5 and "5" in a text column) must not reach one INSERT … ON CONFLICT twice; the later one wins, children included. */
  readonly upserts: ReadonlyMap<string, ExtractedRows>;
  /** Each delete's key in the pk column's type, and its change's cluster time (seconds). */
  readonly deletes: readonly { readonly key: unknown; readonly seconds: number }[];
  readonly rejected: readonly { readonly change: RowChange; readonly rejection: Rejection }[];
}

/** Extracts the rows of every change (no database work). */
export function extractChanges(mapping: TableMapping, changes: readonly RowChange[]): ExtractedChanges {
  const upserts = new Map<string, ExtractedRows>();
  const deletes: { key: unknown; seconds: number }[] = [];
  const rejected: { change: RowChange; rejection: Rejection }[] = [];
  for (const change of changes) {
    if (change.kind === "delete") {
      const key = changeKey(mapping, change);
      if (key.ok) deletes.push({ key: key.value, seconds: change.event.clusterTime.t });
      else rejected.push({ change, rejection: key.rejection });
      continue;
    }
    const extracted = extractRows(mapping, change.doc);
    if (isRejection(extracted)) {
      rejected.push({ change, rejection: extracted });
      continue;
    }
    extracted.row[CLUSTER_TIME_COLUMN] = change.event.clusterTime.t;
    upserts.set(JSON.stringify(extracted.row[mapping.pk.column]), extracted);
  }
  return { upserts, deletes, rejected };
}

/** A delete's key, in the pk column's type, into `keys`; or, when it cannot be one, the delete into `rejected`. */
export function sortDelete(mapping: TableMapping, change: RowChange, keys: unknown[], rejected: { change: RowChange; rejection: Rejection }[]): void {
  const key = changeKey(mapping, change);
  if (key.ok) keys.push(key.value);
  else rejected.push({ change, rejection: key.rejection });
}

/** A change's key in the pk column's type (mapped from `_id`), or why it cannot be one. */
function changeKey(mapping: TableMapping, change: RowChange): { ok: true; value: unknown } | { ok: false; rejection: Rejection } {
  // A delete carries only the document key.
  const key = coerceValue(change.event.key?._id ?? (change.kind === "upsert" ? change.doc._id : undefined), mapping.pk.type);
  return key.ok ? key : { ok: false, rejection: { field: "_id", reason: key.reason } };
}

/**
 * Writes coalesced row changes of one collection into its mapped tables, set-based: for the
 * parent table one delete and one upsert; for each child table one delete of the rows of every
 * touched parent, then one insert of the new rows. An updated document's children are thus
 * replaced in the same transaction; a deleted document's children go with it.
 */
export async function writeRelationalRows(client: Statements, mapping: TableMapping, changes: readonly RowChange[], onReject: RejectionHandler): Promise<void> {
  await writeExtractedRows(client, mapping, extractChanges(mapping, changes), onReject);
}

/**
 * {@link writeRelationalRows} for changes already extracted. The parent rows are written before
 * the child rows are replaced, as every writer of these tables does: the upsert locks the parent
 * row (an insert, its key), so a second writer of the same document (a repair beside the sync)
 * waits there, and its child rows' delete then sees what the first one committed. Deleting the
 * child rows first would see only what was committed when it began, and leave both writers' rows.
 */
export async function writeExtractedRows(client: Statements, mapping: TableMapping, extracted: ExtractedChanges, onReject: RejectionHandler): Promise<void> {
  for (const { change, rejection } of extracted.rejected) await onReject(client, mapping.source, change, rejection);
  const upserts = [...extracted.upserts.values()];
  await deleteParentRows(client, mapping, extracted.deletes.map((each) => each.key));
  if (upserts.length > 0) await upsert(client, mapping, upserts.map((rows) => rows.row));
  await deleteChildRows(client, mapping, upserts.map((rows) => rows.row[mapping.pk.column]));
  await insertChildRows(client, mapping, upserts);
}

/**
 * {@link writeExtractedRows} for a copy made beside a running sync (`TableLayout.writeKeepingNewer`):
 * a parent row strictly older than its change is deleted or overwritten, and only the documents
 * whose parent row was written get their child rows replaced; a newer row keeps its own, and a
 * document that does not fit is not set aside when its row is newer. The upsert locks every
 * parent row it meets, written or not, and the sync writes parent rows before child rows too
 * ({@link writeExtractedRows}), so it waits for this transaction before it touches the children.
 */
export async function writeExtractedRowsKeepingNewer(client: pg.ClientBase, mapping: TableMapping, extracted: ExtractedChanges, onReject: RejectionHandler): Promise<void> {
  const table = statementsOf(mapping).parent.name;
  const key = { column: mapping.pk.column, type: mapping.pk.type.sql };
  const keyOf = (change: RowChange): unknown => {
    const value = changeKey(mapping, change);
    return value.ok ? value.value : undefined;
  };
  for (const { change, rejection } of await rejectedUnlessNewer(client, table, key, extracted.rejected, keyOf)) await onReject(client, mapping.source, change, rejection);
  const { deletes } = extracted;
  if (deletes.length > 0) {
    await client.query(deleteOlderStatement(table, key.column, key.type), [arrayParameter(deletes.map((each) => each.key), key.type), deletes.map((each) => each.seconds)]);
  }
  const upserts = [...extracted.upserts.values()];
  if (upserts.length === 0) return;
  const written = await upsertOverOlder(client, mapping, upserts.map((rows) => rows.row));
  const writtenRows = upserts.filter((_, index) => written.has(index));
  await deleteChildRows(client, mapping, writtenRows.map((rows) => rows.row[mapping.pk.column]));
  await insertChildRows(client, mapping, writtenRows);
}

/**
 * The parent rows upserted unless the table holds their key from a change of the same second or
 * later; the indexes in `rows` of those written. The rows come back by their key, which
 * PostgreSQL compares in the key's own type (a uuid or a numeric key has more than one text).
 */
async function upsertOverOlder(client: pg.ClientBase, mapping: TableMapping, rows: readonly Row[]): Promise<Set<number>> {
  const { name, columns, upsertClause: conflict } = statementsOf(mapping).parent;
  // Positional names for the recordset's columns, and one for its ordinality: any mapped column name may be taken.
  const alias = (index: number): string => `c${index}`;
  const { names, selected, definition } = recordsetParts(columns, (_, index) => alias(index));
  const key = alias(columns.findIndex((column) => column.name === mapping.pk.column));
  const result = await client.query<{ n: string }>(
    `WITH r AS (SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${definition})) WITH ORDINALITY AS r(${columns.map((_, index) => alias(index)).join(", ")}, n)),
     written AS (INSERT INTO ${name} AS t (${names}) SELECT ${selected} FROM r${conflict}${ONLY_OVER_OLDER} RETURNING t.${quoteIdent(mapping.pk.column)} AS key)
     SELECT r.n FROM r JOIN written ON written.key = r.${key}`,
    [JSON.stringify(rows)],
  );
  return new Set(result.rows.map((row) => Number(row.n) - 1));
}

/** The child rows of these documents, inserted into each child table. */
async function insertChildRows(client: Statements, mapping: TableMapping, upserts: readonly ExtractedRows[]): Promise<void> {
  const childRows = new Map<TableMapping, Row[]>(mapping.children.map((child) => [child.table, []]));
  for (const rows of upserts) {
    for (const child of rows.children) appendRows(childRows.get(child.table), child.rows);
  }
  await withoutChildKeyChecks(client, mapping, childRows.values(), async () => {
    for (const child of statementsOf(mapping).children) {
      const rows = childRows.get(child.table) ?? [];
      if (rows.length > 0) await insertInto(client, child, rows, "");
    }
  });
}

/**
 * Inserts rows into `table` through `COPY` when there are enough of them to be worth it and the
 * statements run on a connection (a {@link StatementQueue} cannot carry a COPY), else through one
 * of the table's statements (which end in its suffix already): a parameter per value for a few
 * rows, their JSON through `jsonb_to_recordset` for more. `suffix` is that of the table's
 * statements: a COPY goes into a staging table and is merged with it (ON CONFLICT …) when there is
 * one (and the role may create temporary tables), straight into the table when there is none.
 */
export async function insertInto(client: Statements, table: TableStatements, rows: readonly Row[], suffix: string): Promise<void> {
  const { name, columns } = table;
  if (!(client instanceof pg.Client) || rows.length < COPY_FROM_ROWS || !copiesExactly(columns)) return insertStatement(client, table, rows);
  if (suffix === "") return copyRows(client, name, columns, rows);
  if (!(await mayCreateTempTables(client))) return insertStatement(client, table, rows);
  await mergeThroughStage(client, name, columns, rows, suffix);
}

async function upsert(client: Statements, mapping: TableMapping, rows: readonly Row[]): Promise<void> {
  const { parent } = statementsOf(mapping);
  await insertInto(client, parent, rows, parent.upsertClause);
}

/**
 * Rows up to which an insert names a parameter for each value (`INSERT … VALUES ($1, …), …`)
 * instead of sending the rows' JSON to `jsonb_to_recordset`: PostgreSQL then reads each value
 * once, where it parses the JSON and then each value's text. For one change sent alone with the
 * bench's mapping file (an order and its 1–4 items), about 20 µs less of PostgreSQL's time
 * (docs/benchmarks.md, fourteenth pass). A statement per row count is prepared on each
 * connection, so only the first few counts get one.
 */
const VALUES_ROWS = 4;

/** A table's quoted name, the columns its rows carry, and the statements that insert rows (made with the table's suffix: the parent's upsert clause). */
export interface TableStatements {
  readonly name: string;
  readonly columns: readonly RowColumn[];
  /** {@link recordsetInsert}: any number of rows. */
  readonly recordset: string;
  /** {@link valuesInsert} of 1 to {@link VALUES_ROWS} rows, by count (`[0]`: one row); none for columns that do not {@link copiesExactly}. */
  readonly values: readonly string[];
  /** A row's parameters for {@link TableStatements.values}. */
  readonly parameters: (row: Row) => (string | null)[];
}

/** What a batch's statements need of a collection's tables: the parent table's upsert, each child table's delete by parent key and insert. */
export interface MappingStatements {
  readonly parent: TableStatements & { readonly upsertClause: string };
  readonly children: readonly (TableStatements & { readonly table: TableMapping; readonly fkType: string; readonly deleteByParents: string })[];
}

const mappingStatements = new WeakMap<TableMapping, MappingStatements>();

/**
 * A mapping's statement texts, made once: a compiled mapping never changes (`compileMapping`
 * freezes it; an inferred mapping that evolves is a new object), and making them again for
 * every batch took a third of Node's time for a change sent alone (docs/benchmarks.md, seventh
 * pass).
 */
export function statementsOf(mapping: TableMapping): MappingStatements {
  let statements = mappingStatements.get(mapping);
  if (statements) return statements;
  const parent = { name: qualifiedName(mapping.schema, mapping.table), columns: parentColumns(mapping), upsertClause: upsertClause(mapping) };
  statements = {
    parent: { ...parent, ...insertStatements(parent.name, parent.columns, parent.upsertClause) },
    children: mapping.children.map((child) => {
      const name = qualifiedName(child.table.schema, child.table.table);
      const columns = childColumns(child);
      const deleteByParents = `DELETE FROM ${name} WHERE ${quoteIdent(child.fkColumn)} = ANY($1::${child.fkType.sql}[])`;
      return { table: child.table, name, columns, ...insertStatements(name, columns, ""), fkType: child.fkType.sql, deleteByParents };
    }),
  };
  mappingStatements.set(mapping, statements);
  return statements;
}

/** ` ON CONFLICT (pk) DO UPDATE SET …` of the parent table: every column but the key, and the sync time. */
function upsertClause(mapping: TableMapping): string {
  const updates = parentColumns(mapping)
    .filter((column) => column.name !== mapping.pk.column)
    .map((column) => `${quoteIdent(column.name)} = EXCLUDED.${quoteIdent(column.name)}`)
    .concat(`${quoteIdent(SYNCED_AT_COLUMN)} = now()`);
  return ` ON CONFLICT (${quoteIdent(mapping.pk.column)}) DO UPDATE SET ${updates.join(", ")}`;
}

/** `DELETE` of these documents' parent rows; their child rows go with them (ON DELETE CASCADE). */
export async function deleteParentRows(client: Statements, mapping: TableMapping, keys: readonly unknown[]): Promise<void> {
  if (keys.length === 0) return;
  const table = qualifiedName(mapping.schema, mapping.table);
  await client.query(`DELETE FROM ${table} WHERE ${quoteIdent(mapping.pk.column)} = ANY($1::${mapping.pk.type.sql}[])`, [arrayParameter(keys, mapping.pk.type.sql)]);
}

/** `DELETE` of the child rows of these parents, in every child table. */
export async function deleteChildRows(client: Statements, mapping: TableMapping, parentKeys: readonly unknown[]): Promise<void> {
  if (parentKeys.length === 0) return;
  for (const child of statementsOf(mapping).children) await client.query(child.deleteByParents, [arrayParameter(parentKeys, child.fkType)]);
}

/** The statements of a table that insert rows, each ending in `suffix`. */
function insertStatements(table: string, columns: readonly RowColumn[], suffix: string): Pick<TableStatements, "recordset" | "values" | "parameters"> {
  const values = copiesExactly(columns) ? Array.from({ length: VALUES_ROWS }, (_, index) => valuesInsert(table, columns, index + 1, suffix)) : [];
  return { recordset: recordsetInsert(table, columns, suffix), values, parameters: parameterWriter(columns) };
}

/** One statement that inserts these rows: a parameter per value when the table has a statement for so few rows, else their JSON. */
async function insertStatement(client: Statements, table: TableStatements, rows: readonly Row[]): Promise<void> {
  const values = table.values[rows.length - 1];
  if (values === undefined) {
    await client.query(table.recordset, [JSON.stringify(rows)]);
    return;
  }
  const parameters: (string | null)[] = [];
  for (const row of rows) for (const parameter of table.parameters(row)) parameters.push(parameter);
  await client.query(values, parameters);
}

/**
 * `INSERT INTO t (cols) VALUES ($1, …), …` of `rowCount` rows and `suffix`. No parameter has a
 * cast: each takes its column's type (an INSERT's values are assigned to their columns), and is
 * read by that type's input function, then held to the column's modifier as an assignment is
 * (`varchar(n)` refuses a longer text, `numeric(p,s)` rounds), as `COPY` reads a field. The text
 * ends with the columns' types in a comment: a prepared statement keeps the parameter types it
 * was prepared with, and its name is its text's (statement-queue.ts), so that columns of other
 * types get a statement of their own. (Type names hold no quote or `$`, which
 * `inlineParameters` would read as a literal or a parameter.)
 */
export function valuesInsert(table: string, columns: readonly RowColumn[], rowCount: number, suffix: string): string {
  const tuples = Array.from({ length: rowCount }, (_, row) => `(${columns.map((_, index) => `$${row * columns.length + index + 1}`).join(", ")})`);
  const types = columns.map((column) => (column.name === CLUSTER_TIME_COLUMN ? "timestamptz" : column.sql)).join(", ");
  return `INSERT INTO ${table} (${columns.map((column) => quoteIdent(column.name)).join(", ")}) VALUES ${tuples.join(", ")}${suffix} /* ${types} */`;
}

/** `INSERT INTO t (cols) SELECT cols FROM jsonb_to_recordset($1) AS r(col type, …)` and `suffix`: one parameter, the rows' JSON, for all rows. */
export function recordsetInsert(table: string, columns: readonly RowColumn[], suffix: string): string {
  const { names, selected, definition } = recordsetParts(columns, (column) => quoteIdent(column.name));
  return `INSERT INTO ${table} (${names}) SELECT ${selected} FROM jsonb_to_recordset($1::jsonb) AS r(${definition})${suffix}`;
}

/**
 * The parts of an `INSERT … SELECT` from `jsonb_to_recordset` aliased `r`: the table's column
 * names, what is selected for each (`r.<field>`; the cluster time's seconds as a timestamp), and
 * the recordset's column definitions.
 */
function recordsetParts(columns: readonly RowColumn[], field: (column: RowColumn, index: number) => string): { names: string; selected: string; definition: string } {
  return {
    names: columns.map((column) => quoteIdent(column.name)).join(", "),
    selected: columns.map((column, index) => (column.name === CLUSTER_TIME_COLUMN ? `to_timestamp(r.${field(column, index)})` : `r.${field(column, index)}`)).join(", "),
    definition: columns.map((column) => `${quoteIdent(column.name)} ${column.sql}`).join(", "),
  };
}

/** Appends one by one: a document's array may have more elements than `push(...rows)` can take as arguments (the call stack overflows past about 100k). */
export function appendRows(list: Row[] | undefined, rows: readonly Row[]): void {
  if (list) for (const row of rows) list.push(row);
}

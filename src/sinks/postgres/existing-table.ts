import type { ClientBase } from "pg";
import { qualifiedName } from "./sql.js";

/** A column of a table as PostgreSQL's catalog describes it. */
export interface ExistingColumn {
  readonly name: string;
  /** `format_type` of the column: `text`, `character varying(20)`, `timestamp without time zone`. */
  readonly type: string;
  readonly notNull: boolean;
  /** It has a default or is an identity column: an INSERT that leaves it out gets a value. */
  readonly filled: boolean;
  /** A generated column or a `GENERATED ALWAYS` identity: an INSERT that names it fails. */
  readonly generated: boolean;
}

/** A table that is already there, read from the catalog. */
export interface ExistingTable {
  readonly columns: ReadonlyMap<string, ExistingColumn>;
  /**
   * Columns that are alone in a unique, non-partial index (a primary key or a unique constraint)
   * that is checked at once: `ON CONFLICT` cannot use a deferrable one.
   */
  readonly uniqueColumns: ReadonlySet<string>;
  /** Columns alone in a deferrable unique index: `ON CONFLICT` on such a column fails, whatever other index it has. */
  readonly deferredUniqueColumns: ReadonlySet<string>;
  /**
   * Columns that lead a valid, whole-table btree or hash index in their own collation (what follows
   * the first key may be anything): rows are found by them without reading the whole table.
   */
  readonly leadingIndexColumns: ReadonlySet<string>;
  /** The columns of its primary key, when it has one. */
  readonly primaryKey: readonly string[] | undefined;
  /** Its foreign keys of one column: column → the referenced table, its column, and whether deletes cascade. */
  readonly references: ReadonlyMap<string, { readonly schema: string; readonly table: string; readonly column: string; readonly cascades: boolean }>;
  readonly hasRows: boolean;
}

/** The table `schema.table` as it is, or `undefined` when there is none (views and the like count as tables). */
export async function readExistingTable(client: ClientBase, schema: string, table: string): Promise<ExistingTable | undefined> {
  const name = qualifiedName(schema, table);
  const found = await client.query<{ oid: number }>("SELECT to_regclass($1)::oid AS oid", [name]);
  const oid = found.rows[0]?.oid;
  if (oid === null || oid === undefined) return undefined;
  const columns = await client.query<{ name: string; type: string; not_null: boolean; filled: boolean; generated: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            (a.atthasdef OR a.attidentity <> '') AS filled, (a.attgenerated <> '' OR a.attidentity = 'a') AS generated
       FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [oid],
  );
  // `lookup`: an index `column = …` can search by its first key, as the column's own collation compares.
  const indexes = await client.query<{ unique: boolean; primary: boolean; immediate: boolean; plain: boolean; lookup: boolean | null; lead: string | null; columns: string[] }>(
    `SELECT i.indisunique AS unique, i.indisprimary AS primary, i.indimmediate AS immediate, i.indpred IS NULL AND i.indexprs IS NULL AS plain,
            i.indisvalid AND i.indpred IS NULL AND am.amname IN ('btree', 'hash') AND i.indcollation[0] = lead.attcollation AS lookup, lead.attname AS lead,
            ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ordinality)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE k.ordinality <= i.indnkeyatts ORDER BY k.ordinality) AS columns
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
       LEFT JOIN pg_attribute lead ON lead.attrelid = i.indrelid AND lead.attnum = i.indkey[0]
      WHERE i.indrelid = $1`,
    [oid],
  );
  const unique = indexes.rows.filter((index) => index.unique && index.plain);
  const foreignKeys = await client.query<{ column: string; schema: string; table: string; target_column: string; cascades: boolean }>(
    `SELECT a.attname AS column, n.nspname AS schema, r.relname AS table, fa.attname AS target_column, c.confdeltype = 'c' AS cascades
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
       JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace n ON n.oid = r.relnamespace
      WHERE c.conrelid = $1 AND c.contype = 'f' AND cardinality(c.conkey) = 1`,
    [oid],
  );
  const rows = await client.query(`SELECT 1 FROM ${name} LIMIT 1`);
  return {
    columns: new Map(columns.rows.map((row) => [row.name, { name: row.name, type: row.type, notNull: row.not_null, filled: row.filled, generated: row.generated }])),
    uniqueColumns: new Set(unique.flatMap((index) => (index.columns.length === 1 && index.immediate ? index.columns : []))),
    deferredUniqueColumns: new Set(unique.flatMap((index) => (index.columns.length === 1 && !index.immediate ? index.columns : []))),
    leadingIndexColumns: new Set(indexes.rows.flatMap((index) => (index.lookup === true && index.lead !== null ? [index.lead] : []))),
    primaryKey: unique.find((index) => index.primary)?.columns,
    references: new Map(foreignKeys.rows.map((row) => [row.column, { schema: row.schema, table: row.table, column: row.target_column, cascades: row.cascades }])),
    hasRows: rows.rowCount !== null && rows.rowCount > 0,
  };
}

/** A table of the same name in another case (`leadmonitoring` for `LeadMonitoring`), as unquoted DDL makes them. */
export async function foldedTwin(client: ClientBase, schema: string, table: string): Promise<string | undefined> {
  if (table === table.toLowerCase()) return undefined;
  const found = await client.query<{ name: string }>(
    "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND lower(c.relname) = lower($2) AND c.relkind IN ('r', 'p') LIMIT 1",
    [schema, table],
  );
  return found.rows[0]?.name;
}

import type { TableMapping } from "./mapping/table-mapping.js";
import { CLUSTER_TIME_COLUMN, ORDINAL_COLUMN, SYNCED_AT_COLUMN } from "./relational/relational-ddl.js";
import type { TableRef } from "./table-layout.js";

/**
 * What a column is to Tributary, which decides what may be done when an existing table lacks it:
 * `key` (the primary key it upserts on), `generatedKey` (a child table's key, numbered by the
 * table), `parentKey` (a child row's reference to its parent), `data` (a mapped field, the
 * catch-all column, raw mode's `doc`) or `bookkeeping` (`_cluster_time`, `_synced_at`, `_ordinal`).
 */
export type ColumnRole = "key" | "generatedKey" | "parentKey" | "data" | "bookkeeping";

/** A column Tributary writes, as its own `CREATE TABLE` would make it. */
export interface ExpectedColumn {
  readonly name: string;
  /** The type, spelled as `parseColumnType` normalizes it (`text`, `timestamptz`, `numeric(10,2)`). */
  readonly sql: string;
  readonly role: ColumnRole;
  /** Tributary may write NULL into it (a field missing from a document). */
  readonly nullable: boolean;
}

/** A table Tributary writes, as its own `CREATE TABLE` would make it. */
export interface ExpectedTable {
  /** What the table holds, for messages: `shop.orders`, or `shop.orders → comments`. */
  readonly source: string;
  readonly schema: string;
  readonly table: string;
  /** The column `INSERT … ON CONFLICT` names: it needs a unique index of its own. */
  readonly key: string;
  readonly columns: readonly ExpectedColumn[];
  /** A child table's reference to its parent, whose deletes cascade to it. */
  readonly parent?: { readonly column: string; readonly schema: string; readonly table: string; readonly key: string };
}

/** Raw mode's table: `_id text` key, `doc jsonb`, `_cluster_time`, `_synced_at` (raw-layout.ts). */
export function rawTableShape(ref: TableRef): ExpectedTable[] {
  return [
    {
      source: ref.namespace,
      schema: ref.schema,
      table: ref.table,
      key: "_id",
      columns: [
        { name: "_id", sql: "text", role: "key", nullable: false },
        { name: "doc", sql: "jsonb", role: "data", nullable: false },
        { name: CLUSTER_TIME_COLUMN, sql: "timestamptz", role: "bookkeeping", nullable: false },
        { name: SYNCED_AT_COLUMN, sql: "timestamptz", role: "bookkeeping", nullable: false },
      ],
    },
  ];
}

/** A mapped collection's table and its child tables, parents first (relational-ddl.ts). */
export function relationalTableShapes(mapping: TableMapping, parent?: { column: string; sql: string; of: TableMapping }): ExpectedTable[] {
  const key = mapping.pk;
  const columns: ExpectedColumn[] = [{ name: key.column, sql: key.type.sql, role: key.generated ? "generatedKey" : "key", nullable: false }];
  if (parent) {
    columns.push({ name: parent.column, sql: parent.sql, role: "parentKey", nullable: false });
    columns.push({ name: ORDINAL_COLUMN, sql: "integer", role: "bookkeeping", nullable: false });
  }
  for (const column of mapping.columns) {
    if (column.column !== key.column) columns.push({ name: column.column, sql: column.type.sql, role: "data", nullable: column.default === undefined || column.default === null });
  }
  if (mapping.extraColumn) columns.push({ name: mapping.extraColumn, sql: "jsonb", role: "data", nullable: true });
  if (!parent) columns.push({ name: CLUSTER_TIME_COLUMN, sql: "timestamptz", role: "bookkeeping", nullable: false });
  columns.push({ name: SYNCED_AT_COLUMN, sql: "timestamptz", role: "bookkeeping", nullable: false });
  const table: ExpectedTable = {
    source: mapping.source,
    schema: mapping.schema,
    table: mapping.table,
    key: key.column,
    columns,
    ...(parent ? { parent: { column: parent.column, schema: parent.of.schema, table: parent.of.table, key: parent.of.pk.column } } : {}),
  };
  return [table, ...mapping.children.flatMap((child) => relationalTableShapes(child.table, { column: child.fkColumn, sql: child.fkType.sql, of: mapping }))];
}

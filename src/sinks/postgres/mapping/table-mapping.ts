import type { ColumnType } from "./column-type.js";

/** One field of a document written to one column. @public */
export interface ColumnMapping {
  /** Dotted path in the document (`address.city`), or `$value` for the element of an array of scalars. */
  readonly path: string;
  readonly column: string;
  readonly type: ColumnType;
  /** Written when the field is missing or null. */
  readonly default?: unknown;
}

/** An array of the document written to a child table, one row per element. @public */
export interface ChildMapping {
  readonly path: string;
  /** Column of the child table holding the parent's primary key. */
  readonly fkColumn: string;
  readonly fkType: ColumnType;
  readonly table: TableMapping;
}

/**
 * How one collection (or one array, for a child table) becomes rows of one table.
 * @public
 */
export interface TableMapping {
  /** What this maps, for messages: `shop.orders`, or `shop.orders → comments` for a child. */
  readonly source: string;
  readonly schema: string;
  readonly table: string;
  readonly pk: { readonly column: string; readonly type: ColumnType; readonly generated: boolean };
  readonly columns: readonly ColumnMapping[];
  readonly children: readonly ChildMapping[];
  /** jsonb column for the fields no mapping names; absent when the user chose to drop them. */
  readonly extraColumn?: string;
  /** `CREATE [UNIQUE] INDEX …` statements, without the `CREATE`, as the mapping file gives them. */
  readonly indices: readonly string[];
  /**
   * A value that does not fit its column leaves the column NULL and stays in the catch-all
   * column, instead of setting the document aside (inferred mappings, whose types are guesses).
   */
  readonly keepMisfits?: boolean;
}

/** A whole mapping file, compiled: the table mapping of each collection (`db.coll`). @public */
export interface RelationalMapping {
  readonly file: string;
  readonly collections: ReadonlyMap<string, TableMapping>;
}

/** A table mapping and those of its child tables, parents first. @internal */
export function allTables(table: TableMapping): TableMapping[] {
  return [table, ...table.children.flatMap((child) => allTables(child.table))];
}

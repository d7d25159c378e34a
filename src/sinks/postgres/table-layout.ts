import type { PoolClient } from "pg";
import type { RowChange } from "../../pipeline/coalesce.js";

/** Where one collection's rows live. */
export interface TableRef {
  readonly namespace: string;
  readonly schema: string;
  readonly table: string;
}

/**
 * How collections become tables: raw (`_id`, `doc jsonb`) or relational (a mapping). The sink
 * handles transactions, positions and the table registry; a layout only knows its tables.
 */
export interface TableLayout {
  /** Where a namespace's rows go. */
  nameOf(namespace: string): { readonly schema: string; readonly table: string };
  /**
   * Statements that create the table(s) of a namespace at `ref`; `optional` ones (user
   * indexes) may fail without stopping the sync.
   */
  createStatements(ref: TableRef): { readonly required: readonly string[]; readonly optional: readonly string[] };
  /** Statements that drop them. */
  dropStatements(ref: TableRef): string[];
  /** Whether a renamed collection keeps its table (renamed too) or loses it. */
  readonly keepsTablesOnRename: boolean;
  write(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void>;
}

import type { PoolClient } from "pg";
import type { Statements } from "./statement-queue.js";
import type { RowChange } from "./coalesce.js";

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
  /** Statements that empty them. */
  truncateStatements(ref: TableRef): string[];
  /** Whether a renamed collection keeps its table (renamed too) or loses it. */
  readonly keepsTablesOnRename: boolean;
  write(client: Statements, ref: TableRef, changes: readonly RowChange[]): Promise<void>;
  /**
   * Writes the changes of a copy made beside a running sync (`Batch.keepNewer`): a key whose row
   * was written from a change of the same second as the copy's change or later (`_cluster_time`
   * holds whole seconds) keeps that row, child rows included: it is neither overwritten nor
   * deleted, and its document is not set aside when it does not fit. On a connection: it may read
   * what its statements did.
   */
  writeKeepingNewer(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void>;
  /**
   * Writes documents (upserts only) whose keys the tables are not expected to hold, by bulk load
   * and without any merge: a key that exists fails with a unique violation (PostgreSQL's 23505),
   * or the layout declines the load (`BulkLoadDeclined`: an inferred mapping these documents make
   * evolve), and the caller then rolls the transaction back and writes it again with `write`
   * (`declineOnDuplicateKey`).
   * Absent: `write` always.
   */
  bulkLoad?(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void>;
  /** Creates and loads what the layout itself keeps in the target; once, when the sink opens. */
  open?(client: PoolClient): Promise<void>;
  /**
   * Called inside the batch's transaction before a namespace's changes are written and before
   * its tables are ensured: an inferred layout infers the mapping of a collection without tables
   * here (a known one evolves as its changes are written). Like `write`,
   * it may be given a {@link StatementQueue}: it must not read the results of its statements.
   */
  prepare?(client: Statements, namespace: string, changes: readonly RowChange[], tablesExist: boolean): Promise<void>;
  /** A namespace's tables were dropped. */
  forget?(client: PoolClient, namespace: string): Promise<void>;
  /** A namespace's tables were renamed to those of another namespace. */
  moved?(client: PoolClient, from: TableRef, to: TableRef): Promise<void>;
  /** The batch's transaction committed: what was staged in it holds from now on. */
  commit?(): void;
  /** The batch's transaction rolled back: forget what was staged in it. */
  rollback?(): void;
}

import pg, { type PoolClient } from "pg";
import type { Statements } from "../statement-queue.js";
import type { RelationalMapping, TableMapping } from "../mapping/table-mapping.js";
import type { RowChange } from "../coalesce.js";
import type { TableLayout, TableRef } from "../table-layout.js";
import { createStatements, dropStatements, truncateStatements } from "./relational-ddl.js";
import type { RejectionHandler } from "../dead-letters.js";
import { extractChanges, writeExtractedRowsKeepingNewer, writeRelationalRows } from "./relational-row-writer.js";
import { bulkLoadRelationalRows, mergeRelationalRows, mergesWhileExtracting } from "./streamed-relational-rows.js";

/** Typed tables (and child tables) as a mapping file describes them. */
export class RelationalLayout implements TableLayout {
  // A renamed collection has no mapping under its new name (or another one): its tables go.
  readonly keepsTablesOnRename = false;
  private readonly mapping: RelationalMapping;
  private readonly onReject: RejectionHandler;

  constructor(mapping: RelationalMapping, onReject: RejectionHandler) {
    this.mapping = mapping;
    this.onReject = onReject;
  }

  nameOf(namespace: string): { schema: string; table: string } {
    const table = this.tableMapping(namespace);
    return { schema: table.schema, table: table.table };
  }

  createStatements(ref: TableRef): { required: string[]; optional: string[] } {
    return createStatements(this.tableMapping(ref.namespace));
  }

  dropStatements(ref: TableRef): string[] {
    return dropStatements(this.tableMapping(ref.namespace), ref.table);
  }

  truncateStatements(ref: TableRef): string[] {
    return truncateStatements(this.tableMapping(ref.namespace), ref.table);
  }

  async write(client: Statements, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    const mapping = this.tableMapping(ref.namespace);
    // A large batch on a connection: its rows are extracted while COPY sends them.
    if (client instanceof pg.Client && (await mergesWhileExtracting(client, mapping, changes))) return mergeRelationalRows(client, mapping, changes, this.onReject);
    return writeRelationalRows(client, mapping, changes, this.onReject);
  }

  writeKeepingNewer(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    const mapping = this.tableMapping(ref.namespace);
    return writeExtractedRowsKeepingNewer(client, mapping, extractChanges(mapping, changes), this.onReject);
  }

  bulkLoad(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    return bulkLoadRelationalRows(client, this.tableMapping(ref.namespace), changes, this.onReject);
  }

  private tableMapping(namespace: string): TableMapping {
    const table = this.mapping.collections.get(namespace);
    // The pipeline only lets mapped namespaces through; reaching here is a bug, not bad input.
    if (!table) throw new Error(`no mapping for ${namespace} in ${this.mapping.file}`);
    return table;
  }
}

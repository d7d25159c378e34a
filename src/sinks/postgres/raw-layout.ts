import type { Statements } from "./statement-queue.js";
import type { RowChange } from "./coalesce.js";
import { splitNamespace } from "../../core/change-event.js";
import type { RejectionHandler } from "./dead-letters.js";
import type { PoolClient } from "pg";
import { copyRawRows, type UpsertChange } from "./raw-copy.js";
import { writeRawRows, writeRawRowsKeepingNewer } from "./raw-row-writer.js";
import { qualifiedName, quoteIdent } from "./sql.js";
import type { TableLayout, TableRef } from "./table-layout.js";
import { defaultTableName } from "./table-naming.js";

/** One table per collection: `_id text` key, the document as `jsonb`, its cluster time. */
export class RawLayout implements TableLayout {
  readonly keepsTablesOnRename = true;
  private readonly schema: string;
  private readonly tables: Readonly<Record<string, string>>;
  private readonly onReject: RejectionHandler;

  constructor(options: { schema: string; tables: Readonly<Record<string, string>>; onReject: RejectionHandler }) {
    this.schema = options.schema;
    this.tables = options.tables;
    this.onReject = options.onReject;
  }

  nameOf(namespace: string): { schema: string; table: string } {
    const { db, coll } = splitNamespace(namespace);
    return { schema: this.schema, table: this.tables[namespace] ?? defaultTableName(db, coll) };
  }

  createStatements(ref: TableRef): { required: string[]; optional: string[] } {
    const required = [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(ref.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(ref.schema, ref.table)} (
        _id text PRIMARY KEY,
        doc jsonb NOT NULL,
        _cluster_time timestamptz NOT NULL,
        _synced_at timestamptz NOT NULL DEFAULT now()
      )`,
    ];
    return { required, optional: [] };
  }

  dropStatements(ref: TableRef): string[] {
    return [`DROP TABLE IF EXISTS ${qualifiedName(ref.schema, ref.table)}`];
  }

  truncateStatements(ref: TableRef): string[] {
    return [`TRUNCATE ${qualifiedName(ref.schema, ref.table)}`];
  }

  write(client: Statements, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    return writeRawRows(client, ref, changes, this.onReject);
  }

  writeKeepingNewer(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    return writeRawRowsKeepingNewer(client, ref, changes, this.onReject);
  }

  bulkLoad(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    return copyRawRows(client, ref, changes as readonly UpsertChange[], this.onReject);
  }
}

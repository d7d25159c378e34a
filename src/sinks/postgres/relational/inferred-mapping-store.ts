import type { PoolClient } from "pg";
import type { Statements } from "../statement-queue.js";
import type { DatabaseEntries } from "../mapping/infer/collection-entries.js";
import { qualifiedName } from "../sql.js";

/**
 * The inferred mapping of each collection, as mapping-file entries, kept in the target next to
 * the tables it describes and changed in the same transactions, so a restart (or a crash)
 * finds the mapping that matches the tables exactly.
 */
export class InferredMappingStore {
  private readonly table: string;
  private readonly pipeline: string;

  constructor(schema: string, pipeline: string) {
    this.table = qualifiedName(schema, "inferred_mappings");
    this.pipeline = pipeline;
  }

  createStatement(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (
      pipeline text NOT NULL,
      namespace text NOT NULL,
      entries jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (pipeline, namespace)
    )`;
  }

  async load(client: PoolClient): Promise<Map<string, DatabaseEntries>> {
    const result = await client.query<{ namespace: string; entries: DatabaseEntries }>(`SELECT namespace, entries FROM ${this.table} WHERE pipeline = $1`, [this.pipeline]);
    return new Map(result.rows.map((row) => [row.namespace, row.entries]));
  }

  async save(client: Statements, namespace: string, entries: DatabaseEntries): Promise<void> {
    await client.query(
      `INSERT INTO ${this.table} (pipeline, namespace, entries) VALUES ($1, $2, $3)
       ON CONFLICT (pipeline, namespace) DO UPDATE SET entries = EXCLUDED.entries, updated_at = now()`,
      [this.pipeline, namespace, JSON.stringify(entries)],
    );
  }

  async forget(client: PoolClient, namespace: string): Promise<void> {
    await client.query(`DELETE FROM ${this.table} WHERE pipeline = $1 AND namespace = $2`, [this.pipeline, namespace]);
  }
}

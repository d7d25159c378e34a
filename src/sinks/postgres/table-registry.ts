import type { PoolClient } from "pg";
import { ErrorCode } from "../../errors/error-codes.js";
import { TributaryError } from "../../errors/tributary-error.js";
import type { Logger } from "../../observability/logger.js";
import { qualifiedName } from "./sql.js";
import type { TableLayout, TableRef } from "./table-layout.js";

export interface TableRegistryOptions {
  readonly checkpointSchema: string;
  readonly pipeline: string;
  readonly layout: TableLayout;
  readonly logger: Logger;
}

/**
 * Knows which table holds which collection, creates tables on first sight, and records the
 * mapping in the target so that drops and renames find their table after a restart.
 * Changes made inside a transaction become visible to `lookup` only after `commit()`,
 * so a rolled-back batch leaves no stale entry behind.
 */
export class TableRegistry {
  private readonly options: TableRegistryOptions;
  private readonly registryTable: string;
  private committed = new Map<string, TableRef>();
  private staged = new Map<string, TableRef | null>();

  constructor(options: TableRegistryOptions) {
    this.options = options;
    this.registryTable = qualifiedName(options.checkpointSchema, "tables");
  }

  createStatement(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.registryTable} (
      pipeline text NOT NULL,
      namespace text NOT NULL,
      table_schema text NOT NULL,
      table_name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (pipeline, namespace)
    )`;
  }

  async load(client: PoolClient): Promise<void> {
    const result = await client.query<{ namespace: string; table_schema: string; table_name: string }>(
      `SELECT namespace, table_schema, table_name FROM ${this.registryTable} WHERE pipeline = $1`,
      [this.options.pipeline],
    );
    this.committed = new Map(result.rows.map((row) => [row.namespace, { namespace: row.namespace, schema: row.table_schema, table: row.table_name }]));
    this.staged.clear();
  }

  lookup(namespace: string): TableRef | undefined {
    const staged = this.staged.get(namespace);
    if (staged !== undefined) return staged ?? undefined;
    return this.committed.get(namespace);
  }

  /** Tables of every known collection of a database. */
  tablesOfDatabase(db: string): TableRef[] {
    const names = new Set([...this.committed.keys(), ...this.staged.keys()]);
    return [...names].filter((ns) => ns.startsWith(`${db}.`)).flatMap((ns) => this.lookup(ns) ?? []);
  }

  /** The table of a collection, created (by the layout) if it does not exist yet. */
  async ensure(client: PoolClient, namespace: string): Promise<TableRef> {
    const known = this.lookup(namespace);
    if (known) return known;
    const ref = this.plannedRef(namespace);
    this.assertTableFree(ref);
    const statements = this.options.layout.createStatements(ref);
    for (const statement of statements.required) await client.query(statement);
    for (const statement of statements.optional) await this.tryStatement(client, statement, ref);
    await this.record(client, ref);
    return ref;
  }

  /** Forgets a collection's table (after it was dropped). */
  async forget(client: PoolClient, namespace: string): Promise<void> {
    await client.query(`DELETE FROM ${this.registryTable} WHERE pipeline = $1 AND namespace = $2`, [this.options.pipeline, namespace]);
    this.staged.set(namespace, null);
  }

  /** Moves a table to a new namespace (after a rename), under the name that namespace should have. */
  async move(client: PoolClient, from: TableRef, toNamespace: string): Promise<TableRef> {
    const ref = this.plannedRef(toNamespace);
    await this.forget(client, from.namespace);
    await this.record(client, ref);
    return ref;
  }

  commit(): void {
    for (const [namespace, ref] of this.staged) {
      if (ref === null) this.committed.delete(namespace);
      else this.committed.set(namespace, ref);
    }
    this.staged.clear();
  }

  rollback(): void {
    this.staged.clear();
  }

  plannedRef(namespace: string): TableRef {
    return { namespace, ...this.options.layout.nameOf(namespace) };
  }

  /** Runs a statement that may fail (a user's index) without aborting the transaction. */
  private async tryStatement(client: PoolClient, statement: string, ref: TableRef): Promise<void> {
    await client.query("SAVEPOINT optional_statement");
    try {
      await client.query(statement);
      await client.query("RELEASE SAVEPOINT optional_statement");
    } catch (error) {
      await client.query("ROLLBACK TO SAVEPOINT optional_statement");
      this.options.logger.warn({ namespace: ref.namespace, statement, err: (error as Error).message }, "index of the mapping not created");
    }
  }

  private async record(client: PoolClient, ref: TableRef): Promise<void> {
    await client.query(
      `INSERT INTO ${this.registryTable} (pipeline, namespace, table_schema, table_name) VALUES ($1, $2, $3, $4)
       ON CONFLICT (pipeline, namespace) DO UPDATE SET table_schema = EXCLUDED.table_schema, table_name = EXCLUDED.table_name`,
      [this.options.pipeline, ref.namespace, ref.schema, ref.table],
    );
    this.staged.set(ref.namespace, ref);
  }

  private assertTableFree(ref: TableRef): void {
    const names = new Set([...this.committed.keys(), ...this.staged.keys()]);
    for (const namespace of names) {
      const other = this.lookup(namespace);
      if (other && namespace !== ref.namespace && other.schema === ref.schema && other.table === ref.table) {
        throw new TributaryError(
          ErrorCode.TableNameConflict,
          `Collections ${other.namespace} and ${ref.namespace} would both be written to table ${ref.schema}.${ref.table}; give one of them its own name under target.tables in the config`,
          { context: { namespace: ref.namespace } },
        );
      }
    }
  }
}

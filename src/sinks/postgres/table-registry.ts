import type { PoolClient } from "pg";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import type { Logger } from "../../core/logger.js";
import { qualifiedName } from "./sql.js";
import { StagedMap } from "./staged-map.js";
import type { TableAdoption } from "./table-adoption.js";
import type { TableLayout, TableRef } from "./table-layout.js";

export interface TableRegistryOptions {
  readonly checkpointSchema: string;
  readonly pipeline: string;
  readonly layout: TableLayout;
  readonly logger: Logger;
  /** Checks (or adopts) a table that exists before the collection is first written. */
  readonly adoption?: TableAdoption;
}

/**
 * Knows which table holds which collection, creates tables on first sight, and records the
 * mapping in the target so that drops and renames find their table after a restart.
 * Changes made inside a transaction last only once it commits (`commit()`), so a rolled-back
 * batch leaves no stale entry behind.
 */
export class TableRegistry {
  private readonly options: TableRegistryOptions;
  private readonly registryTable: string;
  private readonly refs = new StagedMap<string, TableRef>();

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
    this.refs.reset(result.rows.map((row) => [row.namespace, { namespace: row.namespace, schema: row.table_schema, table: row.table_name }]));
  }

  lookup(namespace: string): TableRef | undefined {
    return this.refs.get(namespace);
  }

  /** Tables of every known collection of a database. */
  tablesOfDatabase(db: string): TableRef[] {
    return this.refs.entries().flatMap(([namespace, ref]) => (namespace.startsWith(`${db}.`) ? [ref] : []));
  }

  /** The table of a collection, created (by the layout) if it does not exist yet. */
  async ensure(client: PoolClient, namespace: string): Promise<TableRef> {
    const known = this.lookup(namespace);
    if (known) return known;
    const ref = this.plannedRef(namespace);
    this.assertTableFree(ref);
    await this.options.adoption?.prepare(client, ref);
    const statements = this.options.layout.createStatements(ref);
    for (const statement of statements.required) await client.query(statement);
    for (const statement of statements.optional) await this.tryStatement(client, statement, ref);
    await this.record(client, ref);
    return ref;
  }

  /**
   * Ensures and records the tables of these collections whose table exists already (adopted, or fitting as
   * it was), each in a transaction of its own: what the layout adds to an existing table (child
   * tables, indexes) is created, and the table recorded, so that verify, drops and renames find
   * it before the collection's first write.
   */
  async recordExisting(client: PoolClient, refs: readonly TableRef[]): Promise<void> {
    for (const ref of refs) {
      const found = await client.query<{ exists: boolean }>("SELECT to_regclass($1) IS NOT NULL AS exists", [qualifiedName(ref.schema, ref.table)]);
      if (!found.rows[0]?.exists) continue;
      await client.query("BEGIN");
      try {
        await this.ensure(client, ref.namespace);
        await client.query("COMMIT");
        this.refs.commit();
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        this.refs.rollback();
        throw error;
      }
    }
  }

  /** Forgets a collection's table (after it was dropped). */
  async forget(client: PoolClient, namespace: string): Promise<void> {
    await client.query(`DELETE FROM ${this.registryTable} WHERE pipeline = $1 AND namespace = $2`, [this.options.pipeline, namespace]);
    this.refs.delete(namespace);
  }

  /** Moves a table to a new namespace (after a rename), under the name that namespace should have. */
  async move(client: PoolClient, from: TableRef, toNamespace: string): Promise<TableRef> {
    const ref = this.plannedRef(toNamespace);
    await this.forget(client, from.namespace);
    await this.record(client, ref);
    return ref;
  }

  commit(): void {
    this.refs.commit();
  }

  rollback(): void {
    this.refs.rollback();
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
    this.refs.set(ref.namespace, ref);
  }

  private assertTableFree(ref: TableRef): void {
    for (const [namespace, other] of this.refs.entries()) {
      if (namespace !== ref.namespace && other.schema === ref.schema && other.table === ref.table) {
        throw new TributaryError(
          ErrorCode.TableNameConflict,
          `Collections ${other.namespace} and ${ref.namespace} would both be written to table ${ref.schema}.${ref.table}; give one of them its own name under target.tables in the config`,
          { context: { namespace: ref.namespace } },
        );
      }
    }
  }
}

import type { Document } from "../../core/bson.js";
import type pg from "pg";
import type { DatabaseEntries } from "./mapping/infer/collection-entries.js";
import { redactSecrets } from "../../core/redact.js";
import { silentLogger, type Logger } from "../../core/logger.js";
import { DEFAULT_RETRY, retryWithProbe, type BackoffOptions } from "../../core/retry.js";
import type { Position } from "../../core/position.js";
import type { Batch, Sink, SinkCapabilities } from "../../core/sink.js";
import type { RelationalMapping } from "./mapping/table-mapping.js";
import { writeBatch, type BatchWriterContext } from "./batch-writer.js";
import { CheckpointTable } from "./checkpoint-table.js";
import { DeadLetterTable } from "./dead-letters.js";
import { DEFAULT_COMMAND_POLICY, type CommandPolicy } from "./command-applier.js";
import { IDLE_SESSION_ENDED, mapPostgresApplyError, mapPostgresConnectError } from "./postgres-errors.js";
import { postgresRetry } from "./postgres-retry.js";
import { RawLayout } from "./raw-layout.js";
import { InferredLayout } from "./relational/inferred-layout.js";
import { RelationalLayout } from "./relational/relational-layout.js";
import { PostgresSnapshotTarget } from "./snapshot/postgres-snapshot-target.js";
import { SnapshotTables } from "./snapshot/snapshot-tables.js";
import { withPooledClient } from "./pooled-client.js";
import { quoteIdent } from "./sql.js";
import type { TableLayout } from "./table-layout.js";
import { TableRegistry } from "./table-registry.js";
import { TableAdoption } from "./table-adoption.js";
import { rawTableShape, relationalTableShapes } from "./table-shape.js";
import { readBackRows, tableMappingOf, type StoredRow } from "./read-back.js";
import { keyText } from "../../codec/key-text.js";
import { PostgresVerifiable } from "./verify/postgres-verifiable.js";
import { readDatabaseCollation, slowLibcCollation, SLOW_COLLATION_COST } from "./target-probe.js";
import { postgresPool } from "./pool-config.js";

/**
 * Options of a {@link PostgresSink}: only `url` is required.
 * @public
 */
export interface PostgresSinkOptions {
  /** Connection string of the target database (`postgres://user:pass@host:5432/db`). */
  readonly url: string;
  /** Schema of the synced tables; default `"public"`. */
  readonly schema?: string;
  /** Schema of Tributary's own tables (positions, table registry, dead letters); default `"tributary"`. */
  readonly checkpointSchema?: string;
  /** Raw mode: explicit table names per `db.coll`; default `{}` (each collection gets `defaultTableName(db, coll)`). */
  readonly tables?: Readonly<Record<string, string>>;
  /** Relational mode: typed tables as this mapping describes; raw mode without it. */
  readonly mapping?: RelationalMapping;
  /** Relational mode with a mapping inferred from the documents, evolving as they change. */
  readonly inferMapping?: boolean;
  /** Stop on a document that cannot be written instead of setting it aside in `dead_letters`. */
  readonly strict?: boolean;
  /**
   * Tables that exist before a collection is first written (mongo-connector-postgresql's): add
   * what Tributary needs (bookkeeping columns, the key's unique index, child tables' references),
   * keeping every row. Without it such a table must already fit, or the sync stops at start-up
   * naming what it lacks. Default `false`.
   */
  readonly adoptTables?: boolean;
  /** What collection and database commands do to the tables; default {@link DEFAULT_COMMAND_POLICY}. */
  readonly commands?: CommandPolicy;
  /** Pipeline name: the key of the stored position; default `"default"`. */
  readonly pipeline?: string;
  /** Back-off between attempts when PostgreSQL is unavailable; default `{ initialDelayMs: 500, maxDelayMs: 30000 }`. */
  readonly retry?: BackoffOptions;
  /**
   * How long a query may wait for its answer before its connection is given up and the work
   * retried (a network path that drops packets without a reset); default 300000 (5 minutes).
   */
  readonly queryTimeoutMs?: number;
  /** Any logger with the usual level methods (pino, or {@link Logger}'s few lines); default silent. */
  readonly logger?: Logger;
}

/** The options with every default filled in. */
type ResolvedPostgresSinkOptions = PostgresSinkOptions & Required<Pick<PostgresSinkOptions, "schema" | "checkpointSchema" | "tables" | "pipeline" | "retry" | "logger">>;

function withDefaults(options: PostgresSinkOptions): ResolvedPostgresSinkOptions {
  return {
    ...options,
    schema: options.schema ?? "public",
    checkpointSchema: options.checkpointSchema ?? "tributary",
    tables: options.tables ?? {},
    pipeline: options.pipeline ?? "default",
    retry: options.retry ?? DEFAULT_RETRY,
    logger: options.logger ?? silentLogger(),
  };
}

/**
 * PostgreSQL sink: raw mode (one table per collection: `_id`, `doc jsonb`, `_cluster_time`) or
 * relational mode (typed tables and child tables, from a mapping file or inferred from the
 * documents), each batch applied with set-based statements in one transaction together with
 * the new position. A batch is either wholly visible with its position or not at all, so a crash at
 * any point neither loses a change nor applies one twice.
 * @public
 */
export class PostgresSink implements Sink {
  readonly name = "postgres";
  readonly transactional = true;
  readonly capabilities: SinkCapabilities;
  private readonly options: ResolvedPostgresSinkOptions;
  private readonly where: string;
  private readonly checkpoint: CheckpointTable;
  private readonly registry: TableRegistry;
  private readonly adoption: TableAdoption;
  private readonly layout: TableLayout;
  private readonly inferredLayout: InferredLayout | undefined;
  private readonly deadLetters: DeadLetterTable;
  private readonly verifiable: PostgresVerifiable;
  private readonly batchContext: BatchWriterContext;
  private pool: pg.Pool | undefined;
  private committed: Position | undefined;

  constructor(input: PostgresSinkOptions) {
    const options = withDefaults(input);
    this.options = options;
    this.where = redactSecrets(options.url);
    this.checkpoint = new CheckpointTable(options.checkpointSchema, options.pipeline);
    this.deadLetters = new DeadLetterTable(options.checkpointSchema, options.pipeline);
    const onReject = this.deadLetters.handler(options.strict ?? false);
    this.inferredLayout = options.inferMapping
      ? new InferredLayout({ schema: options.schema, checkpointSchema: options.checkpointSchema, pipeline: options.pipeline, onReject, logger: options.logger })
      : undefined;
    this.layout =
      this.inferredLayout ??
      (options.mapping ? new RelationalLayout(options.mapping, onReject) : new RawLayout({ schema: options.schema, tables: options.tables, onReject }));
    const inferred = this.inferredLayout;
    const adoption = (this.adoption = new TableAdoption({
      adopt: options.adoptTables ?? false,
      shapesOf: (ref) => {
        if (!options.mapping && !inferred) return rawTableShape(ref);
        const mapping = tableMappingOf(ref.namespace, { schema: options.schema, mapping: options.mapping, inferred: inferred?.mappings() });
        return mapping && relationalTableShapes(mapping);
      },
      logger: options.logger,
    }));
    this.registry = new TableRegistry({ checkpointSchema: options.checkpointSchema, pipeline: options.pipeline, layout: this.layout, logger: options.logger, adoption });
    const commands = options.commands ?? DEFAULT_COMMAND_POLICY;
    this.batchContext = { connect: this.connect, registry: this.registry, layout: this.layout, checkpoint: this.checkpoint, commands, logger: options.logger };
    this.verifiable = new PostgresVerifiable({
      url: options.url,
      queryTimeoutMs: options.queryTimeoutMs,
      logger: options.logger,
      checkpointSchema: options.checkpointSchema,
      pipeline: options.pipeline,
      checkpoint: this.checkpoint,
      tableOf: (namespace) => this.registry.lookup(namespace),
      ...(options.mapping || inferred ? { mappingOf: (namespace: string) => tableMappingOf(namespace, { schema: options.schema, mapping: options.mapping, inferred: inferred?.mappings() }) } : {}),
    });
    this.capabilities = {
      atomicPosition: { storedPosition: () => this.storedPosition(), startStreamAt: (position) => this.startStreamAt(position) },
      bulkSnapshot: { snapshotTarget: (parallelism) => this.snapshotTarget(parallelism) },
      readBack: { read: (namespace, ids) => this.readBack(namespace, ids) },
      verifiable: this.verifiable,
      ...(inferred
        ? { schemaFromSamples: { unprepared: (namespaces) => namespaces.filter((namespace) => !inferred.mappings().has(namespace)), prepare: (samples) => this.seedInferredMappings(samples) } }
        : {}),
      ...(options.mapping ? { collections: new Set(options.mapping.collections.keys()) } : {}),
    };
  }

  async open(): Promise<Position | undefined> {
    const pool = postgresPool({ url: this.options.url, max: 1, min: 1, applicationName: "tributary", queryTimeoutMs: this.options.queryTimeoutMs, logger: this.options.logger });
    // An idle connection that dies must not crash the process; the next query reconnects.
    pool.on("error", (error: Error & { code?: unknown }) => {
      if (error.code === IDLE_SESSION_ENDED) this.options.logger.info("PostgreSQL ended the idle connection (idle_session_timeout); the next batch opens another");
      else this.options.logger.warn({ err: redactSecrets(error.message) }, "PostgreSQL connection lost");
    });
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw mapPostgresConnectError(error, this.where);
    }
    this.pool = pool;
    try {
      const committed = await this.setUp(client);
      client.release();
      return committed;
    } catch (error) {
      // A sink that did not open keeps nothing open: its pool keeps a connection however long it
      // sits idle, which would keep the process from exiting on the error.
      client.release();
      this.pool = undefined;
      await pool.end().catch(() => undefined);
      throw mapPostgresApplyError(error, `the setup of Tributary's tables in schema ${this.options.checkpointSchema}`);
    }
  }

  /** Creates Tributary's tables, loads what they record and checks the known collections' tables; returns the stored position. */
  private async setUp(client: pg.PoolClient): Promise<Position | undefined> {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.options.checkpointSchema)}`);
    await client.query(this.checkpoint.createStatement());
    await client.query(this.registry.createStatement());
    await client.query(this.deadLetters.createStatement());
    for (const statement of new SnapshotTables(this.options.checkpointSchema, this.options.pipeline).createStatements()) await client.query(statement);
    await this.layout.open?.(client);
    await this.registry.load(client);
    // The tables of a mapping file (or named in raw mode's `tables`) are known now: one that does not fit stops the sync before any data moves.
    const known = this.options.mapping ? [...this.options.mapping.collections.keys()] : this.inferredLayout ? [] : Object.keys(this.options.tables);
    const unrecorded = known.filter((namespace) => !this.registry.lookup(namespace)).map((namespace) => this.registry.plannedRef(namespace));
    await this.adoption.prepareAtStart(client, unrecorded);
    await this.registry.recordExisting(client, unrecorded);
    this.committed = await this.checkpoint.read(client);
    await this.tellSlowCollation(client);
    this.options.logger.debug({ postgres: this.where, mode: this.describeMode(), schema: this.options.schema }, "PostgreSQL target ready");
    return this.committed;
  }

  /**
   * Says once, at start-up, when the database's collation slows every key's index insert (see
   * `slowLibcCollation`), as `config check --connect` warns: a sync started without that check
   * still tells. A server that will not say (a PostgreSQL-compatible one) is left alone.
   */
  private async tellSlowCollation(client: pg.PoolClient): Promise<void> {
    const collation = await readDatabaseCollation(client).catch(() => undefined);
    if (!collation || !slowLibcCollation(collation)) return;
    this.options.logger.info(
      { collation: collation.name, provider: collation.provider },
      `the target database's collation is a language's libc locale: ${SLOW_COLLATION_COST}`,
    );
  }

  /** `raw`, `relational (<mapping file>)` or `relational (inferred mapping)`: for the start-up log line. */
  private describeMode(): string {
    if (this.options.mapping) return `relational (${this.options.mapping.file})`;
    return this.inferredLayout ? "relational (inferred mapping)" : "raw";
  }

  /**
   * With an inferred mapping: sampled documents per namespace (`db.coll`), from which the
   * mapping of collections that have none stored yet is inferred (instead of from their first
   * changes alone). Call after `open()`.
   */
  seedInferredMappings(samples: ReadonlyMap<string, readonly Document[]>): void {
    this.inferredLayout?.seed(samples);
  }

  /** With an inferred mapping: the current mapping of each collection, as mapping-file entries. */
  inferredMappings(): Map<string, DatabaseEntries> {
    return this.inferredLayout?.mappings() ?? new Map();
  }

  /**
   * What the tables hold for these `_id`s of a collection (the `read` of the `readBack`
   * capability), keyed by `keyText(_id)`: in raw mode `_id`, `doc` (decoded back to the document,
   * BSON types included), `_cluster_time` and `_synced_at`; in relational mode the parent row's
   * columns. Ids it does not hold are absent. Call after `open()`.
   */
  async readBack(namespace: string, ids: readonly unknown[]): Promise<Map<string, StoredRow>> {
    const ref = this.registry.lookup(namespace);
    if (!ref || ids.length === 0) return new Map();
    const mapping = tableMappingOf(namespace, { schema: this.options.schema, mapping: this.options.mapping, inferred: this.inferredLayout?.mappings() });
    if ((this.options.mapping || this.inferredLayout) && !mapping) return new Map();
    try {
      return await withPooledClient(this.connect, (client) => readBackRows(client, mapping ? { ref, mapping } : { ref }, ids));
    } catch (error) {
      throw mapPostgresApplyError(error, `the read-back of ${ids.length} documents of ${namespace}`);
    }
  }

  /** The row of one document ({@link PostgresSink.readBack}), or undefined when the table holds none. */
  async readRow(namespace: string, id: unknown): Promise<StoredRow | undefined> {
    return (await this.readBack(namespace, [id])).get(keyText(id));
  }

  /**
   * The initial snapshot's writer into this sink's tables, with a pool of its own
   * (`parallelism` connections; close it when the snapshot is done). Call after `open()`.
   */
  snapshotTarget(parallelism: number): PostgresSnapshotTarget {
    if (!this.pool) throw new Error("PostgresSink.snapshotTarget called before open()");
    const { url, checkpointSchema, pipeline, retry, queryTimeoutMs, logger } = this.options;
    return new PostgresSnapshotTarget({ url, checkpointSchema, pipeline, parallelism, layout: this.layout, registry: this.registry, retry, queryTimeoutMs, logger });
  }

  /** The position stored for the pipeline (read by `open()`, then as batches commit). */
  storedPosition(): Position | undefined {
    return this.committed;
  }

  /**
   * Where streaming starts when the pipeline has no stored position yet: the position the
   * snapshot started at (changes made while it copied are applied again, idempotently). A stored
   * position stays as it is.
   */
  async startStreamAt(position: Position): Promise<void> {
    if (this.committed || !this.pool) return;
    await withPooledClient(
      () => this.connect().catch((error: unknown) => Promise.reject(mapPostgresConnectError(error, this.where))),
      async (client) => {
        try {
          this.committed = await this.checkpoint.read(client);
          if (this.committed) return;
          await this.checkpoint.advance(client, undefined, position);
          this.committed = position;
        } catch (error) {
          throw mapPostgresApplyError(error, `the start position of pipeline '${this.options.pipeline}'`);
        }
      },
    );
  }

  async apply(batch: Batch, signal?: AbortSignal): Promise<void> {
    const position = batch.position;
    if (batch.events.length === 0 && (position === undefined || position.key === this.committed?.key)) return;
    const { retry, logger } = this.options;
    await retryWithProbe({
      attempt: () => writeBatch(this.batchContext, batch, this.committed),
      // A connection lost while COMMIT was in flight may have committed: ask before redoing.
      // A batch without a position (snapshot events) is redone as it is: upserts by key.
      committed: position === undefined ? undefined : () => this.isStored(position),
      ...postgresRetry({ what: `a batch of ${batch.events.length} changes`, retrying: "the batch", retry, logger, signal }),
    });
    if (position) this.committed = position;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await Promise.all([pool?.end(), this.verifiable.close()]);
  }

  private async isStored(position: Position): Promise<boolean> {
    if (!this.pool) return false;
    return withPooledClient(this.connect, async (client) => (await this.checkpoint.read(client))?.key === position.key);
  }

  private readonly connect = (): Promise<pg.PoolClient> => {
    if (!this.pool) throw new Error("PostgresSink used before open()");
    return this.pool.connect();
  };
}

import type { Pool, PoolClient } from "pg";
import type { Logger } from "../../../core/logger.js";
import { redactSecrets } from "../../../core/redact.js";
import { postgresPool } from "../pool-config.js";
import type { Document } from "../../../core/bson.js";
import type { Position } from "../../../core/position.js";
import type { ExpectedFingerprint, HeldFingerprint, Verifiable } from "../../../core/sink.js";
import type { CheckpointTable } from "../checkpoint-table.js";
import type { TableMapping } from "../mapping/table-mapping.js";
import { keyText } from "../../../codec/key-text.js";
import { mapPostgresApplyError } from "../postgres-errors.js";
import { withPooledClient } from "../pooled-client.js";
import { qualifiedName } from "../sql.js";
import type { TableRef } from "../table-layout.js";
import { expectedRaw, heldRaw, heldRawKeys } from "./raw-fingerprints.js";
import { expectedRelational, heldRelational, heldRelationalKeys } from "./relational-fingerprints.js";

export interface PostgresVerifiableOptions {
  readonly url: string;
  readonly queryTimeoutMs?: number;
  readonly logger: Logger;
  readonly checkpointSchema: string;
  readonly pipeline: string;
  readonly checkpoint: CheckpointTable;
  /** Where a collection's (parent) table is, once it has one. */
  readonly tableOf: (namespace: string) => TableRef | undefined;
  /** Relational and inferred modes: the collection's mapping (undefined when it has none); raw mode: absent. */
  readonly mappingOf?: (namespace: string) => TableMapping | undefined;
}

/** Connections verify may open: one per range read at once, and one for the table scan. */
const MAX_CONNECTIONS = 16;

/**
 * The `verifiable` capability of the PostgreSQL sink: fingerprints of what its tables hold and of
 * what they would hold for a source document, in raw mode (the jsonb document) and in relational
 * mode (the mapped rows, child rows included). It has a pool of its own, opened on first use, so
 * that the ranges verify reads at once are answered at once (the sink's own pool has one
 * connection, for its transactions); the sink's `close()` closes it.
 */
export class PostgresVerifiable implements Verifiable {
  private readonly options: PostgresVerifiableOptions;
  private pool: Pool | undefined;

  constructor(options: PostgresVerifiableOptions) {
    this.options = options;
  }

  /** Closes the pool, if verify opened it. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private readonly connect = (): Promise<PoolClient> => {
    if (!this.pool) {
      const pool = postgresPool({ url: this.options.url, max: MAX_CONNECTIONS, applicationName: "tributary verify", queryTimeoutMs: this.options.queryTimeoutMs, logger: this.options.logger });
      // An idle connection that dies must not crash the process; the next query reconnects.
      pool.on("error", (error) => this.options.logger.warn({ err: redactSecrets(error.message) }, "PostgreSQL connection lost"));
      this.pool = pool;
    }
    return this.pool.connect();
  };

  expected(namespace: string, docs: readonly Document[]): Promise<ExpectedFingerprint[]> {
    const mapping = this.mappingOf(namespace);
    if (this.options.mappingOf && !mapping) {
      return Promise.resolve(docs.map((doc) => ({ key: keyText(doc._id), id: doc._id as unknown, rejected: `${namespace} has no mapping` })));
    }
    return this.withClient(`the fingerprints of ${docs.length} documents of ${namespace}`, (client) =>
      mapping ? expectedRelational(client, mapping, docs) : expectedRaw(client, docs),
    );
  }

  async *held(namespace: string, chunkSize: number, signal?: AbortSignal): AsyncGenerator<HeldFingerprint[]> {
    const ref = this.options.tableOf(namespace);
    if (!ref) return;
    const mapping = this.mappingOf(namespace);
    if (this.options.mappingOf && !mapping) return;
    try {
      yield* mapping ? heldRelational(this.connect, ref, mapping, chunkSize, signal) : heldRaw(this.connect, ref, chunkSize, signal);
    } catch (error) {
      throw mapPostgresApplyError(error, `the read-back of ${namespace} for verify`);
    }
  }

  heldKeys(namespace: string, keys: readonly string[]): Promise<HeldFingerprint[]> {
    const ref = this.options.tableOf(namespace);
    if (!ref || keys.length === 0) return Promise.resolve([]);
    const mapping = this.mappingOf(namespace);
    if (this.options.mappingOf && !mapping) return Promise.resolve([]);
    return this.withClient(`the read-back of ${keys.length} documents of ${namespace}`, (client) =>
      mapping ? heldRelationalKeys(client, ref, mapping, keys) : heldRawKeys(client, ref, keys),
    );
  }

  deadLetterKeys(namespace: string): Promise<ReadonlySet<string>> {
    const table = qualifiedName(this.options.checkpointSchema, "dead_letters");
    return this.withClient(`the dead letters of ${namespace}`, async (client) => {
      const result = await client.query<{ key: string }>(`SELECT DISTINCT key FROM ${table} WHERE pipeline = $1 AND namespace = $2`, [this.options.pipeline, namespace]);
      return new Set(result.rows.map((row) => row.key));
    });
  }

  syncedTo(): Promise<Position | undefined> {
    return this.withClient(`the stored position of pipeline '${this.options.pipeline}'`, (client) => this.options.checkpoint.read(client));
  }

  /** Relational and inferred modes need a mapping: a collection without one has nothing to hold yet. */
  private mappingOf(namespace: string): TableMapping | undefined {
    return this.options.mappingOf?.(namespace);
  }

  private async withClient<T>(what: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withPooledClient(this.connect, work);
    } catch (error) {
      throw mapPostgresApplyError(error, what);
    }
  }
}

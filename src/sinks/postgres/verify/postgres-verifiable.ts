import type { PoolClient } from "pg";
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
  readonly connect: () => Promise<PoolClient>;
  readonly checkpointSchema: string;
  readonly pipeline: string;
  readonly checkpoint: CheckpointTable;
  /** Where a collection's (parent) table is, once it has one. */
  readonly tableOf: (namespace: string) => TableRef | undefined;
  /** Relational and inferred modes: the collection's mapping (undefined when it has none); raw mode: absent. */
  readonly mappingOf?: (namespace: string) => TableMapping | undefined;
}

/**
 * The `verifiable` capability of the PostgreSQL sink: fingerprints of what its tables hold and of
 * what they would hold for a source document, in raw mode (the jsonb document) and in relational
 * mode (the mapped rows, child rows included).
 */
export class PostgresVerifiable implements Verifiable {
  private readonly options: PostgresVerifiableOptions;

  constructor(options: PostgresVerifiableOptions) {
    this.options = options;
  }

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
      yield* mapping ? heldRelational(this.options.connect, ref, mapping, chunkSize, signal) : heldRaw(this.options.connect, ref, chunkSize, signal);
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
      return await withPooledClient(this.options.connect, work);
    } catch (error) {
      throw mapPostgresApplyError(error, what);
    }
  }
}

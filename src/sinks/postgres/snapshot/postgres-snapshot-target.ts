import type pg from "pg";
import { keyText } from "../../../codec/key-text.js";
import { redactSecrets } from "../../../core/redact.js";
import type { Logger } from "../../../core/logger.js";
import type { CollectionSnapshotPlan, CollectionSnapshotState, SnapshotChunk, SnapshotTarget } from "../../../core/snapshot-contract.js";
import { encodeIdBound } from "../../../codec/id-bound.js";
import { retryWithProbe, type BackoffOptions, type RetryWithProbeOptions } from "../../../core/retry.js";
import { postgresRetry } from "../postgres-retry.js";
import { inTransaction, withPooledClient } from "../pooled-client.js";
import { qualifiedName } from "../sql.js";
import type { TableLayout } from "../table-layout.js";
import type { TableRegistry } from "../table-registry.js";
import type { UpsertChange } from "../raw-copy.js";
import { declineOnDuplicateKey, withBulkLoadsOrNot } from "../bulk-load.js";
import { beginWith } from "../statement-queue.js";
import { SnapshotTables, type ChunkProgress } from "./snapshot-tables.js";
import { postgresPool } from "../pool-config.js";

/** What the target shares with the sink it belongs to. */
export interface PostgresSnapshotTargetOptions {
  readonly url: string;
  readonly checkpointSchema: string;
  readonly pipeline: string;
  /** Connections of the target's own pool: the chunks written at once. */
  readonly parallelism: number;
  readonly layout: TableLayout;
  readonly registry: TableRegistry;
  readonly retry: BackoffOptions;
  /** See {@link postgresPool}. */
  readonly queryTimeoutMs?: number;
  readonly logger: Logger;
}

/**
 * The PostgreSQL side of the initial snapshot: each chunk's rows and its range's progress in
 * one transaction, on a pool of `parallelism` connections. Raw tables are bulk-loaded with
 * `COPY`, chunks of different ranges in parallel; relational tables (mapping file or inferred)
 * with `COPY` too when they were empty or missing at the start. A layout that keeps state per transaction
 * (the inferred mapping evolves with the documents) gets its chunks one at a time, as does the
 * first chunk of a collection whose tables this process has not seen committed yet.
 */
export class PostgresSnapshotTarget implements SnapshotTarget {
  private readonly options: PostgresSnapshotTargetOptions;
  private readonly pool: pg.Pool;
  private readonly tables: SnapshotTables;
  /** Whether chunks may be written concurrently once the tables exist: the layout stages nothing per transaction. */
  private readonly stateless: boolean;
  /** Collections whose tables are known to be committed: their chunks need no registry or layout state. */
  private readonly ready = new Set<string>();
  /** Collections whose table held no row when their snapshot started here: rows are copied straight in. */
  private readonly emptyAtStart = new Set<string>();
  private readonly closing = new AbortController();
  /** The tail of the queue of work that touches the registry's or the layout's staged state. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(options: PostgresSnapshotTargetOptions) {
    this.options = options;
    this.pool = postgresPool({ url: options.url, max: Math.max(1, options.parallelism), applicationName: "tributary snapshot", queryTimeoutMs: options.queryTimeoutMs, logger: options.logger });
    this.pool.on("error", (error) => options.logger.warn({ err: redactSecrets(error.message) }, "PostgreSQL connection of the snapshot lost"));
    this.tables = new SnapshotTables(options.checkpointSchema, options.pipeline);
    this.stateless = !options.layout.prepare && !options.layout.commit && !options.layout.rollback;
  }

  loadSnapshots(): Promise<Map<string, CollectionSnapshotState>> {
    return this.retrying(`the snapshot state of pipeline '${this.options.pipeline}'`, () => this.withClient((client) => this.tables.load(client)));
  }

  async startSnapshot(plan: CollectionSnapshotPlan): Promise<void> {
    const { layout, registry } = this.options;
    const empty = await this.retrying(`the start of the snapshot of ${plan.namespace}`, () =>
      this.exclusively(() =>
        this.transaction(true, async (client) => {
          await this.tables.start(client, plan);
          // An inferred layout needs documents to know its tables: the first chunk creates them,
          // so only a table of that name that exists already can hold rows.
          if (layout.prepare) return layout.bulkLoad !== undefined && (await isMissingOrEmpty(client, registry.lookup(plan.namespace) ?? layout.nameOf(plan.namespace)));
          const ref = await registry.ensure(client, plan.namespace);
          return layout.bulkLoad !== undefined && (await isEmpty(client, ref));
        }),
      ),
    );
    if (this.stateless) this.ready.add(plan.namespace);
    if (empty) this.emptyAtStart.add(plan.namespace);
  }

  async writeChunk(chunk: SnapshotChunk): Promise<void> {
    const changes = upsertsOf(chunk);
    const first = chunk.events[0]?.key;
    const last = chunk.events.at(-1)?.key;
    const progress: ChunkProgress = {
      namespace: chunk.namespace,
      rangeNo: chunk.rangeNo,
      startedToken: chunk.startedAt.resumeToken._data,
      ...(first && last ? { first: encodeIdBound(first._id), last: encodeIdBound(last._id) } : {}),
      documents: chunk.events.length,
      done: chunk.last,
    };
    const parallel = this.stateless && this.ready.has(chunk.namespace);
    const write = (bulkLoad: boolean): Promise<void> => this.transaction(!parallel, (client) => this.writeRows(client, chunk.namespace, changes, bulkLoad), progress);
    const bulkLoad = changes.length > 0 && this.emptyAtStart.has(chunk.namespace);
    // A declined bulk load (a chunk redone after a lost COMMIT) rolls the chunk back: again, the usual way.
    const attempt = (): Promise<void> => (bulkLoad ? withBulkLoadsOrNot(write) : write(false));
    await this.retrying(
      `the snapshot of ${chunk.namespace} (range ${chunk.rangeNo})`,
      () => (parallel ? attempt() : this.exclusively(attempt)),
      // A connection lost while COMMIT was in flight may have committed: ask before redoing.
      () => this.isRecorded(progress),
    );
    // Its tables were ensured in a committed transaction: from now on no staged state is involved.
    if (this.stateless && changes.length > 0) this.ready.add(chunk.namespace);
  }

  finishSnapshot(namespace: string): Promise<void> {
    return this.retrying(`the end of the snapshot of ${namespace}`, () => this.transaction(false, (client) => this.tables.finish(client, namespace)));
  }

  /** Closes the pool; a chunk waiting to be retried gives up. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.pool.end();
  }

  private async writeRows(client: pg.PoolClient, namespace: string, changes: readonly UpsertChange[], bulkLoad: boolean): Promise<void> {
    if (changes.length === 0) return;
    const { layout, registry } = this.options;
    await layout.prepare?.(client, namespace, changes, registry.lookup(namespace) !== undefined);
    const ref = await registry.ensure(client, namespace);
    if (bulkLoad && layout.bulkLoad) await layout.bulkLoad(client, ref, changes).catch(declineOnDuplicateKey);
    else await layout.write(client, ref, changes);
  }

  /**
   * Runs `work` in a transaction on a pooled connection. With `staged`, the registry's and the
   * layout's staged state is committed or rolled back with it (the caller holds the queue). With
   * `progress`, the chunk's progress is recorded in the round trip of the transaction's BEGIN.
   */
  private transaction<T>(staged: boolean, work: (client: pg.PoolClient) => Promise<T>, progress?: ChunkProgress): Promise<T> {
    const begin = progress === undefined ? undefined : beginWith(this.tables.recordChunkStatement(progress), (error) => this.tables.failedRecord(error, progress));
    return this.withClient((client, discard) => inTransaction(client, discard, () => work(client), staged ? [this.options.registry, this.options.layout] : [], begin));
  }

  private withClient<T>(work: (client: pg.PoolClient, discard: (error: Error) => void) => Promise<T>): Promise<T> {
    return withPooledClient(() => this.pool.connect(), work);
  }

  /** Runs `work` once every earlier exclusive work has settled, and before any later one starts. */
  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const result = this.serial.then(work);
    this.serial = result.catch(() => undefined);
    return result;
  }

  private isRecorded(progress: ChunkProgress): Promise<boolean> {
    return this.withClient((client) => this.tables.isRecorded(client, progress));
  }

  /**
   * Runs `work`, again with back-off while PostgreSQL is unreachable: every step here may be
   * redone, unless `committed` says the lost try took effect after all.
   */
  private retrying<T>(what: string, work: () => Promise<T>, committed?: RetryWithProbeOptions<T>["committed"]): Promise<T> {
    const { retry, logger } = this.options;
    return retryWithProbe({ attempt: work, committed, ...postgresRetry({ what, retrying: what, retry, logger, signal: this.closing.signal }) });
  }
}

/**
 * The chunk's events as row changes: each upserts its document. A plain loop: this runs between
 * two chunks' `COPY`s, while PostgreSQL waits, and `flatMap`'s array per event made it take about
 * 1.5 times as long (docs/benchmarks.md, thirteenth pass).
 */
function upsertsOf(chunk: SnapshotChunk): UpsertChange[] {
  const changes: UpsertChange[] = [];
  for (const event of chunk.events) if (event.doc) changes.push({ kind: "upsert", key: keyText(event.doc._id), doc: event.doc, event });
  return changes;
}

/** Whether a table does not exist yet or holds no row. */
async function isMissingOrEmpty(client: pg.PoolClient, name: { readonly schema: string; readonly table: string }): Promise<boolean> {
  const result = await client.query<{ missing: boolean }>("SELECT to_regclass($1) IS NULL AS missing", [qualifiedName(name.schema, name.table)]);
  return result.rows[0]?.missing === true || (await isEmpty(client, name));
}

/** Whether a table holds no row (a snapshot into it cannot meet an existing one). */
async function isEmpty(client: pg.PoolClient, ref: { readonly schema: string; readonly table: string }): Promise<boolean> {
  const result = await client.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${qualifiedName(ref.schema, ref.table)}) AS empty`);
  return result.rows[0]?.empty === true;
}

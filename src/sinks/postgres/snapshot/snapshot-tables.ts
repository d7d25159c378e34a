import type { PoolClient } from "pg";
import { ErrorCode } from "../../../core/error-codes.js";
import { TributaryError } from "../../../core/tributary-error.js";
import type { CollectionSnapshotPlan, CollectionSnapshotState, IdRange, SnapshotRangeState } from "../../../core/snapshot-contract.js";
import { decodeIdBound, encodeIdBound, namesBound } from "../../../codec/id-bound.js";
import { makePosition, resumeTokenOfText, resumeTokenText } from "../../../core/position.js";
import { isMarkedFailure, oneRowOrFail } from "../one-row-or-fail.js";
import { qualifiedName } from "../sql.js";

/** What {@link SnapshotTables.recordChunkStatement} fails with (inside PostgreSQL's message) when the range is not in progress. */
const RECORD_FAILED = "tributary: the snapshot range is not in progress; rows: ";

/** A range's progress after one chunk, as {@link SnapshotTables.recordChunkStatement} stores it. */
export interface ChunkProgress {
  readonly namespace: string;
  readonly rangeNo: number;
  /** The resume token of the snapshot the chunk belongs to: a chunk of a snapshot since restarted is refused. */
  readonly startedToken: string;
  /** Encoded `_id` of the chunk's first and last documents; absent for an empty chunk. */
  readonly first?: string;
  readonly last?: string;
  readonly documents: number;
  readonly done: boolean;
}

interface SnapshotRow {
  namespace: string;
  status: "copying" | "done";
  started_token: string;
  /** The whole token (canonical Extended JSON); NULL in rows of versions before it. */
  started_token_full: string | null;
  estimated: string;
}

interface RangeRow {
  namespace: string;
  range_no: number;
  lower: string | null;
  upper: string | null;
  resume_from: string | null;
  copied: string;
  done: boolean;
}

/**
 * The snapshot state of each collection, in the target next to the data so that a chunk's
 * rows and its range's progress commit together: `snapshots` (one row per collection) and
 * `snapshot_ranges` (one row per `_id` range, bounds as text written by `encodeIdBound`: the
 * base64 of their BSON, or Extended JSON in rows of older versions; NULL = unbounded).
 */
export class SnapshotTables {
  private readonly snapshots: string;
  private readonly ranges: string;
  private readonly pipeline: string;

  constructor(schema: string, pipeline: string) {
    this.snapshots = qualifiedName(schema, "snapshots");
    this.ranges = qualifiedName(schema, "snapshot_ranges");
    this.pipeline = pipeline;
  }

  createStatements(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.snapshots} (
        pipeline text NOT NULL,
        namespace text NOT NULL,
        status text NOT NULL CHECK (status IN ('copying', 'done')),
        started_token text NOT NULL,
        estimated bigint NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        PRIMARY KEY (pipeline, namespace)
      )`,
      `CREATE TABLE IF NOT EXISTS ${this.ranges} (
        pipeline text NOT NULL,
        namespace text NOT NULL,
        range_no integer NOT NULL,
        lower text,
        upper text,
        resume_from text,
        copied bigint NOT NULL DEFAULT 0,
        done boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (pipeline, namespace, range_no),
        FOREIGN KEY (pipeline, namespace) REFERENCES ${this.snapshots} (pipeline, namespace) ON DELETE CASCADE
      )`,
      // The whole start token, _typeBits included; tables of older versions get the column here.
      `ALTER TABLE ${this.snapshots} ADD COLUMN IF NOT EXISTS started_token_full text`,
    ];
  }

  async load(client: PoolClient): Promise<Map<string, CollectionSnapshotState>> {
    const snapshots = await client.query<SnapshotRow>(`SELECT namespace, status, started_token, started_token_full, estimated FROM ${this.snapshots} WHERE pipeline = $1 ORDER BY namespace`, [
      this.pipeline,
    ]);
    const ranges = await client.query<RangeRow>(
      `SELECT namespace, range_no, lower, upper, resume_from, copied, done FROM ${this.ranges} WHERE pipeline = $1 ORDER BY namespace, range_no`,
      [this.pipeline],
    );
    const byNamespace = new Map<string, SnapshotRangeState[]>();
    for (const row of ranges.rows) {
      const list = byNamespace.get(row.namespace) ?? [];
      byNamespace.set(row.namespace, list);
      list.push(rangeState(row));
    }
    return new Map(
      snapshots.rows.map((row) => [
        row.namespace,
        {
          namespace: row.namespace,
          status: row.status,
          startedAt: makePosition((row.started_token_full === null ? undefined : resumeTokenOfText(row.started_token_full)) ?? { _data: row.started_token }),
          estimated: Number(row.estimated),
          ranges: byNamespace.get(row.namespace) ?? [],
        },
      ]),
    );
  }

  /** Replaces the stored snapshot of the plan's collection (its ranges go with it) by the plan, every range not done. */
  async start(client: PoolClient, plan: CollectionSnapshotPlan): Promise<void> {
    await client.query(`DELETE FROM ${this.snapshots} WHERE pipeline = $1 AND namespace = $2`, [this.pipeline, plan.namespace]);
    await client.query(
      `INSERT INTO ${this.snapshots} (pipeline, namespace, status, started_token, started_token_full, estimated) VALUES ($1, $2, 'copying', $3, $4, $5)`,
      [this.pipeline, plan.namespace, plan.startedAt.resumeToken._data, resumeTokenText(plan.startedAt.resumeToken), plan.estimated],
    );
    await client.query(
      `INSERT INTO ${this.ranges} (pipeline, namespace, range_no, lower, upper)
       SELECT $1, $2, r.n - 1, r.lower, r.upper FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS r(lower, upper, n)`,
      [this.pipeline, plan.namespace, plan.ranges.map((range) => boundText(range, "lower")), plan.ranges.map((range) => boundText(range, "upper"))],
    );
  }

  /**
   * The statement that records a chunk's progress in the caller's transaction, failing by itself
   * when the range is no longer in progress (tell its failure apart with
   * {@link SnapshotTables.failedRecord}): it goes in one round trip with the transaction's BEGIN.
   * Nothing is counted twice: a resumed range starts again at its last committed document
   * (inclusive), and a chunk ending where the range already is was recorded before.
   */
  recordChunkStatement(progress: ChunkProgress): { text: string; values: unknown[] } {
    const update = `UPDATE ${this.ranges} AS r
       SET copied = r.copied + CASE
             WHEN r.resume_from = $7::text THEN 0
             WHEN r.resume_from = $6::text THEN $5::bigint - 1
             ELSE $5::bigint
           END,
           resume_from = COALESCE($7::text, r.resume_from),
           done = r.done OR $8::boolean,
           updated_at = now()
       FROM ${this.snapshots} AS s
       WHERE r.pipeline = $1 AND r.namespace = $2 AND r.range_no = $3
         AND s.pipeline = r.pipeline AND s.namespace = r.namespace AND s.started_token = $4 AND s.status = 'copying'`;
    return {
      text: oneRowOrFail(update, 9),
      values: [this.pipeline, progress.namespace, progress.rangeNo, progress.startedToken, progress.documents, progress.first ?? null, progress.last ?? null, progress.done, RECORD_FAILED],
    };
  }

  /** What to throw for `error`, a failure of {@link SnapshotTables.recordChunkStatement} or not. */
  failedRecord(error: unknown, progress: ChunkProgress): unknown {
    if (!isMarkedFailure(error, RECORD_FAILED)) return error;
    return new TributaryError(
      ErrorCode.SnapshotFailed,
      `The snapshot of ${progress.namespace} has no range ${progress.rangeNo} in progress any more: it was started again or completed by another process running pipeline '${this.pipeline}'. Run one process per pipeline.`,
      { context: { namespace: progress.namespace, rangeNo: progress.rangeNo } },
    );
  }

  /** Whether a chunk's progress is already stored: after a connection lost during COMMIT, it may be. */
  async isRecorded(client: PoolClient, progress: ChunkProgress): Promise<boolean> {
    const result = await client.query<{ resume_from: string | null; done: boolean }>(
      `SELECT resume_from, done FROM ${this.ranges} WHERE pipeline = $1 AND namespace = $2 AND range_no = $3`,
      [this.pipeline, progress.namespace, progress.rangeNo],
    );
    const row = result.rows[0];
    if (!row) return false;
    if (progress.done && !row.done) return false;
    if (progress.last === undefined) return row.done;
    // A chunk ending on an _id that is no bound leaves no mark of its own: redo it (upserts, and
    // its count is not added twice), rather than take an earlier such chunk's mark for it.
    return namesBound(progress.last) && row.resume_from === progress.last;
  }

  async finish(client: PoolClient, namespace: string): Promise<void> {
    const result = await client.query(`UPDATE ${this.snapshots} SET status = 'done', finished_at = now() WHERE pipeline = $1 AND namespace = $2 AND status = 'copying'`, [
      this.pipeline,
      namespace,
    ]);
    if (result.rowCount === 1) return;
    const stored = await client.query(`SELECT 1 FROM ${this.snapshots} WHERE pipeline = $1 AND namespace = $2`, [this.pipeline, namespace]);
    // Finishing twice (a retry after a lost COMMIT) is harmless; finishing what never started is a bug.
    if (stored.rowCount === 0) {
      throw new TributaryError(ErrorCode.SnapshotFailed, `The snapshot of ${namespace} cannot be completed: pipeline '${this.pipeline}' has none started`, { context: { namespace } });
    }
  }
}

function boundText(range: IdRange, bound: "lower" | "upper"): string | null {
  return range[bound] === undefined ? null : encodeIdBound(range[bound]);
}

function rangeState(row: RangeRow): SnapshotRangeState {
  const range: { lower?: unknown; upper?: unknown } = {};
  if (row.lower !== null) range.lower = decodeIdBound(row.lower);
  if (row.upper !== null) range.upper = decodeIdBound(row.upper);
  return {
    rangeNo: row.range_no,
    range,
    ...(row.resume_from === null ? {} : { resumeFrom: decodeIdBound(row.resume_from) }),
    copied: Number(row.copied),
    done: row.done,
  };
}

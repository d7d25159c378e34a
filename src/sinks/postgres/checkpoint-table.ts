import type { PoolClient } from "pg";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import { makePosition, positionDate, resumeTokenOfText, resumeTokenText, type Position } from "../../core/position.js";
import { failWith, isMarkedFailure } from "./one-row-or-fail.js";
import { qualifiedName } from "./sql.js";

/** What {@link CheckpointTable.advanceOrFailStatement} fails with (inside PostgreSQL's message) when the position did not move. */
const ADVANCE_FAILED = "tributary: the stored position was not advanced; it is: ";

/**
 * The stored position of each pipeline, in the target database itself so that it commits in
 * the same transaction as the data it describes. `token` holds the whole resume token
 * (canonical Extended JSON, with its `_typeBits`); rows of versions before it have only
 * `resume_token` (the token's `_data`) and are read as before.
 */
export class CheckpointTable {
  private readonly table: string;
  private readonly pipeline: string;

  /** The statement of {@link CheckpointTable.advanceOrFailStatement}, made once: it is sent with every batch. */
  private readonly advanceOrFailText: string;

  constructor(schema: string, pipeline: string) {
    this.table = qualifiedName(schema, "positions");
    this.pipeline = pipeline;
    // COALESCE: should the column ever allow NULL, `$7 || NULL` would be NULL, and pass.
    this.advanceOrFailText = this.upsertText(`CASE WHEN p.position = $6 THEN EXCLUDED.position ELSE ${failWith(7, "coalesce(p.position, 'NULL')")}::text END`, "");
  }

  /** Creates the table, and adds `token` to a table an older version created (one simple-protocol query). */
  createStatement(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (
      pipeline text PRIMARY KEY,
      position text NOT NULL,
      resume_token text NOT NULL,
      token text,
      cluster_time timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS token text`;
  }

  async read(client: PoolClient): Promise<Position | undefined> {
    const result = await client.query<{ resume_token: string; token: string | null }>(`SELECT resume_token, token FROM ${this.table} WHERE pipeline = $1`, [this.pipeline]);
    const row = result.rows[0];
    if (!row) return undefined;
    const token = row.token === null ? { _data: row.resume_token } : resumeTokenOfText(row.token);
    if (token === undefined || token._data !== row.resume_token) {
      throw new TributaryError(
        ErrorCode.ResumePointUnreadable,
        `The stored position of pipeline '${this.pipeline}' in ${this.table} has a token column Tributary did not write; fix or delete that row`,
        { context: { pipeline: this.pipeline } },
      );
    }
    return makePosition(token);
  }

  /**
   * Moves the position from `expected` to `next` inside the caller's transaction. If the
   * stored position is not `expected`, another process runs the same pipeline: stop rather
   * than apply changes twice.
   */
  async advance(client: PoolClient, expected: Position | undefined, next: Position): Promise<void> {
    const result = await client.query(this.upsertText("EXCLUDED.position", " WHERE p.position = $6"), this.advanceValues(expected, next));
    if (result.rowCount !== 1) throw this.mismatch();
  }

  /**
   * {@link CheckpointTable.advance} as one statement that fails by itself when the position does
   * not move, for a caller that sends it in one round trip with the batch (whose transaction then
   * commits nothing). Its failure is told apart by {@link CheckpointTable.failedAdvance}.
   *
   * The check is in the update itself: a stored position other than `expected` makes the new
   * value a failing cast. Wrapped in a CTE that counted the rows it changed (as the snapshot's
   * progress is), the statement cost PostgreSQL about 40 µs more per batch, a tenth of a change
   * sent alone with a mapping file (docs/benchmarks.md, fourteenth pass). A missing row is
   * inserted, as {@link CheckpointTable.advance} does.
   */
  advanceOrFailStatement(expected: Position | undefined, next: Position): { text: string; values: unknown[] } {
    return { text: this.advanceOrFailText, values: [...this.advanceValues(expected, next), ADVANCE_FAILED] };
  }

  /** The mismatch error when `error` is the failure of {@link CheckpointTable.advanceOrFailStatement}, else `error` itself. */
  failedAdvance(error: unknown): unknown {
    return isMarkedFailure(error, ADVANCE_FAILED) ? this.mismatch() : error;
  }

  /** The stored row's upsert from {@link CheckpointTable.advanceValues}: `position` set to `newPosition`, the update made only `where` (`$6` is the expected position). */
  private upsertText(newPosition: string, where: string): string {
    return `INSERT INTO ${this.table} AS p (pipeline, position, resume_token, token, cluster_time)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (pipeline) DO UPDATE
         SET position = ${newPosition}, resume_token = EXCLUDED.resume_token, token = EXCLUDED.token,
             cluster_time = EXCLUDED.cluster_time, updated_at = now()${where}`;
  }

  private advanceValues(expected: Position | undefined, next: Position): unknown[] {
    return [this.pipeline, next.key, next.resumeToken._data, resumeTokenText(next.resumeToken), positionDate(next), expected?.key ?? null];
  }

  /** The stored position is not the one this process committed last. */
  private mismatch(): TributaryError {
    return new TributaryError(
      ErrorCode.CheckpointMismatch,
      `The stored position of pipeline '${this.pipeline}' changed under this process: another process is running the same pipeline. Stop one of them, or give each its own --name.`,
      { context: { pipeline: this.pipeline } },
    );
  }
}

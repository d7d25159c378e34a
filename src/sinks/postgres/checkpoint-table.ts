import type { PoolClient } from "pg";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import { makePosition, positionDate, type Position } from "../../core/position.js";
import { qualifiedName } from "./sql.js";

/**
 * The stored position of each pipeline, in the target database itself so that it commits in
 * the same transaction as the data it describes.
 */
export class CheckpointTable {
  private readonly table: string;
  private readonly pipeline: string;

  constructor(schema: string, pipeline: string) {
    this.table = qualifiedName(schema, "positions");
    this.pipeline = pipeline;
  }

  createStatement(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (
      pipeline text PRIMARY KEY,
      position text NOT NULL,
      resume_token text NOT NULL,
      cluster_time timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`;
  }

  async read(client: PoolClient): Promise<Position | undefined> {
    const result = await client.query<{ resume_token: string }>(`SELECT resume_token FROM ${this.table} WHERE pipeline = $1`, [this.pipeline]);
    const row = result.rows[0];
    return row ? makePosition({ _data: row.resume_token }) : undefined;
  }

  /**
   * Moves the position from `expected` to `next` inside the caller's transaction. If the
   * stored position is not `expected`, another process runs the same pipeline: stop rather
   * than apply changes twice.
   */
  async advance(client: PoolClient, expected: Position | undefined, next: Position): Promise<void> {
    const result = await client.query(
      `INSERT INTO ${this.table} AS p (pipeline, position, resume_token, cluster_time)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (pipeline) DO UPDATE
         SET position = EXCLUDED.position, resume_token = EXCLUDED.resume_token,
             cluster_time = EXCLUDED.cluster_time, updated_at = now()
         WHERE p.position = $5`,
      [this.pipeline, next.key, next.resumeToken._data, positionDate(next), expected?.key ?? null],
    );
    if (result.rowCount !== 1) {
      throw new TributaryError(
        ErrorCode.CheckpointMismatch,
        `The stored position of pipeline '${this.pipeline}' changed under this process: another process is running the same pipeline. Stop one of them, or give each its own --name.`,
        { context: { pipeline: this.pipeline } },
      );
    }
  }
}

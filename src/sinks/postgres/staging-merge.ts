import type { ClientBase } from "pg";

/** A temporary staging table of the session: its name and its column definitions. */
export interface Stage {
  readonly name: string;
  readonly definitions: string;
}

/**
 * `INSERT INTO table (columns) SELECT columns FROM stage` followed by `conflict` (its
 * `ON CONFLICT …`), of rows that `copy` sends by `COPY` into the destination it is given (the
 * session's staging table and its columns) and counts, in the caller's transaction. The
 * staging table is created when missing (a rollback takes it away again), emptied after each
 * merge for the next table of the same transaction, and truncated at commit: one created and
 * dropped per merge would cost two catalog writes each time, and a temporary table is never
 * vacuumed, so deleted rows alone would grow its files with every merge.
 */
export async function mergeCopiedThroughStage(
  client: ClientBase,
  stage: Stage,
  table: string,
  columns: string,
  copy: (destination: string) => Promise<number>,
  conflict: string,
): Promise<void> {
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage.name} (${stage.definitions}) ON COMMIT DELETE ROWS`);
  if ((await copy(`pg_temp.${stage.name} (${columns})`)) === 0) return;
  await client.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM pg_temp.${stage.name}${conflict}`);
  await client.query(`DELETE FROM pg_temp.${stage.name}`);
}

import type { ClientBase } from "pg";
import { copyLines } from "./copy-text.js";

/** A temporary staging table of the session: its name and its column definitions. */
export interface Stage {
  readonly name: string;
  readonly definitions: string;
}

/**
 * `INSERT INTO table (columns) SELECT columns FROM stage` followed by `conflict` (its
 * `ON CONFLICT …`), of rows sent as `COPY` lines into the session's staging table, in the
 * caller's transaction. The staging table is created when missing (a rollback takes it away
 * again), emptied after each merge for the next table of the same transaction, and truncated at
 * commit: one created and dropped per merge would cost two catalog writes each time, and a
 * temporary table is never vacuumed, so deleted rows alone would grow its files with every merge.
 */
export async function mergeLinesThroughStage(client: ClientBase, stage: Stage, table: string, columns: string, lines: Iterable<string>, conflict: string): Promise<void> {
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage.name} (${stage.definitions}) ON COMMIT DELETE ROWS`);
  let count = 0;
  await copyLines(client, `pg_temp.${stage.name} (${columns})`, counted(lines, () => (count += 1)));
  if (count === 0) return;
  await client.query(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM pg_temp.${stage.name}${conflict}`);
  await client.query(`DELETE FROM pg_temp.${stage.name}`);
}

function* counted(lines: Iterable<string>, each: () => void): Generator<string> {
  for (const line of lines) {
    each();
    yield line;
  }
}

import pg from "pg";
import { silentLogger } from "../../src/observability/logger.js";
import { PostgresSink, type PostgresSinkOptions } from "../../src/sinks/postgres/postgres-sink.js";

/** A sink on the given database with test defaults (fast retries, silent logs). */
export function makeSink(url: string, overrides: Partial<PostgresSinkOptions> = {}): PostgresSink {
  return new PostgresSink({
    url,
    schema: "public",
    checkpointSchema: "tributary",
    tables: {},
    pipeline: "test",
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
    logger: silentLogger(),
    ...overrides,
  });
}

/** Runs one query on a fresh connection and returns its rows. */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

import pg from "pg";
import { silentLogger } from "../../src/core/logger.js";
import type { Batch, Sink } from "../../src/core/sink.js";
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

/** `target` as a plain sink that tells `onApplied` of each batch once `target` has applied it. */
export function observedSink(target: Sink, onApplied: (batch: Batch) => void): Sink {
  return {
    name: target.name,
    transactional: target.transactional,
    open: (signal) => target.open(signal),
    close: () => target.close(),
    apply: async (batch, signal) => {
      await target.apply(batch, signal);
      onApplied(batch);
    },
  };
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

/**
 * Creates a raw table (as Tributary would) whose row updates are counted: a snapshot that copies
 * a document it already wrote updates its row. Returns a reader of the count.
 */
export async function createRewriteCountingTable(url: string, table: string): Promise<() => Promise<number>> {
  await query(
    url,
    `CREATE TABLE public.rewrites (n int NOT NULL);
     CREATE TABLE ${table} (_id text PRIMARY KEY, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
     CREATE FUNCTION count_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.rewrites VALUES (1); RETURN NEW; END $$;
     CREATE TRIGGER count_rewrite BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION count_rewrite();`,
  );
  return async () => Number((await query<{ n: string }>(url, "SELECT count(*) AS n FROM public.rewrites"))[0]?.n);
}

import pg from "pg";

/** End-to-end lag percentiles, milliseconds. */
export interface Lag {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const POLL_MS = 50;

/** What the raw table says: rows, updates seen (`revision`), when the last was committed, and lag per row. */
export async function appliedRows(url: string, table: string, sentinel: string): Promise<{ rows: number; updates: number; lastSyncedMs: number; lagMs: Lag }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<Record<"rows" | "updates" | "last_synced_ms" | "p50" | "p99" | "max", string | number | null>>(
      `WITH applied AS (
         SELECT (doc->>'revision')::int AS revision,
                extract(epoch FROM _synced_at) * 1000 AS synced_ms,
                extract(epoch FROM _synced_at - (doc->'writtenAt'->>'$date')::timestamptz) * 1000 AS lag_ms
         FROM "${table}" WHERE _id <> $1)
       SELECT count(*) AS rows, coalesce(sum(revision), 0) AS updates, max(synced_ms) AS last_synced_ms,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms) AS p99,
              max(lag_ms) AS max
       FROM applied`,
      [sentinel],
    );
    const found = result.rows[0];
    const number = (value: string | number | null | undefined): number => Number(value ?? 0);
    return {
      rows: number(found?.rows),
      updates: number(found?.updates),
      lastSyncedMs: number(found?.last_synced_ms),
      lagMs: { p50: number(found?.p50), p99: number(found?.p99), max: number(found?.max) },
    };
  } finally {
    await client.end();
  }
}

/** Resolves once `sql` returns a row (a missing table counts as no row yet), or `signal` aborts. */
async function poll(url: string, sql: string, params: unknown[], signal: AbortSignal): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    while (!signal.aborted) {
      const found = await client.query(sql, params).then(
        (result) => (result.rowCount ?? 0) > 0,
        () => false,
      );
      if (found) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await client.end();
  }
}

/** Waits for `sql` to return a row, unless the child ends first (it failed) or `timeoutMs` passes. */
export async function untilRow(url: string, sql: string, params: unknown[], child: Promise<unknown>, timeoutMs: number | undefined, what: string): Promise<void> {
  const stop = new AbortController();
  const ended = child.then(() => {
    throw new Error(`the child ended while waiting for ${what}`);
  });
  // Once the row is found, the child's later end is not a failure of this wait.
  ended.catch(() => undefined);
  try {
    const found = Promise.race([poll(url, sql, params, stop.signal), ended]);
    await (timeoutMs === undefined ? found : withTimeout(found, timeoutMs, what));
  } finally {
    stop.abort();
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms / 1000} s for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

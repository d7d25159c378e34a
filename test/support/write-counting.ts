// Triggers that count and police the writes of the fault tests, on the synthetic stream's
// table (public.crash_synthetic) and on the positions table.

import { query } from "./postgres-sink-fixture.js";

/**
 * Creates the synthetic stream's raw table, whose rows only move forward (a change applied after
 * a newer one, such as a batch applied twice, fails the batch), and counts every write of
 * `tributary.positions` (create that table first: `sink.open()`, or `withPositionsTable`).
 * Returns a reader of the count (all writes, distinct positions written).
 */
export async function createWriteCountingTables(url: string, options: { withPositionsTable?: boolean } = {}): Promise<() => Promise<{ all: number; distinct: number }>> {
  const positions = options.withPositionsTable
    ? `CREATE SCHEMA tributary;
       CREATE TABLE tributary.positions (pipeline text PRIMARY KEY, position text NOT NULL, resume_token text NOT NULL, token text, cluster_time timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());`
    : "";
  await query(
    url,
    `CREATE TABLE public.crash_synthetic (_id text PRIMARY KEY, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
     CREATE FUNCTION only_forward() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       IF (NEW.doc->>'k')::int <= (OLD.doc->>'k')::int THEN RAISE EXCEPTION 'change % applied after %', NEW.doc->>'k', OLD.doc->>'k'; END IF;
       RETURN NEW; END $$;
     CREATE TRIGGER only_forward BEFORE UPDATE ON public.crash_synthetic FOR EACH ROW EXECUTE FUNCTION only_forward();
     ${positions}
     CREATE TABLE public.position_writes (position text NOT NULL);
     CREATE FUNCTION count_position() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.position_writes VALUES (NEW.position); RETURN NEW; END $$;
     CREATE TRIGGER count_position AFTER INSERT OR UPDATE ON tributary.positions FOR EACH ROW EXECUTE FUNCTION count_position();`,
  );
  return async () => {
    const [row] = await query<{ all: string; distinct: string }>(url, "SELECT count(*) AS all, count(DISTINCT position) AS distinct FROM public.position_writes");
    return { all: Number(row?.all), distinct: Number(row?.distinct) };
  };
}

/** The synthetic stream's rows: key → the `k` of its last write. */
export async function syntheticRows(url: string): Promise<Map<string, number>> {
  const rows = await query<{ _id: string; k: number }>(url, "SELECT _id, (doc->>'k')::int AS k FROM public.crash_synthetic");
  return new Map(rows.map((row) => [row._id, row.k]));
}

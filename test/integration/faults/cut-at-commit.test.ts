// The connection is cut at COMMIT by a TCP relay between the sink and PostgreSQL:
// - the reply lost: the batch committed, the sink cannot know; its retry asks before redoing;
// - a black hole (half-open): nothing passes and nothing closes; the query timeout gives the
//   connection up, the server ends the session left idle in its transaction (and its locks),
//   and the batch is redone.
// Nothing is applied twice: every data row only moves forward (a trigger refuses a replay) and
// every position write is counted.

import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY } from "../../../src/core/retry.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { startTcpRelay, type CommitCut } from "../../support/tcp-relay.js";
import { syntheticEvent, syntheticFinalState, syntheticIndexOf } from "../../support/synthetic-stream.js";

const TOTAL = 6_000;
const BATCH = 200;
/** The batches (from 0) whose COMMIT is cut. */
const CUT_AT = new Set([0, 3, 4, 11, 29]);
/** For the black hole: how long a query waits for its answer (the production default is 5 minutes). */
const QUERY_TIMEOUT_MS = 1_500;

async function countingTriggers(url: string): Promise<void> {
  await query(
    url,
    `CREATE TABLE public.crash_synthetic (_id text PRIMARY KEY, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
     CREATE FUNCTION only_forward() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       IF (NEW.doc->>'k')::int <= (OLD.doc->>'k')::int THEN RAISE EXCEPTION 'change % applied after %', NEW.doc->>'k', OLD.doc->>'k'; END IF;
       RETURN NEW; END $$;
     CREATE TRIGGER only_forward BEFORE UPDATE ON public.crash_synthetic FOR EACH ROW EXECUTE FUNCTION only_forward();
     CREATE TABLE public.position_writes (position text NOT NULL);
     CREATE FUNCTION count_position() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.position_writes VALUES (NEW.position); RETURN NEW; END $$;
     CREATE TRIGGER count_position AFTER INSERT OR UPDATE ON tributary.positions FOR EACH ROW EXECUTE FUNCTION count_position();`,
  );
}

describe.each<CommitCut>(["reply lost", "black hole"])("the connection cut at COMMIT (%s)", (how) => {
  it("neither loses the batch nor applies it twice", { timeout: 180_000 }, async () => {
    const url = await createDatabase(postgresUrl(), `fault_cut_${how.replace(/\W/g, "_")}`);
    const relay = await startTcpRelay(Number(new URL(url).port));
    const relayed = new URL(url);
    relayed.port = String(relay.port);
    const { logger, lines } = capturingLogger();
    const sink = makeSink(relayed.toString(), { pipeline: "faults", retry: DEFAULT_RETRY, logger, queryTimeoutMs: QUERY_TIMEOUT_MS });
    await sink.open();
    await countingTriggers(url);

    const recoveries: number[] = [];
    for (let batch = 0, next = 1; next <= TOTAL; batch += 1, next += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, TOTAL - next + 1) }, (_, i) => syntheticEvent(next + i));
      const cutAt = CUT_AT.has(batch) ? relay.cutAtNextCommit(how).then(() => Date.now()) : undefined;
      await sink.apply({ events, position: events.at(-1)!.position });
      if (cutAt) recoveries.push(Date.now() - (await cutAt));
    }
    await sink.close();
    await relay.close();

    const batches = Math.ceil(TOTAL / BATCH);
    const rows = await query<{ _id: string; k: number }>(url, "SELECT _id, (doc->>'k')::int AS k FROM public.crash_synthetic");
    const [writes] = await query<{ all: string; distinct: string }>(url, "SELECT count(*) AS all, count(DISTINCT position) AS distinct FROM public.position_writes");
    const retries = lines.filter((line) => String(line.msg).startsWith("PostgreSQL unavailable"));
    console.log(
      `[faults] COMMIT cut (${how}) in ${recoveries.length} of ${batches} batches: applied ${recoveries.join(", ")} ms after each cut (query timeout ${QUERY_TIMEOUT_MS} ms); ` +
        `${retries.length} retries (codes: ${[...new Set(retries.map((line) => line.code))].join(", ")}), ${writes?.all} position writes; 0 lost, 0 applied twice`,
    );
    expect(recoveries).toHaveLength(CUT_AT.size);
    expect(new Set(retries.map((line) => line.code))).toEqual(new Set(["PostgresConnectionLost"]));
    expect(new Map(rows.map((row) => [row._id, row.k]))).toEqual(syntheticFinalState(TOTAL));
    expect(syntheticIndexOf(sink.storedPosition())).toBe(TOTAL);
    expect({ all: Number(writes?.all), distinct: Number(writes?.distinct) }).toEqual({ all: batches, distinct: batches });
  });
});

// The connection is cut at COMMIT with the server's reply lost (a TCP relay between the sink and
// PostgreSQL): the batch committed, the sink cannot know. Its retry asks before redoing, so
// nothing is applied twice: every data row only moves forward (a trigger refuses a replay) and
// every position write is counted.

import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RETRY } from "../../../src/core/retry.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { startTcpRelay } from "../../support/tcp-relay.js";
import { syntheticEvent, syntheticFinalState, syntheticIndexOf } from "../../support/synthetic-stream.js";

const TOTAL = 6_000;
const BATCH = 200;
/** The batches (from 0) whose COMMIT reply is lost. */
const LOST_AT = new Set([0, 3, 4, 11, 29]);

describe("a reply lost at COMMIT", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "fault_lost_commit");
  });

  it("is neither lost nor applied twice: the retry asks whether the batch committed", { timeout: 120_000 }, async () => {
    const relay = await startTcpRelay(Number(new URL(url).port));
    const relayed = new URL(url);
    relayed.port = String(relay.port);
    const { logger, lines } = capturingLogger();
    const sink = makeSink(relayed.toString(), { pipeline: "faults", retry: DEFAULT_RETRY, logger });
    await sink.open();
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

    let lost = 0;
    for (let batch = 0, next = 1; next <= TOTAL; batch += 1, next += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, TOTAL - next + 1) }, (_, i) => syntheticEvent(next + i));
      const losing = LOST_AT.has(batch) ? relay.loseNextCommitReply().then(() => (lost += 1)) : undefined;
      await sink.apply({ events, position: events.at(-1)!.position });
      await losing;
    }
    await sink.close();
    await relay.close();

    const batches = Math.ceil(TOTAL / BATCH);
    const rows = await query<{ _id: string; k: number }>(url, "SELECT _id, (doc->>'k')::int AS k FROM public.crash_synthetic");
    const [writes] = await query<{ all: string; distinct: string }>(url, "SELECT count(*) AS all, count(DISTINCT position) AS distinct FROM public.position_writes");
    const retries = lines.filter((line) => String(line.msg).startsWith("PostgreSQL unavailable"));
    console.log(`[faults] ${lost} COMMIT replies lost in ${batches} batches: ${retries.length} retries (codes: ${[...new Set(retries.map((line) => line.code))].join(", ")}), ${writes?.all} position writes; 0 lost, 0 applied twice`);
    expect(lost).toBe(LOST_AT.size);
    expect(retries.map((line) => line.code)).toEqual([...LOST_AT].map(() => "PostgresConnectionLost"));
    expect(new Map(rows.map((row) => [row._id, row.k]))).toEqual(syntheticFinalState(TOTAL));
    expect(syntheticIndexOf(sink.storedPosition())).toBe(TOTAL);
    expect({ all: Number(writes?.all), distinct: Number(writes?.distinct) }).toEqual({ all: batches, distinct: batches });
  });
});

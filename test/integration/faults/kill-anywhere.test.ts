// kill -9 of the process at 20 random points across a snapshot and the streaming after it. Every
// restart continues from what was committed: the copy ends with every document once, the stream
// with the exact final state, each batch's position written exactly once, and a row of the
// stream never written with an older change (a trigger refuses it, failing the worker).

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { createRewriteCountingTable, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { syntheticFinalState } from "../../support/synthetic-stream.js";
import { waitFor } from "../../support/wait-for.js";

const WORKER = fileURLToPath(new URL("../../support/fault-worker.ts", import.meta.url));
const DOCUMENTS = 15_000;
const CHANGES = 20_000;
const BATCH = 200;
const KILLS = 20;
const PARALLELISM = 3;

function runWorker(url: string): { exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>; kill: () => void } {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, url, String(DOCUMENTS), String(CHANGES), String(BATCH), "60"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { exit: new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr }))), kill: () => child.kill("SIGKILL") };
}

/** A seeded generator (mulberry32): the kill points of a run can be replayed from its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("kill -9 anywhere in a snapshot and the streaming after it", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "fault_kill_anywhere");
  });

  it(`loses nothing and applies nothing twice across ${KILLS} kills`, { timeout: 300_000 }, async () => {
    const rewrites = await createRewriteCountingTable(url, "public.shop_orders");
    await query(
      url,
      `CREATE TABLE public.crash_synthetic (_id text PRIMARY KEY, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
       CREATE FUNCTION only_forward() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         IF (NEW.doc->>'k')::int <= (OLD.doc->>'k')::int THEN RAISE EXCEPTION 'change % applied after %', NEW.doc->>'k', OLD.doc->>'k'; END IF;
         RETURN NEW; END $$;
       CREATE TRIGGER only_forward BEFORE UPDATE ON public.crash_synthetic FOR EACH ROW EXECUTE FUNCTION only_forward();
       CREATE SCHEMA tributary;
       CREATE TABLE tributary.positions (pipeline text PRIMARY KEY, position text NOT NULL, resume_token text NOT NULL, token text, cluster_time timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
       CREATE TABLE public.position_writes (position text NOT NULL);
       CREATE FUNCTION count_position() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.position_writes VALUES (NEW.position); RETURN NEW; END $$;
       CREATE TRIGGER count_position AFTER INSERT OR UPDATE ON tributary.positions FOR EACH ROW EXECUTE FUNCTION count_position();`,
    );
    // Progress of the whole run: documents copied, then changes applied.
    const progress = async (): Promise<{ copied: number; streamed: number }> => {
      const [row] = await query<{ copied: string; streamed: string }>(
        url,
        `SELECT (SELECT coalesce(sum(copied), 0) FROM tributary.snapshot_ranges) AS copied,
                (SELECT count(*) FROM public.position_writes) * ${BATCH} AS streamed`,
      ).catch(() => [{ copied: "0", streamed: "0" }]);
      return { copied: Number(row?.copied), streamed: Number(row?.streamed) };
    };

    const seed = Date.now() % 1_000_000;
    const random = seeded(seed);
    const thresholds = Array.from({ length: KILLS }, () => Math.floor(random() * (DOCUMENTS + CHANGES))).sort((a, b) => a - b);
    const killedAt: { copied: number; streamed: number }[] = [];
    for (const threshold of thresholds) {
      const worker = runWorker(url);
      let exited = false;
      void worker.exit.then(() => (exited = true));
      await waitFor(
        async () => {
          const now = await progress();
          return exited || now.copied + now.streamed > threshold;
        },
        `progress past ${threshold}`,
        120_000,
      );
      worker.kill();
      const result = await worker.exit;
      // A worker that ended on its own before the kill must have ended well.
      if (result.signal !== "SIGKILL") expect(result.code, result.stderr).toBe(0);
      killedAt.push(await progress());
    }
    const last = await runWorker(url).exit;
    expect(last.code, last.stderr).toBe(0);

    const rows = await query<{ _id: string; k: number }>(url, "SELECT _id, (doc->>'k')::int AS k FROM public.crash_synthetic");
    const [copy] = await query<{ all: string; distinct: string }>(url, "SELECT count(*) AS all, count(DISTINCT _id) AS distinct FROM public.shop_orders");
    const [positions] = await query<{ all: string; distinct: string }>(url, "SELECT count(*) AS all, count(DISTINCT position) AS distinct FROM public.position_writes");
    const inSnapshot = killedAt.filter((at) => at.copied < DOCUMENTS).length;
    const rewritten = await rewrites();
    console.log(
      `[faults] kill -9 at ${KILLS} random points (seed ${seed}; ${inSnapshot} during the snapshot of ${DOCUMENTS} documents, ${KILLS - inSnapshot} during the stream of ${CHANGES} changes): ` +
        `${copy?.all} rows copied, ${rewritten} rewritten (a restart re-copies the document a range resumes from), ${positions?.all} position writes for ${CHANGES / BATCH} batches; 0 lost, 0 applied twice`,
    );
    expect({ all: Number(copy?.all), distinct: Number(copy?.distinct) }).toEqual({ all: DOCUMENTS, distinct: DOCUMENTS });
    // At most the document each unfinished range resumes from, per restart during the snapshot.
    expect(rewritten).toBeLessThanOrEqual(inSnapshot * PARALLELISM);
    expect(new Map(rows.map((row) => [row._id, row.k]))).toEqual(syntheticFinalState(CHANGES));
    expect({ all: Number(positions?.all), distinct: Number(positions?.distinct) }).toEqual({ all: CHANGES / BATCH, distinct: CHANGES / BATCH });
  });
});

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { syntheticFinalState } from "../../support/synthetic-stream.js";
import { waitFor } from "../../support/wait-for.js";

const WORKER = fileURLToPath(new URL("../../support/synthetic-sink-worker.ts", import.meta.url));
const TOTAL = 20_000;
const BATCH = 250;

function runWorker(url: string): { exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>; kill: () => void } {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, url, String(TOTAL), String(BATCH)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { exit: new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr }))), kill: () => child.kill("SIGKILL") };
}

async function storedIndex(url: string): Promise<number> {
  const rows = await query<{ position: string }>(url, "SELECT position FROM tributary.positions WHERE pipeline = 'synthetic'").catch(() => []);
  const key = rows[0]?.position;
  return key ? Number.parseInt(key.slice(8, 16), 16) : 0;
}

describe("PostgreSQL sink under kill -9", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "sink_crash");
  });

  it("loses nothing and applies nothing twice across repeated kills mid-stream", { timeout: 300_000 }, async () => {
    // Every write to a row must carry a newer change than the row holds: a replayed batch fails here.
    await query(url, "CREATE SCHEMA IF NOT EXISTS public");
    await query(
      url,
      `CREATE TABLE public.crash_synthetic (_id text PRIMARY KEY, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
       CREATE FUNCTION only_forward() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         IF (NEW.doc->>'k')::int <= (OLD.doc->>'k')::int THEN RAISE EXCEPTION 'change % applied after %', NEW.doc->>'k', OLD.doc->>'k'; END IF;
         RETURN NEW; END $$;
       CREATE TRIGGER only_forward BEFORE UPDATE ON public.crash_synthetic FOR EACH ROW EXECUTE FUNCTION only_forward();`,
    );

    const killedAt: number[] = [];
    for (const threshold of [3_000, 9_000, 15_000]) {
      const worker = runWorker(url);
      let exited = false;
      void worker.exit.then(() => (exited = true));
      await waitFor(async () => exited || (await storedIndex(url)) >= threshold, `position ${threshold}`, 120_000);
      worker.kill();
      const result = await worker.exit;
      expect(result.signal, result.stderr).toBe("SIGKILL");
      killedAt.push(await storedIndex(url));
    }
    const last = await runWorker(url).exit;
    expect(last.code, last.stderr).toBe(0);

    expect(killedAt.every((index, i) => i === 0 || index > killedAt[i - 1]!)).toBe(true);
    expect(await storedIndex(url)).toBe(TOTAL);
    const rows = await query<{ _id: string; k: number }>(url, "SELECT _id, (doc->>'k')::int AS k FROM public.crash_synthetic");
    const actual = new Map(rows.map((row) => [row._id, row.k]));
    expect(actual).toEqual(syntheticFinalState(TOTAL));
  });
});

// kill -9 of the process at 20 random points across a snapshot and the streaming after it. Every
// restart continues from what was committed: the copy ends with every document once, the stream
// with the exact final state, each batch's position written exactly once, and a row of the
// stream never written with an older change (a trigger refuses it, failing the worker).

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { createRewriteCountingTable, query } from "../../support/postgres-sink-fixture.js";
import { seededRandom } from "../../support/realistic-documents.js";
import { postgresUrl } from "../../support/requirements.js";
import { syntheticFinalState } from "../../support/synthetic-stream.js";
import { waitFor } from "../../support/wait-for.js";
import { createWriteCountingTables, syntheticRows } from "../../support/write-counting.js";

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

describe("kill -9 anywhere in a snapshot and the streaming after it", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "fault_kill_anywhere");
  });

  it(`loses nothing and applies nothing twice across ${KILLS} kills`, { timeout: 300_000 }, async () => {
    const rewrites = await createRewriteCountingTable(url, "public.shop_orders");
    const positionWrites = await createWriteCountingTables(url, { withPositionsTable: true });
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
    const random = seededRandom(seed);
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

    const [copy] = await query<{ all: string; distinct: string }>(url, "SELECT count(*) AS all, count(DISTINCT _id) AS distinct FROM public.shop_orders");
    const positions = await positionWrites();
    const inSnapshot = killedAt.filter((at) => at.copied < DOCUMENTS).length;
    const rewritten = await rewrites();
    console.log(
      `[faults] kill -9 at ${KILLS} random points (seed ${seed}; ${inSnapshot} during the snapshot of ${DOCUMENTS} documents, ${KILLS - inSnapshot} during the stream of ${CHANGES} changes): ` +
        `${copy?.all} rows copied, ${rewritten} rewritten (a restart re-copies the document a range resumes from), ${positions.all} position writes for ${CHANGES / BATCH} batches; 0 lost, 0 applied twice`,
    );
    expect({ all: Number(copy?.all), distinct: Number(copy?.distinct) }).toEqual({ all: DOCUMENTS, distinct: DOCUMENTS });
    // At most the document each unfinished range resumes from, per restart during the snapshot.
    expect(rewritten).toBeLessThanOrEqual(inSnapshot * PARALLELISM);
    expect(await syntheticRows(url)).toEqual(syntheticFinalState(CHANGES));
    expect(positions).toEqual({ all: CHANGES / BATCH, distinct: CHANGES / BATCH });
  });
});

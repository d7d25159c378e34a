import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { syntheticFinalState } from "../../support/synthetic-stream.js";
import { waitFor } from "../../support/wait-for.js";
import { createWriteCountingTables, syntheticRows } from "../../support/write-counting.js";

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
    // Every write to a row must carry a newer change than the row holds: a replayed batch fails
    // here; every write of the position is counted.
    const positionWrites = await createWriteCountingTables(url, { withPositionsTable: true });

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
    expect(await syntheticRows(url)).toEqual(syntheticFinalState(TOTAL));
    // Each batch committed exactly once across the kills.
    expect(await positionWrites()).toEqual({ all: TOTAL / BATCH, distinct: TOTAL / BATCH });
  });
});

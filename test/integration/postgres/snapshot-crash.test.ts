import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BSON } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeDocument } from "../../../src/codec/document-codec.js";
import { keyText } from "../../../src/codec/key-text.js";
import { encodeIdBound } from "../../../src/codec/id-bound.js";
import type { IdRange } from "../../../src/core/snapshot-contract.js";
import { createDatabase } from "../../support/postgres-server.js";
import { createRewriteCountingTable, query } from "../../support/postgres-sink-fixture.js";
import { realisticDocuments } from "../../support/realistic-documents.js";
import { postgresUrl } from "../../support/requirements.js";
import { waitFor } from "../../support/wait-for.js";

const WORKER = fileURLToPath(new URL("../../support/snapshot-worker.ts", import.meta.url));
const TOTAL = 30_000;
const RANGES = 10;

function runWorker(url: string, delayMs: number): { exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>; kill: () => void } {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, url, String(TOTAL), String(delayMs)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { exit: new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))), kill: () => child.kill("SIGKILL") };
}

interface RangeRow {
  range_no: number;
  lower: string | null;
  resume_from: string | null;
  copied: string;
  done: boolean;
}

function ranges(url: string): Promise<RangeRow[]> {
  return query<RangeRow>(url, "SELECT range_no, lower, resume_from, copied, done FROM tributary.snapshot_ranges WHERE pipeline = 'snapshot-crash' ORDER BY range_no").catch(() => []);
}

describe("snapshot under kill -9", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "snapshot_crash");
  });

  it("continues with the unfinished ranges only, each from its last committed chunk, and ends with every document exactly", { timeout: 300_000 }, async () => {
    // Counts the rows written again: a restart may re-copy only the one document it resumes from per range.
    const rewrites = await createRewriteCountingTable(url, "public.shop_orders");

    const slow = runWorker(url, 40);
    let exited = false;
    void slow.exit.then(() => (exited = true));
    await waitFor(
      async () => {
        const now = await ranges(url);
        return exited || (now.filter((range) => range.done).length >= 3 && now.some((range) => !range.done && Number(range.copied) > 0));
      },
      "three ranges done and one half copied",
      120_000,
    );
    slow.kill();
    const killed = await slow.exit;
    expect(killed.signal, killed.stderr).toBe("SIGKILL");

    // Rows and progress commit together: what the ranges say was copied is exactly what is there.
    const atKill = await ranges(url);
    expect(atKill).toHaveLength(RANGES);
    const copiedAtKill = atKill.reduce((sum, range) => sum + Number(range.copied), 0);
    const [{ count: rowsAtKill } = { count: "" }] = await query<{ count: string }>(url, "SELECT count(*) FROM public.shop_orders");
    expect(Number(rowsAtKill)).toBe(copiedAtKill);
    expect(copiedAtKill).toBeLessThan(TOTAL);

    const resumed = await runWorker(url, 0).exit;
    expect(resumed.code, resumed.stderr).toBe(0);
    const reads = BSON.EJSON.parse(resumed.stdout, { relaxed: false }) as { namespace: string; range: IdRange }[];

    // Only unfinished ranges were read again, each from where it stopped.
    const unfinished = atKill.filter((range) => !range.done);
    expect(reads).toHaveLength(unfinished.length);
    const bound = (value: unknown): string | null => (value === undefined ? null : encodeIdBound(value));
    const readFrom = new Map(reads.map((read) => [bound(read.range.upper), bound(read.range.lower)]));
    const uppers = await query<{ range_no: number; upper: string | null }>(url, "SELECT range_no, upper FROM tributary.snapshot_ranges WHERE pipeline = 'snapshot-crash'");
    for (const range of unfinished) {
      const upper = uppers.find((row) => row.range_no === range.range_no)?.upper ?? null;
      expect(readFrom.get(upper), `range ${range.range_no}`).toBe(range.resume_from ?? range.lower);
    }
    const partly = unfinished.filter((range) => range.resume_from !== null).length;
    expect(await rewrites()).toBe(partly);

    const expected = realisticDocuments(TOTAL, 300);
    const rows = await query<{ _id: string; doc: unknown }>(url, "SELECT _id, doc FROM public.shop_orders");
    expect(rows).toHaveLength(TOTAL);
    const byKey = new Map(rows.map((row) => [row._id, row.doc]));
    for (const doc of expected) expect(byKey.get(keyText(doc._id))).toEqual(encodeDocument(doc));
    const state = await query(url, "SELECT namespace, status FROM tributary.snapshots WHERE pipeline = 'snapshot-crash'");
    expect(state).toEqual([{ namespace: "shop.orders", status: "done" }]);
    const final = await ranges(url);
    expect(final.every((range) => range.done)).toBe(true);
    // The one document re-read per resumed range is written again but not counted again.
    expect(final.reduce((sum, range) => sum + Number(range.copied), 0)).toBe(TOTAL);
  });
});

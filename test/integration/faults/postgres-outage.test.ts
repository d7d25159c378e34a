// PostgreSQL goes down under a streaming sink (immediate shutdown, kill -9 of the postmaster)
// and at start-up, on a server of this file's own. Each test prints its figures: how long the
// outage lasted, how long after the server accepted connections again the first batch was
// applied, how many retries were logged. Writes are counted by triggers: every data row only
// moves forward (a batch applied twice fails on it) and every position write is counted.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RETRY, UNREACHABLE_POLL_MS } from "../../../src/core/retry.js";
import { waitAtStartup } from "../../../src/runtime/wait-at-startup.js";
import { runSnapshot } from "../../../src/snapshot/snapshot-runner.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { createDatabase } from "../../support/postgres-server.js";
import { createRewriteCountingTable, makeSink, query } from "../../support/postgres-sink-fixture.js";
import { realisticDocuments } from "../../support/realistic-documents.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";
import { startRestartablePostgres, type RestartablePostgres, type StopMode } from "../../support/restartable-postgres.js";
import { syntheticEvent, syntheticFinalState, syntheticIndexOf } from "../../support/synthetic-stream.js";
import { waitFor } from "../../support/wait-for.js";
import { createWriteCountingTables, syntheticRows } from "../../support/write-counting.js";

const TOTAL = 30_000;
const BATCH = 200;
const OUTAGE_MS = 5_000;

let server: RestartablePostgres;

beforeAll(async () => {
  server = await startRestartablePostgres();
});

afterAll(async () => {
  await server?.close();
});

describe.each<StopMode>(["immediate", "kill -9"])("PostgreSQL stopped (%s) during streaming", (mode) => {
  it(`resumes once it is back, within ${UNREACHABLE_POLL_MS} ms of polling, losing nothing and applying nothing twice`, { timeout: 240_000 }, async () => {
    const url = await createDatabase(server.url, `outage_${mode.replace(/\W/g, "")}`);
    const { logger, lines } = capturingLogger();
    // The production back-off: 500 ms doubling to 30 s.
    const sink = makeSink(url, { pipeline: "faults", retry: DEFAULT_RETRY, logger });
    await sink.open();
    const positionWrites = await createWriteCountingTables(url);

    const appliedAt: number[] = [];
    const streaming = (async () => {
      for (let next = 1; next <= TOTAL; next += BATCH) {
        const events = Array.from({ length: Math.min(BATCH, TOTAL - next + 1) }, (_, i) => syntheticEvent(next + i));
        await sink.apply({ events, position: events.at(-1)!.position });
        appliedAt.push(Date.now());
      }
    })();
    streaming.catch(() => undefined);

    await waitFor(() => appliedAt.length >= 40, "40 batches applied", 120_000);
    await server.stop(mode);
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const appliedWhileDown = appliedAt.length;
    await server.start();
    const upAt = Date.now();
    await waitFor(() => appliedAt.length > appliedWhileDown, "a batch applied after the restart", 120_000);
    const resumedAt = appliedAt[appliedWhileDown]!;
    await streaming;
    await sink.close();

    const retries = lines.filter((line) => String(line.msg).startsWith("PostgreSQL unavailable"));
    expect(await syntheticRows(url)).toEqual(syntheticFinalState(TOTAL));
    const writes = await positionWrites();
    const batches = Math.ceil(TOTAL / BATCH);
    console.log(
      `[faults] PostgreSQL ${mode} for ${upAt - downAt} ms during streaming (${TOTAL} changes, batches of ${BATCH}): first batch applied ${resumedAt - upAt} ms after the server accepted connections; ` +
        `${retries.length} retries logged (codes: ${[...new Set(retries.map((line) => line.code))].join(", ")}); ${writes.all} position writes for ${batches} batches; 0 lost, 0 applied twice`,
    );
    expect(syntheticIndexOf(sink.storedPosition())).toBe(TOTAL);
    // One position write per batch: none was committed twice, none was skipped.
    expect(writes).toEqual({ all: batches, distinct: batches });
    expect(retries.length).toBeGreaterThan(0);
    // While nothing accepted connections, the sink asked again every second at most.
    const refused = retries.filter((line) => line.code === "ECONNREFUSED" || line.code === "57P03");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((line) => Number(line.retryInMs) > 1_000)).toEqual([]);
  });
});

describe("PostgreSQL down at start-up", () => {
  it("waits for it with back-off, a log line per try, then starts", { timeout: 120_000 }, async () => {
    const url = await createDatabase(server.url, "outage_startup");
    await server.stop("immediate");
    const downAt = Date.now();
    const { logger, lines } = capturingLogger();
    const sink = makeSink(url, { pipeline: "faults", logger });
    const opening = waitAtStartup("the sinks' servers", () => sink.open(), { retry: DEFAULT_RETRY, logger });
    let openedAt = 0;
    void opening.then(() => (openedAt = Date.now()));
    await waitFor(() => lines.filter((line) => line.waitingFor !== undefined).length >= 3, "three waiting lines", 60_000);
    await server.start();
    const upAt = Date.now();
    await opening;
    await sink.close();
    const waits = lines.filter((line) => line.waitingFor !== undefined);
    console.log(`[faults] PostgreSQL down at start-up for ${upAt - downAt} ms: ${waits.length} waiting lines, opened ${openedAt - upAt} ms after it accepted connections`);
    expect(waits.map((line) => line.attempt)).toEqual(waits.map((_, index) => index + 1));
    expect(waits.every((line) => line.code === "TRIB_POSTGRES_UNREACHABLE")).toBe(true);
  });
});

describe("PostgreSQL stopped (immediate) during a snapshot chunk", () => {
  it("copies every document exactly once all the same: failed chunks are redone, committed ones not", { timeout: 240_000 }, async () => {
    const documents = 30_000;
    const url = await createDatabase(server.url, "outage_snapshot");
    const { logger, lines } = capturingLogger();
    const sink = makeSink(url, { pipeline: "faults", retry: DEFAULT_RETRY, logger });
    await sink.open();
    // A row written a second time is counted: a chunk committed and then redone would show here.
    const rewrites = await createRewriteCountingTable(url, "public.shop_orders");
    const copied = async (): Promise<number> => Number((await query<{ n: string }>(url, "SELECT coalesce(sum(copied), 0) AS n FROM tributary.snapshot_ranges"))[0]?.n);
    const target = sink.snapshotTarget(3);
    const source = new SyntheticSnapshotSource({ "shop.orders": realisticDocuments(documents, 300) }, { delayPerChunkMs: 20 });
    const snapshot = runSnapshot(source, target, { mode: "initial", parallelism: 3, chunkSize: 500, rangeSize: 3_000, logger, signal: new AbortController().signal });
    snapshot.catch(() => undefined);

    await waitFor(async () => (await copied()) >= 6_000, "6 000 documents copied", 120_000);
    await server.stop("immediate");
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await server.start();
    const upAt = Date.now();
    const copiedAtRestart = await copied();
    await waitFor(async () => (await copied()) > copiedAtRestart, "a chunk committed after the restart", 120_000);
    const resumedAt = Date.now();
    await snapshot;
    await target.close();
    await sink.close();

    const retries = lines.filter((line) => String(line.msg).startsWith("PostgreSQL unavailable"));
    const [rows] = await query<{ all: string; distinct: string }>(url, "SELECT count(*) AS all, count(DISTINCT _id) AS distinct FROM public.shop_orders");
    console.log(
      `[faults] PostgreSQL immediate for ${upAt - downAt} ms during a snapshot of ${documents} documents (chunks of 500, 3 at once): a chunk committed within ${resumedAt - upAt} ms of the restart (polled); ` +
        `${retries.length} retries logged; ${rows?.all} rows, ${await rewrites()} rewritten`,
    );
    expect({ all: Number(rows?.all), distinct: Number(rows?.distinct), copied: await copied() }).toEqual({ all: documents, distinct: documents, copied: documents });
    expect(await rewrites()).toBe(0);
    expect(retries.length).toBeGreaterThan(0);
  });
});

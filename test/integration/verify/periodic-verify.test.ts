import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { periodicVerify, type PeriodicVerify } from "../../../src/cli/verify-watch.js";
import type { VerifyConfig } from "../../../src/config/verify-schema.js";
import { silentLogger } from "../../../src/core/logger.js";
import { startHttpEndpoint, type HttpEndpoint } from "../../../src/observability/http-endpoint.js";
import { SyncMonitor, type SyncStatus } from "../../../src/observability/sync-monitor.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { runVerify, type VerifyOutcome } from "../../../src/verify/run-verify.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";
import { copied, oid, orders, VERIFY_NS, VERIFY_SETTINGS, VERIFY_TABLE } from "../../support/verify-fixture.js";

let url: string;
const sinks: PostgresSink[] = [];
const running: PeriodicVerify[] = [];
const endpoints: HttpEndpoint[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "periodic_verify");
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((each) => each.stop()));
  await Promise.all(endpoints.splice(0).map((each) => each.close()));
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

/** Every 50 ms (the config's minimum is 10 s; the schedule is the same). */
const EVERY: VerifyConfig = { interval: 50, collections: [], repair: false, maxDifferences: 1_000, parallelism: 1 };

async function served(monitor: SyncMonitor): Promise<{ status: () => Promise<SyncStatus>; metrics: () => Promise<string> }> {
  const endpoint = await startHttpEndpoint("127.0.0.1:0", monitor);
  endpoints.push(endpoint);
  return {
    status: async () => (await (await fetch(`${endpoint.url}/status`)).json()) as SyncStatus,
    metrics: async () => (await fetch(`${endpoint.url}/metrics`)).text(),
  };
}

/** Runs the periodic verify has finished. */
function finished(status: SyncStatus): number {
  return status.verify ? status.verify.runs.equal + status.verify.runs.different + status.verify.runs.failed : 0;
}

/** Waits (polling /status) until the periodic verify has finished `runs` runs. */
async function afterRuns(status: () => Promise<SyncStatus>, runs: number): Promise<SyncStatus> {
  for (;;) {
    const now = await status();
    if (finished(now) >= runs) return now;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("periodic verify while sync streams (verify.interval)", () => {
  it("runs once streaming begins, shows each run in /status and /metrics, and never repairs unless told to", async () => {
    const source = new SyntheticSnapshotSource({ [VERIFY_NS]: orders(300) });
    const sink = await copied(url, source, sinks);
    await query(url, `UPDATE ${VERIFY_TABLE} SET doc = jsonb_set(doc, '{item}', '"changed"') WHERE _id = $1`, [oid(42).toHexString()]);
    const monitor = new SyncMonitor({ readyMaxLagMs: 60_000 });
    const http = await served(monitor);
    const runs: VerifyOutcome[] = [];
    const verifyOnce = async (signal: AbortSignal): Promise<VerifyOutcome> => {
      const outcome = await runVerify({ source, sinks: [sink], settings: VERIFY_SETTINGS, logger: silentLogger(), signal });
      runs.push(outcome);
      return outcome;
    };
    const periodic = periodicVerify(EVERY, verifyOnce, silentLogger(), monitor.verify);
    running.push(periodic);
    expect((await http.status()).verify).toBeUndefined();
    periodic.streaming();
    expect((await http.status()).verify).toMatchObject({ intervalMs: 50, runs: { equal: 0, different: 0, failed: 0 }, nextRunAt: expect.any(String) as unknown });

    const first = await afterRuns(http.status, 2);
    expect(first.verify?.lastRun).toMatchObject({
      result: "different",
      collections: [{ namespace: VERIFY_NS, sink: "postgres", equal: false, documents: 300, differences: 1, differenceCounts: { missing: 0, extra: 0, different: 1 }, expectedMissing: 0 }],
    });
    expect(first.verify?.lastRun?.collections[0]?.repaired).toBeUndefined();
    const metrics = await http.metrics();
    expect(metrics).toContain(`tributary_verify_differences{collection="${VERIFY_NS}",sink="postgres"} 1`);
    expect(metrics).toMatch(/tributary_verify_runs_total\{result="different"\} [2-9]/);
    expect(metrics).toMatch(/tributary_verify_last_run_timestamp_seconds \d+/);
    // Not repaired: the row is as it was.
    expect(await query(url, `SELECT doc->>'item' AS item FROM ${VERIFY_TABLE} WHERE _id = $1`, [oid(42).toHexString()])).toEqual([{ item: "changed" }]);

    await query(url, `UPDATE ${VERIFY_TABLE} SET doc = jsonb_set(doc, '{item}', '"item-41"') WHERE _id = $1`, [oid(42).toHexString()]);
    // Two more runs: the second began after the fix.
    const settled = await afterRuns(http.status, finished(await http.status()) + 2);
    expect(settled.verify?.lastRun).toMatchObject({ result: "equal", collections: [{ equal: true, differences: 0 }] });
    expect(await http.metrics()).toContain(`tributary_verify_differences{collection="${VERIFY_NS}",sink="postgres"} 0`);

    await periodic.stop();
    const after = runs.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runs.length).toBe(after);
  });

  it("repairs what differs when verify.repair says so", async () => {
    const source = new SyntheticSnapshotSource({ [VERIFY_NS]: orders(200) });
    const sink = await copied(url, source, sinks);
    await query(url, `DELETE FROM ${VERIFY_TABLE} WHERE _id = $1`, [oid(7).toHexString()]);
    const monitor = new SyncMonitor({ readyMaxLagMs: 60_000 });
    const http = await served(monitor);
    const verifyOnce = (signal: AbortSignal): Promise<VerifyOutcome> => runVerify({ source, sinks: [sink], settings: { ...VERIFY_SETTINGS, repair: true }, logger: silentLogger(), signal });
    const periodic = periodicVerify({ ...EVERY, repair: true }, verifyOnce, silentLogger(), monitor.verify);
    running.push(periodic);
    periodic.streaming();
    const first = await afterRuns(http.status, 1);
    // The run found the key missing, repaired it, and found it equal after.
    expect(first.verify?.lastRun).toMatchObject({ result: "equal", collections: [{ equal: true, differences: 0, repaired: 1 }] });
    expect(await query(url, `SELECT count(*)::int AS n FROM ${VERIFY_TABLE}`)).toEqual([{ n: 200 }]);
  });

  it("counts a failed run, shows its error redacted, and keeps running", async () => {
    const monitor = new SyncMonitor({ readyMaxLagMs: 60_000 });
    const http = await served(monitor);
    const periodic = periodicVerify(EVERY, () => Promise.reject(new Error("connect ECONNREFUSED postgres://app:s3cret@db:5432/analytics")), silentLogger(), monitor.verify);
    running.push(periodic);
    periodic.streaming();
    const status = await afterRuns(http.status, 2);
    expect(status.verify?.runs).toMatchObject({ failed: expect.any(Number) as unknown, equal: 0, different: 0 });
    expect(status.verify?.lastRun).toMatchObject({ result: "failed", collections: [] });
    expect(status.verify?.lastRun?.error).toContain("ECONNREFUSED");
    expect(status.verify?.lastRun?.error).not.toContain("s3cret");
    expect(await http.metrics()).toMatch(/tributary_verify_runs_total\{result="failed"\} [2-9]/);
  });
});

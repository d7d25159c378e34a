import { describe, expect, it } from "vitest";
import { parseListen } from "../../../src/observability/http-endpoint.js";
import { SyncMonitor } from "../../../src/observability/sync-monitor.js";
import { SnapshotProgress } from "../../../src/snapshot/snapshot-progress.js";
import { makeEvent } from "../../support/events.js";

const T = 1_800_000_000;

function batchAt(t: number, specs: ReadonlyArray<{ op: "insert" | "update" | "delete"; ns: string }>) {
  const events = specs.map((spec, index) => makeEvent({ ...spec, id: index, t }));
  return { events, position: events.at(-1)!.position };
}

describe("SyncMonitor", () => {
  it("counts applied events per namespace and operation, and measures batch size, apply time and end-to-end lag", async () => {
    let now = (T + 2) * 1000;
    const monitor = new SyncMonitor({ readyMaxLagMs: 5_000, now: () => now });
    monitor.phase("streaming");
    const first = batchAt(T, [{ op: "insert", ns: "shop.orders" }, { op: "insert", ns: "shop.orders" }, { op: "delete", ns: "crm.users" }]);
    for (const event of first.events) monitor.eventRead(event);
    monitor.eventRead(makeEvent({ op: "insert", ns: "shop.tmp_1", id: 9, t: T }));
    monitor.batchApplied(first, 12);
    const metrics = await monitor.metrics();
    expect(metrics).toContain('tributary_events_applied_total{namespace="shop.orders",op="insert"} 2');
    expect(metrics).toContain('tributary_events_applied_total{namespace="crm.users",op="delete"} 1');
    expect(metrics).toContain("tributary_batches_applied_total 1");
    expect(metrics).toContain('tributary_events_read_total{namespace="shop.orders",op="insert"} 2');
    expect(metrics).toContain('tributary_events_read_total{namespace="shop.tmp_1",op="insert"} 1');
    expect(metrics).toContain('tributary_batch_size_events_bucket{le="1"} 0');
    expect(metrics).toContain('tributary_batch_size_events_bucket{le="10"} 1');
    expect(metrics).toContain("tributary_apply_duration_seconds_sum 0.012");
    expect(metrics).toContain('tributary_end_to_end_lag_seconds_bucket{le="2.5"} 3');
    expect(metrics).toContain('tributary_end_to_end_lag_seconds_bucket{le="1"} 0');
    expect(metrics).toContain(`tributary_last_committed_cluster_time_seconds ${T}`);
    expect(metrics).toContain("tributary_ready 1");
    expect(monitor.status()).toMatchObject({ phase: "streaming", ready: true, changesApplied: 3, batchesApplied: 1, lagMs: 2000, lastCommitted: { at: new Date(T * 1000).toISOString() } });
    now += 60_000;
    monitor.batchApplied(batchAt(T + 1, [{ op: "update", ns: "shop.orders" }]), 3);
    expect(monitor.readiness()).toEqual({ ready: false, reason: "lag 61 s is above 5 s" });
    expect(await monitor.metrics()).toContain("tributary_ready 0");
  });

  it("is not ready before streaming, and shows snapshot progress per collection", async () => {
    const monitor = new SyncMonitor({ readyMaxLagMs: 5_000 });
    monitor.phase("snapshot");
    const progress = new SnapshotProgress();
    progress.addCollection("shop.orders", { estimated: 1000, alreadyCopied: 0 });
    progress.recordCopied("shop.orders", 250);
    monitor.watchSnapshot(progress);
    expect(monitor.readiness()).toEqual({ ready: false, reason: "not streaming yet (snapshot)" });
    expect(monitor.status().snapshot).toEqual([expect.objectContaining({ namespace: "shop.orders", copied: 250, estimated: 1000, percent: 25, done: false })]);
    const metrics = await monitor.metrics();
    expect(metrics).toContain('tributary_snapshot_documents_copied{collection="shop.orders"} 250');
    expect(metrics).toContain('tributary_snapshot_documents_estimated{collection="shop.orders"} 1000');
  });

  it("shows the oplog runway of the committed position as a metric and in the status", async () => {
    const monitor = new SyncMonitor({ readyMaxLagMs: 5_000 });
    expect(monitor.lastCommittedSeconds()).toBeUndefined();
    monitor.batchApplied(batchAt(T, [{ op: "insert", ns: "shop.orders" }]), 1);
    expect(monitor.lastCommittedSeconds()).toBe(T);
    monitor.oplogRunway(7200);
    expect(monitor.status().oplogRunwaySeconds).toBe(7200);
    expect(await monitor.metrics()).toContain("tributary_oplog_runway_seconds 7200");
    monitor.deadLetters(4);
    expect(monitor.status().deadLetters).toBe(4);
    expect(await monitor.metrics()).toContain("tributary_dead_letters 4");
  });

  it("counts retries per component and kind in tributary_retries_total", async () => {
    const monitor = new SyncMonitor({ readyMaxLagMs: 60_000 });
    monitor.retried({ component: "postgres", kind: "unreachable" });
    monitor.retried({ component: "postgres", kind: "unreachable" });
    monitor.retried({ component: "change stream", kind: "transient" });
    const metrics = await monitor.metrics();
    expect(metrics).toContain("# TYPE tributary_retries_total counter");
    expect(metrics).toContain('tributary_retries_total{component="postgres",kind="unreachable"} 2');
    expect(metrics).toContain('tributary_retries_total{component="change stream",kind="transient"} 1');
  });

  it("keeps the last problem, redacted, and counts warnings", async () => {
    const monitor = new SyncMonitor({ readyMaxLagMs: 5_000 });
    monitor.problem("Cannot connect to PostgreSQL at postgres://app:hunter2@pg/db: ECONNREFUSED", "error");
    expect(monitor.status().lastError?.message).toBe("Cannot connect to PostgreSQL at postgres://app:***@pg/db: ECONNREFUSED");
    expect(monitor.status().warnings).toBe(1);
    expect(await monitor.metrics()).toContain("tributary_warnings_total 1");
  });
});

describe("parseListen", () => {
  it("reads host:port, [v6]:port and :port", () => {
    expect(parseListen("127.0.0.1:9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListen("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseListen(":9464")).toEqual({ host: undefined, port: 9464 });
    expect(() => parseListen("9464")).toThrow("'9464' is not host:port");
    expect(() => parseListen("h:99999")).toThrow("is not host:port");
  });
});

import { describe, expect, it } from "vitest";
import { makePosition } from "../../../src/core/position.js";
import { PipelineStats } from "../../../src/pipeline/pipeline-stats.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent, tokenAt } from "../../support/events.js";

describe("PipelineStats", () => {
  it("counts delivered events per namespace and operation, and skipped ones", () => {
    let now = 1_700_000_010_000;
    const stats = new PipelineStats(() => now);
    expect(stats.snapshot(undefined)).toEqual({
      started: false,
      stopped: false,
      total: 0,
      byNamespace: {},
      byOperation: {},
      skipped: 0,
      batches: 0,
      lagMs: undefined,
      position: undefined,
    });
    stats.markStarted();
    const events = [
      makeEvent({ op: "insert", ns: "app.users", id: 1 }),
      makeEvent({ op: "insert", ns: "app.users", id: 2 }),
      makeEvent({ op: "update", ns: "app.users", id: 1 }),
      makeEvent({ op: "delete", ns: "app.orders", id: 9 }),
      makeEvent({ op: "dropDatabase", ns: "logs" }),
    ];
    for (const event of events) {
      stats.read(event);
      stats.delivered(event);
    }
    stats.skipped();
    stats.batchDelivered();
    const last = events[4];
    now = last ? last.clusterTime.t * 1000 + 1_500 : 0;
    expect(stats.snapshot(last?.position)).toEqual({
      started: true,
      stopped: false,
      total: 5,
      byNamespace: { "app.users": { insert: 2, update: 1 }, "app.orders": { delete: 1 }, logs: { dropDatabase: 1 } },
      byOperation: { insert: 2, update: 1, delete: 1, dropDatabase: 1 },
      skipped: 1,
      batches: 1,
      lagMs: 1_500,
      position: last?.position,
    });
    stats.markStopped();
    expect(stats.snapshot(undefined).stopped).toBe(true);
  });

  it("measures lag from the wall time when there is one, and from now when caught up", () => {
    let now = 2_000_000;
    const stats = new PipelineStats(() => now);
    const event = { ...makeEvent({ op: "insert", ns: "a.b", id: 1 }), wallTime: new Date(1_999_250) };
    stats.read(event);
    expect(stats.snapshot(undefined).lagMs).toBe(750);
    stats.caughtUp();
    expect(stats.snapshot(undefined).lagMs).toBe(0);
    now += 300;
    expect(stats.snapshot(undefined).lagMs).toBe(300);
    stats.read({ ...event, wallTime: new Date(now + 5_000) }); // clocks disagree: never negative
    expect(stats.snapshot(undefined).lagMs).toBe(0);
  });

  it("records applied batches: counts their events and the batch, and logs sync progress every 10 s", () => {
    let now = 1_700_000_000_000;
    const stats = new PipelineStats(() => now);
    const { logger, lines } = capturingLogger();
    const batch = (ids: number[], t: number) => ({
      events: ids.map((id) => makeEvent({ op: "insert", ns: "shop.orders", id })),
      position: makePosition(tokenAt(t, 1)),
    });
    stats.record(batch([1, 2], 1_700_000_000), logger);
    now += 9_999;
    stats.record(batch([3], 1_700_000_005), logger);
    expect(lines).toEqual([]);
    expect([stats.changes, stats.batches]).toEqual([3, 2]);
    now += 1;
    stats.record(batch([4, 5, 6, 7, 8], 1_700_000_008), logger);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "sync progress", changes: 8, perSecond: 1, lagMs: 2_000 });
    now += 5_000;
    stats.record(batch([9], 1_700_000_014), logger);
    expect(lines).toHaveLength(1);
    now += 5_000;
    stats.record(batch([10, 11], 1_700_000_020), logger);
    expect(lines[1]).toMatchObject({ msg: "sync progress", changes: 11, perSecond: 0, lagMs: 0 });
    expect(stats.snapshot(undefined)).toMatchObject({ total: 11, batches: 5, byNamespace: { "shop.orders": { insert: 11 } }, byOperation: { insert: 11 } });
  });
});

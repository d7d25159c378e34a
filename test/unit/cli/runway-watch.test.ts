import { describe, expect, it } from "vitest";
import { CommittedTime, watchOplogRunway } from "../../../src/cli/runway-watch.js";
import { SyncMonitor } from "../../../src/observability/sync-monitor.js";
import type { OplogUnavailable, OplogWindow } from "../../../src/source/oplog-window.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent } from "../../support/events.js";
import { waitFor } from "../../support/wait-for.js";

const HOUR = 3600;
const now = Math.floor(Date.now() / 1000);
// An oplog that holds 10 hours and is full: a position committed now has about 10 hours left.
const FULL_OPLOG: OplogWindow = { oldestSeconds: now - 10 * HOUR, newestSeconds: now, sizeBytes: 1_000_000, maxSizeBytes: 1_000_000 };

function appliedAt(seconds: number) {
  const event = makeEvent({ op: "insert", ns: "shop.orders", id: 1, t: seconds });
  return { events: [event], position: event.position };
}

describe("watchOplogRunway", () => {
  it("measures and warns during a sync without --http: the committed position kept by CommittedTime", async () => {
    const committed = new CommittedTime();
    committed.batchApplied(appliedAt(now));
    const { logger, lines } = capturingLogger();
    let reads = 0;
    const watch = watchOplogRunway("mongodb://db.invalid:27017/", 1000, committed, logger, 12 * HOUR * 1000, 10, () => {
      reads += 1;
      return Promise.resolve(FULL_OPLOG);
    });
    try {
      const warning = await waitFor(() => lines.find((line) => line.level === 40), "the runway warning");
      expect(warning.msg).toMatch(/^oplog runway (9 h 59 min|10 h 0 min), below 12 h 0 min: a stopped sync must restart before the oplog drops its position$/);
      expect(warning.oplogHoldsSeconds).toBe(10 * HOUR);
    } finally {
      await watch.stop();
    }
    expect(reads).toBeGreaterThan(0);
  });

  it("reads nothing before a batch is committed, and warns of nothing above the threshold", async () => {
    const committed = new CommittedTime();
    const { logger, lines } = capturingLogger();
    let reads = 0;
    const read = (): Promise<OplogWindow> => {
      reads += 1;
      return Promise.resolve(FULL_OPLOG);
    };
    const watch = watchOplogRunway("mongodb://db.invalid:27017/", 1000, committed, logger, 1 * HOUR * 1000, 10, read);
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reads).toBe(0);
      committed.batchApplied(appliedAt(now));
      await waitFor(() => reads > 2 || undefined, "reads once a batch is committed");
      expect(lines).toEqual([]);
    } finally {
      await watch.stop();
    }
  });

  it("says once, at info level, that a sharded cluster's runway is not measured, and shows why on /status", async () => {
    const monitor = new SyncMonitor({ readyMaxLagMs: 60_000 });
    monitor.batchApplied(appliedAt(now), 1);
    const { logger, lines } = capturingLogger();
    const sharded: OplogUnavailable = { sharded: true, unavailable: "not measured on a sharded cluster: a mongos has no oplog, each shard's replica set has its own" };
    let reads = 0;
    const watch = watchOplogRunway("mongodb://db.invalid:27017/", 1000, monitor, logger, 12 * HOUR * 1000, 10, () => {
      reads += 1;
      return Promise.resolve(sharded);
    });
    try {
      await waitFor(() => reads > 3 || undefined, "several reads");
    } finally {
      await watch.stop();
    }
    expect(lines.map(({ level, msg }) => ({ level, msg }))).toEqual([{ level: 30, msg: `oplog runway ${sharded.unavailable}` }]);
    expect(monitor.status()).toMatchObject({ oplogRunwaySeconds: undefined, oplogRunwayUnmeasured: sharded.unavailable });
  });
});

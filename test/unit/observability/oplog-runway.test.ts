import { describe, expect, it } from "vitest";
import { formatStatus } from "../../../src/cli/status-command.js";
import { formatDuration, oplogRunway } from "../../../src/observability/oplog-runway.js";

const HOUR = 3600;
const GIB = 1024 ** 3;
// A full 1 GiB oplog holding 10 hours: 29 KiB/s.
const full = { oldestSeconds: 1_800_000_000, newestSeconds: 1_800_000_000 + 10 * HOUR, sizeBytes: GIB, maxSizeBytes: GIB };

describe("oplogRunway", () => {
  it("is the time between the oldest entry and the stored position once the oplog is full", () => {
    expect(oplogRunway(full, full.oldestSeconds + 2 * HOUR)).toEqual({ seconds: 2 * HOUR, windowSeconds: 10 * HOUR, bytesPerSecond: GIB / (10 * HOUR) });
  });

  it("adds the time to fill the rest while the oplog is still filling", () => {
    const half = { ...full, maxSizeBytes: 2 * GIB };
    expect(oplogRunway(half, half.oldestSeconds + HOUR).seconds).toBe(HOUR + 10 * HOUR);
  });

  it("is negative once the position has fallen off", () => {
    expect(oplogRunway(full, full.oldestSeconds - 60).seconds).toBe(-60);
  });

  it("formats durations for people", () => {
    expect([formatDuration(45), formatDuration(600), formatDuration(2 * HOUR + 600), formatDuration(3 * 86_400 + 4 * HOUR)]).toEqual(["45 s", "10 min", "2 h 10 min", "3 d 4 h"]);
  });
});

describe("tributary status with the oplog", () => {
  const status = {
    where: "postgres://app:***@pg/analytics",
    schema: "tributary",
    positions: [
      { key: "default", clusterTime: new Date((full.oldestSeconds + 9 * HOUR) * 1000), updatedAt: new Date((full.oldestSeconds + 9 * HOUR) * 1000) },
      { key: "default/audit", clusterTime: new Date((full.oldestSeconds + HOUR) * 1000), updatedAt: new Date((full.oldestSeconds + HOUR) * 1000) },
      { key: "old", clusterTime: new Date((full.oldestSeconds - 10) * 1000), updatedAt: new Date((full.oldestSeconds - 10) * 1000) },
    ],
    snapshots: [],
    deadLetters: [], lastErrors: [],
  };

  it("shows each position's runway, warns below the threshold, and says when a position is gone", () => {
    const text = formatStatus(status, (full.newestSeconds + 1) * 1000, { oplog: full, warnBelowMs: 2 * HOUR * 1000 });
    expect(text).toContain("MongoDB oplog: holds 10 h 0 min (oldest entry 2027-01-15T08:00:00.000Z), written at 29.1 KiB/s\n");
    expect(text).toMatch(/position {2}postgres: .*; oplog runway 9 h 0 min\n/);
    expect(text).toMatch(/position {2}audit: .*; oplog runway 1 h 0 min — WARNING: below 2 h 0 min, the sync must catch up before the oplog drops it\n/);
    expect(text).toMatch(/pipeline old\n {2}position {2}postgres: .*; GONE from the oplog: the stream cannot resume from it \(run a new snapshot\)\n/);
  });

  it("says why the oplog could not be read", () => {
    expect(formatStatus(status, Date.now(), { oplog: { unavailable: "local.oplog.rs holds no entry (a mongos, or not a replica set member)" }, warnBelowMs: 1 })).toContain(
      "MongoDB oplog: local.oplog.rs holds no entry (a mongos, or not a replica set member)\n",
    );
  });
});

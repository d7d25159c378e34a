import { describe, expect, it } from "vitest";
import type { CollectionSnapshotState } from "../../../src/core/snapshot-contract.js";
import { selectSnapshotWork } from "../../../src/snapshot/snapshot-mode.js";
import { makePosition } from "../../../src/core/position.js";
import { tokenAt } from "../../support/events.js";

const state = (namespace: string, status: "copying" | "done"): CollectionSnapshotState => ({ namespace, status, startedAt: makePosition(tokenAt(1, 1)), estimated: 0, ranges: [] });
const stored = new Map([
  ["a.done", state("a.done", "done")],
  ["a.half", state("a.half", "copying")],
]);
const included = ["a.done", "a.half", "a.new"];

describe("selectSnapshotWork", () => {
  it("initial and only: collections not copied yet, continuing one cut short", () => {
    for (const mode of ["initial", "only"] as const) {
      expect(selectSnapshotWork(mode, included, stored)).toEqual([
        { namespace: "a.half", kind: "resume", state: stored.get("a.half") },
        { namespace: "a.new", kind: "start" },
      ]);
    }
  });

  it("always: every collection, still continuing one cut short", () => {
    expect(selectSnapshotWork("always", included, stored)).toEqual([
      { namespace: "a.done", kind: "start" },
      { namespace: "a.half", kind: "resume", state: stored.get("a.half") },
      { namespace: "a.new", kind: "start" },
    ]);
  });

  it("never: nothing", () => {
    expect(selectSnapshotWork("never", included, stored)).toEqual([]);
  });

  it("ignores stored snapshots of collections no longer included", () => {
    expect(selectSnapshotWork("initial", ["a.new"], stored)).toEqual([{ namespace: "a.new", kind: "start" }]);
  });
});

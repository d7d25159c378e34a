import { describe, expect, it } from "vitest";
import { makePosition } from "../../../src/core/position.js";
import { ResumeCadence } from "../../../src/pipeline/resume-cadence.js";
import { loadResumePoint, ResumeKeeper } from "../../../src/pipeline/resume-keeper.js";
import { tokenAt } from "../../support/events.js";
import { MemoryResumePointStore as MemoryStore } from "../../support/memory-resume-point-store.js";

const at = (i: number) => makePosition(tokenAt(1_700_000_000, i));

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 5_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe("ResumeCadence", () => {
  it("makes a position never saved before due at once", () => {
    const cadence = new ResumeCadence({ events: 100, ms: 1_000 }, undefined, clock().now);
    expect(cadence.due()).toBeUndefined();
    cadence.complete(at(1), 0);
    expect(cadence.due()).toEqual(at(1));
  });

  it("saves every `events` completed events", () => {
    const cadence = new ResumeCadence({ events: 3, ms: 1_000 }, at(1), clock().now);
    cadence.complete(at(2), 1);
    cadence.complete(at(3), 1);
    expect(cadence.due()).toBeUndefined();
    expect(cadence.unsaved()).toEqual(at(3));
    cadence.complete(at(4), 0); // a skipped event moves the position but is not counted
    expect(cadence.due()).toBeUndefined();
    cadence.complete(at(5), 1);
    expect(cadence.due()).toEqual(at(5));
    cadence.markSaved(at(5));
    expect(cadence.due()).toBeUndefined();
    expect(cadence.unsaved()).toBeUndefined();
  });

  it("saves `ms` after the last save when the position moved", () => {
    const time = clock();
    const cadence = new ResumeCadence({ events: 100, ms: 1_000 }, at(1), time.now);
    time.advance(5_000);
    expect(cadence.due()).toBeUndefined(); // nothing new: no save
    cadence.complete(at(2), 0);
    expect(cadence.due()).toEqual(at(2));
    cadence.markSaved(at(2));
    cadence.complete(at(3), 1);
    time.advance(999);
    expect(cadence.due()).toBeUndefined();
    time.advance(1);
    expect(cadence.due()).toEqual(at(3));
  });

  it("never goes back", () => {
    const cadence = new ResumeCadence({ events: 1, ms: 1_000 }, at(5), clock().now);
    cadence.complete(at(3), 1);
    expect(cadence.unsaved()).toBeUndefined();
    expect(cadence.due()).toBeUndefined();
  });
});

describe("ResumeKeeper", () => {
  it("keeps the completed position and saves it at the cadence and on demand", async () => {
    const store = new MemoryStore();
    const keeper = new ResumeKeeper(store, { events: 2, ms: 60_000 }, undefined, clock().now);
    expect(keeper.position()).toBeUndefined();
    keeper.complete(at(1), 0);
    await keeper.saveIfDue();
    expect(store.saved).toEqual([at(1)]);
    keeper.complete(at(2), 1);
    await keeper.saveIfDue();
    expect(store.saved).toEqual([at(1)]);
    keeper.complete(at(3), 1);
    await keeper.saveIfDue();
    expect(store.saved).toEqual([at(1), at(3)]);
    keeper.complete(at(4), 1);
    await keeper.saveNow();
    await keeper.saveNow();
    expect(store.saved).toEqual([at(1), at(3), at(4)]);
    expect(keeper.position()).toEqual(at(4));
  });

  it("turns a store failure into ResumePointWriteFailed naming the store", async () => {
    const store = new MemoryStore();
    store.save = async () => {
      throw new Error("disk full at postgres://u:secret@db/x");
    };
    const keeper = new ResumeKeeper(store, { events: 1, ms: 1 }, undefined, clock().now);
    keeper.complete(at(1), 0);
    await expect(keeper.saveNow()).rejects.toMatchObject({
      code: "TRIB_RESUME_POINT_WRITE_FAILED",
      message: "Cannot save the watch resume point to memory: disk full at postgres://u:***@db/x",
      context: { store: "memory" },
    });
  });

  it("tracks the position without a store", async () => {
    const keeper = new ResumeKeeper(undefined, { events: 1, ms: 1 }, at(2), clock().now);
    keeper.complete(at(3), 1);
    await keeper.saveIfDue();
    expect(keeper.position()).toEqual(at(3));
  });
});

describe("loadResumePoint", () => {
  it("returns what the store holds", async () => {
    expect(await loadResumePoint(new MemoryStore(at(7)))).toEqual(at(7));
    expect(await loadResumePoint(new MemoryStore())).toBeUndefined();
  });

  it("turns a store failure into ResumePointUnreadable naming the store", async () => {
    const store = new MemoryStore();
    store.load = async () => {
      throw new Error("permission denied for postgres://u:secret@db/x");
    };
    await expect(loadResumePoint(store)).rejects.toMatchObject({
      code: "TRIB_RESUME_POINT_UNREADABLE",
      message: "Cannot read the watch resume point from memory: permission denied for postgres://u:***@db/x",
      context: { store: "memory" },
    });
  });
});

import { ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { IdBatcher } from "../../../src/watch/id-batcher.js";

function clock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe("IdBatcher", () => {
  it("groups ids per namespace and operation, in order of first appearance", () => {
    const batcher = new IdBatcher({ size: 100, latencyMs: 200 });
    batcher.add("app.users", "insert", 1);
    batcher.add("app.orders", "insert", 10);
    batcher.add("app.users", "insert", 2);
    batcher.add("app.users", "update", 1);
    batcher.add("app.orders", "delete", 11);
    batcher.add("app.users", "update", 3);
    expect(batcher.size).toBe(6);
    expect(batcher.take()).toEqual([
      { namespace: "app.users", op: "insert", ids: [1, 2] },
      { namespace: "app.orders", op: "insert", ids: [10] },
      { namespace: "app.users", op: "update", ids: [1, 3] },
      { namespace: "app.orders", op: "delete", ids: [11] },
    ]);
    expect(batcher.size).toBe(0);
    expect(batcher.take()).toEqual([]);
  });

  it("lists an id once per group (ids compared by value, ObjectIds included)", () => {
    const batcher = new IdBatcher({ size: 100, latencyMs: 200 });
    batcher.add("app.users", "update", new ObjectId("65a1b2c3d4e5f60718293a4b"));
    batcher.add("app.users", "update", new ObjectId("65a1b2c3d4e5f60718293a4b"));
    batcher.add("app.users", "update", 7);
    batcher.add("app.users", "update", 7);
    expect(batcher.size).toBe(2);
    expect(batcher.take()).toEqual([{ namespace: "app.users", op: "update", ids: [new ObjectId("65a1b2c3d4e5f60718293a4b"), 7] }]);
  });

  it("starts a new group rather than move a document's change before an earlier one", () => {
    const batcher = new IdBatcher({ size: 100, latencyMs: 200 });
    batcher.add("app.users", "insert", "a");
    batcher.add("app.users", "delete", "b");
    batcher.add("app.users", "insert", "b"); // after the delete of b: must not join the first insert group
    batcher.add("app.users", "insert", "c"); // joins the latest insert group
    batcher.add("app.other", "insert", "b"); // another namespace: no conflict
    expect(batcher.take()).toEqual([
      { namespace: "app.users", op: "insert", ids: ["a"] },
      { namespace: "app.users", op: "delete", ids: ["b"] },
      { namespace: "app.users", op: "insert", ids: ["b", "c"] },
      { namespace: "app.other", op: "insert", ids: ["b"] },
    ]);
  });

  it("is due at size ids", () => {
    const batcher = new IdBatcher({ size: 3, latencyMs: 200 }, clock().now);
    batcher.add("a.b", "insert", 1);
    batcher.add("a.b", "insert", 2);
    expect(batcher.isDue()).toBe(false);
    batcher.add("a.b", "insert", 2); // a repeat adds nothing
    expect(batcher.isDue()).toBe(false);
    batcher.add("a.b", "insert", 3);
    expect(batcher.isDue()).toBe(true);
    expect(batcher.msUntilDue()).toBe(0);
  });

  it("is due when the oldest id has waited latencyMs", () => {
    const time = clock();
    const batcher = new IdBatcher({ size: 100, latencyMs: 200 }, time.now);
    expect(batcher.msUntilDue()).toBeUndefined();
    batcher.add("a.b", "insert", 1);
    time.advance(150);
    batcher.add("a.b", "insert", 2);
    expect(batcher.msUntilDue()).toBe(50);
    time.advance(49);
    expect(batcher.isDue()).toBe(false);
    time.advance(1);
    expect(batcher.isDue()).toBe(true);
    batcher.take();
    expect(batcher.msUntilDue()).toBeUndefined();
    batcher.add("a.b", "insert", 3);
    expect(batcher.msUntilDue()).toBe(200);
  });
});

import { ObjectId, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { EventSelector } from "../../../src/watch/event-selector.js";
import { handlerFailedOnBatch, handlerFailedOnEvent } from "../../../src/watch/handler-failure.js";
import { changeStreamTarget, timestampOfDate } from "../../../src/source/start-position.js";
import { makeEvent } from "../../support/events.js";

describe("EventSelector", () => {
  it("applies operations, namespace globs and predicates in turn", () => {
    const selector = new EventSelector({
      operations: ["insert", "delete"],
      include: ["app.*"],
      exclude: ["app.tmp_*"],
      predicates: [(event) => event.key?._id !== 13],
    });
    const accepted = (op: "insert" | "update" | "delete", ns: string, id: unknown): boolean => selector.accepts(makeEvent({ op, ns, id }));
    expect(accepted("insert", "app.users", 1)).toBe(true);
    expect(accepted("delete", "app.users", 1)).toBe(true);
    expect(accepted("update", "app.users", 1)).toBe(false);
    expect(accepted("insert", "other.users", 1)).toBe(false);
    expect(accepted("insert", "app.tmp_x", 1)).toBe(false);
    expect(accepted("insert", "app.users", 13)).toBe(false);
    expect(accepted("insert", "app.system.views", 1)).toBe(false);
  });

  it("delivers invalidate only when operations list it, whatever its namespace", () => {
    const invalidate = makeEvent({ op: "invalidate", ns: "" });
    expect(new EventSelector({ include: [], exclude: [], predicates: [] }).accepts(invalidate)).toBe(false);
    expect(new EventSelector({ operations: ["insert"], include: [], exclude: [], predicates: [] }).accepts(invalidate)).toBe(false);
    expect(new EventSelector({ operations: ["invalidate"], include: ["app.users"], exclude: [], predicates: [] }).accepts(invalidate)).toBe(true);
  });

  it("turns a predicate that throws into HandlerFailed naming the change", () => {
    const cause = new TypeError("doc is undefined");
    const selector = new EventSelector({
      include: [],
      exclude: [],
      predicates: [
        () => {
          throw cause;
        },
      ],
    });
    const event = makeEvent({ op: "delete", ns: "app.users", id: new ObjectId("65a1b2c3d4e5f60718293a4b") });
    let error: unknown;
    try {
      selector.accepts(event);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toMatchObject({
      code: "TRIB_HANDLER_FAILED",
      message:
        "The filter predicate failed on the delete of app.users key 65a1b2c3d4e5f60718293a4b: doc is undefined. The watcher stopped at this change; its resume point is before it, so a new watcher with the same store receives it again",
      context: { namespace: "app.users", key: "65a1b2c3d4e5f60718293a4b", op: "delete" },
      cause,
    });
  });
});

describe("handler failures", () => {
  it("name the operation and namespace of events without a key", () => {
    const error = handlerFailedOnEvent('"change" handler', makeEvent({ op: "drop", ns: "app.users" }), "boom");
    expect(error.message).toBe(
      'The "change" handler failed on the drop on app.users: boom. The watcher stopped at this change; its resume point is before it, so a new watcher with the same store receives it again',
    );
    expect(error.context).toEqual({ namespace: "app.users", op: "drop" });
  });

  it("name the namespaces, operations and id count of a batch", () => {
    const cause = new Error("index unavailable");
    const error = handlerFailedOnBatch(
      [
        { namespace: "app.users", op: "insert", ids: [1, 2] },
        { namespace: "app.orders", op: "insert", ids: [3] },
        { namespace: "app.users", op: "delete", ids: [4] },
      ],
      cause,
    );
    expect(error.message).toBe(
      'The "batch" handler failed on a batch of 4 ids (insert, delete in app.users, app.orders): index unavailable. The watcher stopped before this batch; its resume point is before it, so a new watcher with the same store receives these changes again',
    );
    expect(error.context).toEqual({ namespace: "app.users, app.orders", op: "insert, delete", ids: 4 });
    expect(error.cause).toBe(cause);
  });
});

describe("start positions", () => {
  it("turn a date into the cluster time of its second", () => {
    expect(timestampOfDate(new Date("2024-05-01T00:00:00.999Z"))).toEqual(new Timestamp({ t: 1_714_521_600, i: 1 }));
  });

  it("open the probe stream where the scope's stream opens", () => {
    expect(changeStreamTarget({ kind: "deployment" })).toEqual({ database: "admin", aggregate: 1, clusterWide: true });
    expect(changeStreamTarget({ kind: "database", db: "app" })).toEqual({ database: "app", aggregate: 1, clusterWide: false });
    expect(changeStreamTarget({ kind: "collection", db: "app", coll: "users" })).toEqual({ database: "app", aggregate: "users", clusterWide: false });
  });
});

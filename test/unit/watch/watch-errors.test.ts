import { ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import { EventSelector } from "../../../src/pipeline/event-selector.js";
import { guardPredicate, handlerFailedOnBatch, handlerFailedOnEvent } from "../../../src/watch/watch-errors.js";
import { makeEvent } from "../../support/events.js";

describe("guardPredicate", () => {
  it("turns a predicate that throws into HandlerFailed naming the change", () => {
    const cause = new TypeError("doc is undefined");
    const selector = new EventSelector({
      namespaces: new NamespaceFilter([], []),
      predicates: [
        guardPredicate(() => {
          throw cause;
        }),
      ],
    });
    const event = makeEvent({ op: "delete", ns: "app.users", id: new ObjectId("65a1b2c3d4e5f60718293a4b") });
    let error: unknown;
    try {
      selector.select(event);
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

import { Int32 } from "mongodb";
import { describe, expect, it } from "vitest";
import { planDocManagerOperations } from "../../../src/sinks/docmanager/doc-manager-operations.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { makeEvent } from "../../support/events.js";

const abilities = { update: true, uniqueKey: "_id", chunkSize: 3, mapNamespace: (namespace: string) => namespace };

function withUpdate(event: ChangeEvent, update: ChangeEvent["update"]): ChangeEvent {
  return { ...event, update };
}

describe("planDocManagerOperations", () => {
  it("turns the data operations into upsert, update and remove calls in stream order", () => {
    const insert = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1, total: new Int32(5) } });
    const update = withUpdate(makeEvent({ op: "update", ns: "shop.orders", id: 1, doc: { _id: 1, total: new Int32(6) } }), {
      updatedFields: { total: new Int32(6) },
      removedFields: ["note"],
      truncatedArrays: [],
    });
    const remove = makeEvent({ op: "delete", ns: "shop.orders", id: 1 });
    expect(planDocManagerOperations([insert, update, remove], abilities)).toEqual([
      { kind: "upsert", namespace: "shop.orders", docs: [{ _id: 1, total: new Int32(5) }], timestamp: insert.clusterTime },
      { kind: "update", namespace: "shop.orders", id: 1, spec: { $set: { total: new Int32(6) }, $unset: { note: true } }, timestamp: update.clusterTime },
      { kind: "remove", namespace: "shop.orders", id: 1, timestamp: remove.clusterTime },
    ]);
  });

  it("groups consecutive upserts of one namespace up to chunkSize documents", () => {
    const events = [1, 2, 3, 4].map((id) => makeEvent({ op: "insert", ns: "shop.orders", id, doc: { _id: id } }));
    const other = makeEvent({ op: "replace", ns: "shop.users", id: 9, doc: { _id: 9 } });
    const last = makeEvent({ op: "insert", ns: "shop.orders", id: 5, doc: { _id: 5 } });
    const plan = planDocManagerOperations([...events, other, last], abilities);
    expect(plan.map((operation) => (operation.kind === "upsert" ? [operation.namespace, operation.docs.map((doc) => doc._id)] : operation.kind))).toEqual([
      ["shop.orders", [1, 2, 3]],
      ["shop.orders", [4]],
      ["shop.users", [9]],
      ["shop.orders", [5]],
    ]);
    expect(plan[0]?.timestamp).toEqual(events[2]?.clusterTime);
  });

  it("upserts the full document when the target has no update method, and skips an update whose document is gone", () => {
    const updated = withUpdate(makeEvent({ op: "update", ns: "a.b", id: 1, doc: { _id: 1, n: 2 } }), { updatedFields: { n: 2 }, removedFields: [], truncatedArrays: [] });
    const gone = withUpdate(makeEvent({ op: "update", ns: "a.b", id: 2 }), { updatedFields: { n: 3 }, removedFields: [], truncatedArrays: [] });
    expect(planDocManagerOperations([updated, gone], { ...abilities, update: false })).toEqual([{ kind: "upsert", namespace: "a.b", docs: [{ _id: 1, n: 2 }], timestamp: updated.clusterTime }]);
  });

  it("renames _id to the unique key in upserted documents", () => {
    const insert = makeEvent({ op: "insert", ns: "a.b", id: "x", doc: { _id: "x", name: "n" } });
    const [operation] = planDocManagerOperations([insert], { ...abilities, uniqueKey: "id" });
    expect(operation).toMatchObject({ docs: [{ id: "x", name: "n" }] });
    expect(Object.keys(operation?.kind === "upsert" ? operation.docs[0]! : {})).toEqual(["id", "name"]);
  });

  it("spells commands as the oplog does, on db.$cmd, whatever the server described of them", () => {
    const events = [
      makeEvent({ op: "create", ns: "shop.orders" }),
      makeEvent({ op: "rename", ns: "shop.orders", to: "shop.archive" }),
      makeEvent({ op: "drop", ns: "shop.archive" }),
      makeEvent({ op: "createIndexes", ns: "shop.users" }),
      makeEvent({ op: "dropDatabase", ns: "shop" }),
    ];
    expect(planDocManagerOperations(events, abilities).map((operation) => (operation.kind === "command" ? [operation.namespace, operation.command] : operation.kind))).toEqual([
      ["shop.$cmd", { create: "orders" }],
      ["shop.$cmd", { renameCollection: "shop.orders", to: "shop.archive" }],
      ["shop.$cmd", { drop: "archive" }],
      ["shop.$cmd", { createIndexes: "users", indexes: [] }],
      ["shop.$cmd", { dropDatabase: 1 }],
    ]);
  });
});


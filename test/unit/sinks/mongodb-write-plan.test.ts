import { Int32, Long } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { planMongoWrites } from "../../../src/sinks/mongodb/mongodb-write-plan.js";
import { TargetNamespaces } from "../../../src/sinks/mongodb/target-namespaces.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { makeEvent } from "../../support/events.js";

const same = new TargetNamespaces({});

describe("planMongoWrites", () => {
  it("turns data changes into upserts and deletes by key, one ordered bulk write per target collection", () => {
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1, total: new Int32(5) } }),
      makeEvent({ op: "insert", ns: "shop.users", id: "u1", doc: { _id: "u1", name: "Ann" } }),
      makeEvent({ op: "update", ns: "shop.orders", id: 1, doc: { _id: 1, total: new Int32(6) } }),
      makeEvent({ op: "replace", ns: "shop.orders", id: 2, doc: { _id: 2, total: new Long(7) } }),
      makeEvent({ op: "delete", ns: "shop.users", id: "u1" }),
      makeEvent({ op: "delete", ns: "shop.orders", id: 1 }),
    ];
    expect(planMongoWrites(events, same)).toEqual([
      {
        kind: "write",
        target: { db: "shop", coll: "orders" },
        operations: [
          { replaceOne: { filter: { _id: 1 }, replacement: { _id: 1, total: new Int32(5) }, upsert: true } },
          { replaceOne: { filter: { _id: 1 }, replacement: { _id: 1, total: new Int32(6) }, upsert: true } },
          { replaceOne: { filter: { _id: 2 }, replacement: { _id: 2, total: new Long(7) }, upsert: true } },
          { deleteOne: { filter: { _id: 1 } } },
        ],
      },
      {
        kind: "write",
        target: { db: "shop", coll: "users" },
        operations: [{ replaceOne: { filter: { _id: "u1" }, replacement: { _id: "u1", name: "Ann" }, upsert: true } }, { deleteOne: { filter: { _id: "u1" } } }],
      },
    ]);
  });

  it("filters by _id alone, so a changed shard key value still finds the copy holding the old one", () => {
    // documentKey as a sharded collection's events carry it: the shard key fields, then _id.
    // The update moved the document from region "eu" to "us"; the copy still holds "eu".
    const moved: ChangeEvent = { ...makeEvent({ op: "update", ns: "shop.orders", doc: { _id: 1, region: "us", total: 3 } }), key: { region: "us", _id: 1 } };
    const deleted: ChangeEvent = { ...makeEvent({ op: "delete", ns: "shop.orders" }), key: { region: "us", _id: 1 } };
    expect(planMongoWrites([moved, deleted], same)).toEqual([
      {
        kind: "write",
        target: { db: "shop", coll: "orders" },
        operations: [
          { replaceOne: { filter: { _id: 1 }, replacement: { _id: 1, region: "us", total: 3 }, upsert: true } },
          { deleteOne: { filter: { _id: 1 } } },
        ],
      },
    ]);
  });

  it("skips an update whose document was gone when looked up (a delete follows)", () => {
    const events = [makeEvent({ op: "update", ns: "shop.orders", id: 1 }), makeEvent({ op: "delete", ns: "shop.orders", id: 1 })];
    expect(planMongoWrites(events, same)).toEqual([{ kind: "write", target: { db: "shop", coll: "orders" }, operations: [{ deleteOne: { filter: { _id: 1 } } }] }]);
  });

  it("uses the document's _id when an event has no key, and refuses a change it cannot place", () => {
    const keyless = makeEvent({ op: "insert", ns: "shop.orders", doc: { _id: 9 } });
    expect(planMongoWrites([keyless], same)).toEqual([
      { kind: "write", target: { db: "shop", coll: "orders" }, operations: [{ replaceOne: { filter: { _id: 9 }, replacement: { _id: 9 }, upsert: true } }] },
    ]);
    expect(() => planMongoWrites([makeEvent({ op: "delete", ns: "shop.orders" })], same)).toThrow(
      expect.objectContaining({
        code: ErrorCode.SinkFailed,
        message: "A delete on shop.orders came without a document key; the mongodb sink cannot tell which document it changes",
      }),
    );
  });

  it("applies commands between the writes before and after them, and ignores the commands a copy does not need", () => {
    const before = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    const create = makeEvent({ op: "create", ns: "shop.tmp" });
    const index = makeEvent({ op: "createIndexes", ns: "shop.orders" });
    const drop = makeEvent({ op: "drop", ns: "shop.orders" });
    const after = makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } });
    const invalidate = makeEvent({ op: "invalidate", ns: "shop.orders" });
    expect(planMongoWrites([before, create, index, drop, after, invalidate], same)).toEqual([
      { kind: "write", target: { db: "shop", coll: "orders" }, operations: [{ replaceOne: { filter: { _id: 1 }, replacement: { _id: 1 }, upsert: true } }] },
      { kind: "drop", target: { db: "shop", coll: "orders" } },
      { kind: "write", target: { db: "shop", coll: "orders" }, operations: [{ replaceOne: { filter: { _id: 2 }, replacement: { _id: 2 }, upsert: true } }] },
    ]);
  });

  it("keeps the writes around a command without effect in one bulk write, so their order holds", () => {
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1, v: 1 } }),
      makeEvent({ op: "createIndexes", ns: "shop.orders" }),
      makeEvent({ op: "insert", ns: "shop.users", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "create", ns: "shop.tmp" }),
      makeEvent({ op: "replace", ns: "shop.orders", id: 1, doc: { _id: 1, v: 2 } }),
    ];
    expect(planMongoWrites(events, same)).toEqual([
      {
        kind: "write",
        target: { db: "shop", coll: "orders" },
        operations: [
          { replaceOne: { filter: { _id: 1 }, replacement: { _id: 1, v: 1 }, upsert: true } },
          { replaceOne: { filter: { _id: 1 }, replacement: { _id: 1, v: 2 }, upsert: true } },
        ],
      },
      { kind: "write", target: { db: "shop", coll: "users" }, operations: [{ replaceOne: { filter: { _id: 1 }, replacement: { _id: 1 }, upsert: true } }] },
    ]);
  });

  it("never plans two bulk writes in a row for one target collection", () => {
    const kinds = ["insert", "create", "drop", "insert", "createIndexes", "insert", "rename", "insert", "dropDatabase", "insert"] as const;
    const events = kinds.map((op, id) =>
      op === "insert" ? makeEvent({ op, ns: "shop.orders", id, doc: { _id: id } }) : op === "rename" ? makeEvent({ op, ns: "shop.a", to: "shop.b" }) : makeEvent({ op, ns: op === "dropDatabase" ? "crm" : "shop.orders" }),
    );
    const plan = planMongoWrites(events, same);
    expect(plan.map((step) => step.kind)).toEqual(["write", "drop", "write", "rename", "write", "dropDatabase", "write"]);
    expect(plan.flatMap((step) => (step.kind === "write" ? [step.operations.length] : []))).toEqual([1, 2, 1, 1]);
  });

  it("renames the mapped collections, carrying the positions around the rename", () => {
    const targets = new TargetNamespaces({ database: "copy", namespaces: { "shop.drafts": "archive.drafts" } });
    const write = makeEvent({ op: "insert", ns: "shop.drafts", id: 1, doc: { _id: 1 } });
    const rename = makeEvent({ op: "rename", ns: "shop.drafts", to: "shop.published" });
    const first = makeEvent({ op: "rename", ns: "shop.a", to: "shop.b" });
    expect(planMongoWrites([write, rename], targets)).toEqual([
      { kind: "write", target: { db: "archive", coll: "drafts" }, operations: [{ replaceOne: { filter: { _id: 1 }, replacement: { _id: 1 }, upsert: true } }] },
      { kind: "rename", from: { db: "archive", coll: "drafts" }, to: { db: "copy", coll: "published" }, before: write.position, after: rename.position },
    ]);
    expect(planMongoWrites([first], targets)).toEqual([{ kind: "rename", from: { db: "copy", coll: "a" }, to: { db: "copy", coll: "b" }, after: first.position }]);
  });

  it("does nothing for a rename between two namespaces that map to the same target", () => {
    const targets = new TargetNamespaces({ database: "copy" });
    const rename = makeEvent({ op: "rename", ns: "east.users", to: "west.users" });
    const insert = makeEvent({ op: "insert", ns: "west.users", id: 1, doc: { _id: 1 } });
    expect(planMongoWrites([rename, insert], targets)).toEqual([
      { kind: "write", target: { db: "copy", coll: "users" }, operations: [{ replaceOne: { filter: { _id: 1 }, replacement: { _id: 1 }, upsert: true } }] },
    ]);
  });

  it("drops the target database of a dropped one only when nothing else was written into it", () => {
    const dropDatabase = makeEvent({ op: "dropDatabase", ns: "shop" });
    expect(planMongoWrites([dropDatabase], same)).toEqual([{ kind: "dropDatabase", source: "shop", collections: [], database: "shop" }]);
    const intoShop = new TargetNamespaces({ namespaces: { "crm.users": "shop.users", "shop.orders": "archive.orders" } });
    expect(planMongoWrites([dropDatabase], intoShop)).toEqual([
      { kind: "dropDatabase", source: "shop", collections: [{ db: "archive", coll: "orders" }], keptDatabase: "shop" },
    ]);
    const merged = new TargetNamespaces({ database: "copy", namespaces: { "shop.orders": "archive.orders" } });
    expect(planMongoWrites([dropDatabase], merged)).toEqual([
      { kind: "dropDatabase", source: "shop", collections: [{ db: "archive", coll: "orders" }], keptDatabase: "copy" },
    ]);
  });

  it("plans nothing for an empty batch", () => {
    expect(planMongoWrites([], same)).toEqual([]);
  });
});

describe("TargetNamespaces", () => {
  it("maps an explicit namespace first, then the database option, then the namespace itself", () => {
    const targets = new TargetNamespaces({ database: "copy", namespaces: { "shop.orders": "archive.orders_2024" } });
    expect(targets.of({ db: "shop", coll: "orders" })).toEqual({ db: "archive", coll: "orders_2024" });
    expect(targets.of({ db: "shop", coll: "users" })).toEqual({ db: "copy", coll: "users" });
    expect(new TargetNamespaces({}).of({ db: "shop", coll: "a.b" })).toEqual({ db: "shop", coll: "a.b" });
    expect(new TargetNamespaces({ namespaces: { "shop.orders": "archive.x.y" } }).of({ db: "shop", coll: "orders" })).toEqual({ db: "archive", coll: "x.y" });
  });
});

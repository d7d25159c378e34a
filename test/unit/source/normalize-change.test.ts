import { Binary, Int32, Long, ObjectId, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { normalizeChange } from "../../../src/source/normalize-change.js";

const resumeToken = { _data: "8265A1B2C3000000012B022C0100296E5A1004" };
const clusterTime = new Timestamp({ t: 0x65a1b2c3, i: 1 });
const id = new ObjectId("65a1b2c3d4e5f60718293a4b");

describe("normalizeChange", () => {
  it("normalizes an update with its description, full document and transaction", () => {
    const lsidId = new Binary(Buffer.from("00112233445566778899aabbccddeeff", "hex"), 4);
    const event = normalizeChange({
      _id: resumeToken,
      operationType: "update",
      clusterTime,
      wallTime: new Date("2024-01-12T21:00:19Z"),
      ns: { db: "shop", coll: "orders" },
      documentKey: { _id: id },
      updateDescription: { updatedFields: { qty: new Int32(3) }, removedFields: ["note"], truncatedArrays: [{ field: "tags", newSize: new Int32(1) }] },
      fullDocument: { _id: id, qty: new Int32(3) },
      txnNumber: Long.fromNumber(12),
      lsid: { id: lsidId, uid: new Binary(Buffer.alloc(32)) },
    });
    expect(event).toMatchObject({
      op: "update",
      ns: { db: "shop", coll: "orders" },
      key: { _id: id },
      doc: { _id: id, qty: new Int32(3) },
      update: { updatedFields: { qty: new Int32(3) }, removedFields: ["note"], truncatedArrays: [{ field: "tags", newSize: 1 }] },
      wallTime: new Date("2024-01-12T21:00:19Z"),
      txn: { lsid: "00112233445566778899aabbccddeeff", txnNumber: "12" },
      source: "stream",
    });
    expect(event?.position.key).toBe(`65a1b2c300000001:${resumeToken._data}`);
  });

  it("keeps the target of a rename and has no collection for dropDatabase", () => {
    expect(normalizeChange({ _id: resumeToken, operationType: "rename", clusterTime, ns: { db: "a", coll: "b" }, to: { db: "a", coll: "c" } })).toMatchObject({
      op: "rename",
      ns: { db: "a", coll: "b" },
      to: { db: "a", coll: "c" },
    });
    const dropDatabase = normalizeChange({ _id: resumeToken, operationType: "dropDatabase", clusterTime, ns: { db: "a" } });
    expect(dropDatabase?.ns).toEqual({ db: "a" });
  });

  it("leaves out a missing full document (update lookup found nothing)", () => {
    const event = normalizeChange({ _id: resumeToken, operationType: "update", clusterTime, ns: { db: "a", coll: "b" }, documentKey: { _id: 1 }, fullDocument: null });
    expect(event?.doc).toBeUndefined();
    expect(event?.txn).toBeUndefined();
  });

  it("keeps the creation of a collection and leaves out that of a view", () => {
    const base = { _id: resumeToken, operationType: "create", clusterTime, ns: { db: "shop", coll: "orders" } };
    expect(normalizeChange({ ...base, operationDescription: { idIndex: { v: 2, key: { _id: 1 }, name: "_id_" } } })).toMatchObject({ op: "create", ns: { db: "shop", coll: "orders" } });
    expect(normalizeChange({ ...base, operationDescription: { viewOn: "orders_raw", pipeline: [] } })).toBeUndefined();
  });

  it("ignores operation types it does not know instead of failing", () => {
    expect(normalizeChange({ _id: resumeToken, operationType: "somethingNew", clusterTime, ns: { db: "a" } })).toBeUndefined();
  });
});

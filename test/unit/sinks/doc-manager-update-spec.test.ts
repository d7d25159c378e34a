import { Int32, Timestamp, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { planDocManagerOperations } from "../../../src/sinks/docmanager/doc-manager-operations.js";
import { normalizeChange } from "../../../src/source/normalize-change.js";
import { applyUpdateAsMongoConnector } from "../../support/mongo-connector-apply-update.js";

const abilities = { update: true, uniqueKey: "_id", chunkSize: 10, mapNamespace: (namespace: string) => namespace };

/** An update event as the server emits it, with the post-image (or looked-up document). */
function updateEvent(updateDescription: Document, fullDocument?: Document): Document {
  return {
    _id: { _data: "8265A1B2C3000000012B022C0100296E5A1004" },
    operationType: "update",
    clusterTime: new Timestamp({ t: 0x65a1b2c3, i: 1 }),
    ns: { db: "shop", coll: "orders" },
    documentKey: { _id: 1 },
    updateDescription: { removedFields: [], truncatedArrays: [], ...updateDescription },
    ...(fullDocument ? { fullDocument } : {}),
  };
}

/** What the DocManager holds after the plan for this event is applied to `before`. */
function replayed(before: Document, raw: Document): Document {
  const event = normalizeChange(raw)!;
  let doc = before;
  for (const operation of planDocManagerOperations([event], abilities)) {
    if (operation.kind === "update") doc = applyUpdateAsMongoConnector(doc, operation.spec);
    else if (operation.kind === "upsert") doc = operation.docs[0]!;
    else throw new Error(`unexpected ${operation.kind}`);
  }
  return doc;
}

describe("DocManager update specs, as mongo-connector's apply_update reads them", () => {
  it("an array shrink sets the whole array, not an element next to a truncation it cannot read", () => {
    // db.orders.updateOne({_id: 1}, [{$set: {tags: ["a", "z"]}}]) on {tags: ["a", "b", "c"]}
    const after = { _id: 1, tags: ["a", "z"] };
    const raw = updateEvent({ updatedFields: { "tags.1": "z" }, truncatedArrays: [{ field: "tags", newSize: new Int32(2) }] }, after);
    expect(planDocManagerOperations([normalizeChange(raw)!], abilities)).toMatchObject([{ kind: "update", spec: { $set: { tags: ["a", "z"] } } }]);
    expect(replayed({ _id: 1, tags: ["a", "b", "c"] }, raw)).toEqual(after);
  });

  it("a $pop-only update sets the shortened array instead of replacing the document with a $push", () => {
    // db.orders.updateOne({_id: 1}, {$pop: {"lines.0.qty": 1}}): a truncation and nothing else.
    const after = { _id: 1, lines: [{ qty: [1, 2] }], note: "kept" };
    const raw = updateEvent({ updatedFields: {}, truncatedArrays: [{ field: "lines.0.qty", newSize: new Int32(2) }] }, after);
    expect(planDocManagerOperations([normalizeChange(raw)!], abilities)).toMatchObject([{ kind: "update", spec: { $set: { "lines.0.qty": [1, 2] } } }]);
    expect(replayed({ _id: 1, lines: [{ qty: [1, 2, 3] }], note: "kept" }, raw)).toEqual(after);
  });

  it("a field name holding a dot is set through its nearest ancestor spelt without one", () => {
    // $setField on {meta: {"v.1": 1, other: 2}}: disambiguatedPaths says "meta.v.1" is meta → "v.1".
    const after = { _id: 1, meta: { "v.1": 5, other: 2 } };
    const raw = updateEvent({ updatedFields: { "meta.v.1": 5 }, disambiguatedPaths: { "meta.v.1": ["meta", "v.1"] } }, after);
    expect(replayed({ _id: 1, meta: { "v.1": 1, other: 2 } }, raw)).toEqual(after);
  });

  it("a removed field whose name holds a dot is removed through its ancestor", () => {
    const after = { _id: 1, meta: { other: 2 } };
    const raw = updateEvent({ updatedFields: {}, removedFields: ["meta.v.1"], disambiguatedPaths: { "meta.v.1": ["meta", "v.1"] } }, after);
    expect(replayed({ _id: 1, meta: { "v.1": 1, other: 2 } }, raw)).toEqual(after);
  });

  it("a top-level field name holding a dot upserts the whole document", () => {
    const after = { _id: 1, "a.b": 2 };
    const raw = updateEvent({ updatedFields: { "a.b": 2 }, disambiguatedPaths: { "a.b": ["a.b"] } }, after);
    expect(planDocManagerOperations([normalizeChange(raw)!], abilities)).toMatchObject([{ kind: "upsert", docs: [after] }]);
  });

  it("numeric components need nothing more: apply_update reads them as the container does", () => {
    // {a: {"0": 0}, l: [5, 6]} with $inc a.0 and $set l.1: a field named "0" and an index.
    const after = { _id: 1, a: { "0": 1 }, l: [5, 7] };
    const raw = updateEvent({ updatedFields: { "a.0": 1, "l.1": 7 }, disambiguatedPaths: { "a.0": ["a", "0"], "l.1": ["l", new Int32(1)] } });
    expect(planDocManagerOperations([normalizeChange(raw)!], abilities)).toMatchObject([{ kind: "update", spec: { $set: { "a.0": 1, "l.1": 7 } } }]);
    expect(replayed({ _id: 1, a: { "0": 0 }, l: [5, 6] }, raw)).toEqual(after);
  });

  it("a truncation without the document is skipped: the document was gone when looked up", () => {
    const raw = updateEvent({ updatedFields: {}, truncatedArrays: [{ field: "tags", newSize: new Int32(0) }] });
    expect(planDocManagerOperations([normalizeChange(raw)!], abilities)).toEqual([]);
  });

  it("sends no empty spec, which apply_update would take for an empty new document", () => {
    const raw = updateEvent({ updatedFields: {} }, { _id: 1 });
    expect(planDocManagerOperations([normalizeChange(raw)!], abilities)).toEqual([]);
  });

  it("keeps plain $set and $unset as they are", () => {
    const after = { _id: 1, a: { b: 2 } };
    const raw = updateEvent({ updatedFields: { "a.b": 2 }, removedFields: ["c"] }, after);
    expect(planDocManagerOperations([normalizeChange(raw)!], abilities)).toMatchObject([{ kind: "update", spec: { $set: { "a.b": 2 }, $unset: { c: true } } }]);
    expect(replayed({ _id: 1, a: { b: 1 }, c: 3 }, raw)).toEqual(after);
  });
});

import { Int32, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { planBatch, type ApplyStep } from "../../../../src/sinks/postgres/coalesce.js";
import { makeEvent } from "../../../support/events.js";

function summarize(steps: ApplyStep[]): unknown[] {
  return steps.map((step) =>
    step.kind === "command"
      ? { command: step.event.op, ns: `${step.event.ns.db}.${step.event.ns.coll ?? ""}` }
      : { rows: step.namespace, changes: step.changes.map((c) => (c.kind === "delete" ? `-${c.key}` : `+${c.key}:${String(c.doc.v)}`)) },
  );
}

describe("planBatch", () => {
  it("keeps only the last state of each key, per collection", () => {
    const steps = planBatch([
      makeEvent({ op: "insert", ns: "a.b", id: 1, doc: { _id: 1, v: "one" } }),
      makeEvent({ op: "update", ns: "a.b", id: 1, doc: { _id: 1, v: "two" } }),
      makeEvent({ op: "insert", ns: "a.c", id: 1, doc: { _id: 1, v: "other" } }),
      makeEvent({ op: "insert", ns: "a.b", id: 2, doc: { _id: 2, v: "x" } }),
      makeEvent({ op: "delete", ns: "a.b", id: 2 }),
      makeEvent({ op: "replace", ns: "a.b", id: 1, doc: { _id: 1, v: "three" } }),
    ]);
    expect(summarize(steps)).toEqual([
      { rows: "a.b", changes: ["-2", "+1:three"] },
      { rows: "a.c", changes: ["+1:other"] },
    ]);
  });

  it("re-inserting after a delete ends as an upsert", () => {
    const steps = planBatch([
      makeEvent({ op: "delete", ns: "a.b", id: 7 }),
      makeEvent({ op: "insert", ns: "a.b", id: 7, doc: { _id: 7, v: "back" } }),
    ]);
    expect(summarize(steps)).toEqual([{ rows: "a.b", changes: ["+7:back"] }]);
  });

  it("keeps commands in place and never coalesces across them", () => {
    const steps = planBatch([
      makeEvent({ op: "insert", ns: "a.b", id: 1, doc: { _id: 1, v: "before" } }),
      makeEvent({ op: "drop", ns: "a.b" }),
      makeEvent({ op: "insert", ns: "a.b", id: 1, doc: { _id: 1, v: "after" } }),
    ]);
    expect(summarize(steps)).toEqual([
      { rows: "a.b", changes: ["+1:before"] },
      { command: "drop", ns: "a.b" },
      { rows: "a.b", changes: ["+1:after"] },
    ]);
  });

  it("skips an update whose full document could not be looked up, keeping the earlier state", () => {
    const steps = planBatch([
      makeEvent({ op: "insert", ns: "a.b", id: 1, doc: { _id: 1, v: "first" } }),
      makeEvent({ op: "update", ns: "a.b", id: 1 }),
    ]);
    expect(summarize(steps)).toEqual([{ rows: "a.b", changes: ["+1:first"] }]);
  });

  it("treats numerically equal ids of different types as one key, as MongoDB does", () => {
    const id = new ObjectId();
    const steps = planBatch([
      makeEvent({ op: "insert", ns: "a.b", id: new Int32(5), doc: { _id: new Int32(5), v: "int" } }),
      makeEvent({ op: "update", ns: "a.b", id: 5, doc: { _id: 5, v: "double" } }),
      makeEvent({ op: "insert", ns: "a.b", id, doc: { _id: id, v: "oid" } }),
      makeEvent({ op: "insert", ns: "a.b", id: id.toHexString(), doc: { _id: id.toHexString(), v: "hex string" } }),
    ]);
    const rows = steps[0];
    expect(rows?.kind === "rows" ? rows.changes.length : 0).toBe(3);
  });
});

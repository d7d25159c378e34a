import { describe, expect, it } from "vitest";
import { makeEvent } from "../../../support/events.js";
import { planBatch, type RowChanges } from "../../../../src/sinks/postgres/coalesce.js";
import { parseMapping } from "../../../../src/sinks/postgres/mapping/load-mapping.js";
import type { TableMapping } from "../../../../src/sinks/postgres/mapping/table-mapping.js";
import { writeRelationalRows } from "../../../../src/sinks/postgres/relational/relational-row-writer.js";
import type { Statements } from "../../../../src/sinks/postgres/statement-queue.js";

/** The orders of `shop`, with `items` as a child table; `total` too when `withTotal`. */
function ordersMapping(withTotal: boolean): TableMapping {
  const orders = {
    pk: "id",
    _id: { dest: "id", type: "TEXT" },
    ...(withTotal ? { total: { dest: "total", type: "NUMERIC" } } : {}),
    items: { dest: "order_items", type: "_ARRAY", fk: "order_id" },
  };
  const mapping = parseMapping("mappings.json", { shop: { orders, order_items: { pk: "row_id", sku: { dest: "sku", type: "TEXT" } } } }, { defaultSchema: "public" });
  return mapping.collections.get("shop.orders") as TableMapping;
}

/** The statement texts one small batch of an order sends (a recording stand-in for the statement queue). */
async function statementsOfOneChange(mapping: TableMapping): Promise<string[]> {
  const texts: string[] = [];
  const recorder: Statements = { query: (text) => Promise.resolve(void texts.push(text)) };
  const [step] = planBatch([makeEvent({ op: "insert", ns: "shop.orders", id: "a", doc: { _id: "a", total: 2, items: [{ sku: "x" }] } })]) as RowChanges[];
  await writeRelationalRows(recorder, mapping, step!.changes, () => Promise.reject(new Error("nothing is rejected here")));
  return texts;
}

describe("a mapping's statements", () => {
  it("are the same texts, batch after batch, for one mapping", async () => {
    const mapping = ordersMapping(false);
    const first = await statementsOfOneChange(mapping);
    expect(first).toHaveLength(3);
    expect(first[0]).toMatch(/^INSERT INTO "public"\."orders" \("id", "_extra", "_cluster_time"\) SELECT .* ON CONFLICT \("id"\) DO UPDATE SET /);
    expect(first[1]).toBe(`DELETE FROM "public"."order_items" WHERE "order_id" = ANY($1::text[])`);
    expect(first[2]).toMatch(/^INSERT INTO "public"\."order_items" \("order_id", "_ordinal", "sku", "_extra"\) SELECT /);
    expect(await statementsOfOneChange(mapping)).toEqual(first);
  });

  it("follow a new mapping of the same collection (an inferred mapping that evolved is a new object)", async () => {
    const before = await statementsOfOneChange(ordersMapping(false));
    const after = await statementsOfOneChange(ordersMapping(true));
    expect(before[0]).not.toContain(`"total"`);
    expect(after[0]).toMatch(/^INSERT INTO "public"\."orders" \("id", "total", "_extra", "_cluster_time"\)/);
  });

  it("come from a mapping that cannot change: compiling freezes it whole", () => {
    const mapping = ordersMapping(true);
    expect(Object.isFrozen(mapping)).toBe(true);
    expect(Object.isFrozen(mapping.columns[1])).toBe(true);
    expect(Object.isFrozen(mapping.children[0]?.table.columns)).toBe(true);
    expect(() => (mapping.columns as unknown[]).pop()).toThrow(TypeError);
    expect(() => Object.assign(mapping.pk, { column: "other" })).toThrow(TypeError);
  });
});

import { describe, expect, it } from "vitest";
import { makeEvent } from "../../../support/events.js";
import { planBatch, type RowChanges } from "../../../../src/sinks/postgres/coalesce.js";
import { parseMapping } from "../../../../src/sinks/postgres/mapping/load-mapping.js";
import type { TableMapping } from "../../../../src/sinks/postgres/mapping/table-mapping.js";
import { writeRelationalRows } from "../../../../src/sinks/postgres/relational/relational-row-writer.js";
import type { Statements } from "../../../../src/sinks/postgres/statement-queue.js";

/** The orders of `shop`, with `items` as a child table; `total` too when `withTotal` (of type `totalType`). */
function ordersMapping(withTotal: boolean, totalType = "NUMERIC"): TableMapping {
  const orders = {
    pk: "id",
    _id: { dest: "id", type: "TEXT" },
    ...(withTotal ? { total: { dest: "total", type: totalType } } : {}),
    items: { dest: "order_items", type: "_ARRAY", fk: "order_id" },
  };
  const mapping = parseMapping("mappings.json", { shop: { orders, order_items: { pk: "row_id", sku: { dest: "sku", type: "TEXT" } } } }, { defaultSchema: "public" });
  return mapping.collections.get("shop.orders") as TableMapping;
}

/** The statement texts one small batch of an order sends (a recording stand-in for the statement queue). */
async function statementsOfOneChange(mapping: TableMapping, items = 1): Promise<string[]> {
  const texts: string[] = [];
  const recorder: Statements = { query: (text) => Promise.resolve(void texts.push(text)) };
  const doc = { _id: "a", total: 2, items: Array.from({ length: items }, (_, index) => ({ sku: `x${index}` })) };
  const [step] = planBatch([makeEvent({ op: "insert", ns: "shop.orders", id: "a", doc })]) as RowChanges[];
  await writeRelationalRows(recorder, mapping, step!.changes, () => Promise.reject(new Error("nothing is rejected here")));
  return texts;
}

describe("a mapping's statements", () => {
  it("are the same texts, batch after batch, for one mapping", async () => {
    const mapping = ordersMapping(false);
    const first = await statementsOfOneChange(mapping);
    expect(first).toHaveLength(3);
    // A row each: a parameter per value, the columns' types in a comment (a statement prepared for other types is another statement).
    expect(first[0]).toMatch(/^INSERT INTO "public"\."orders" \("id", "_extra", "_cluster_time"\) VALUES \(\$1, \$2, \$3\) ON CONFLICT \("id"\) DO UPDATE SET .* \/\* text, jsonb, timestamptz \*\/$/);
    expect(first[1]).toBe(`DELETE FROM "public"."order_items" WHERE "order_id" = ANY($1::text[])`);
    expect(first[2]).toMatch(/^INSERT INTO "public"\."order_items" \("order_id", "_ordinal", "sku", "_extra"\) VALUES \(\$1, \$2, \$3, \$4\) \/\* text, integer, text, jsonb \*\/$/);
    expect(await statementsOfOneChange(mapping)).toEqual(first);
  });

  it("name a parameter per value for up to 4 rows of a table, and send more as JSON", async () => {
    const mapping = ordersMapping(false);
    expect((await statementsOfOneChange(mapping, 4))[2]).toMatch(/ VALUES \(\$1, \$2, \$3, \$4\), .*, \(\$13, \$14, \$15, \$16\) \/\*/);
    expect((await statementsOfOneChange(mapping, 5))[2]).toMatch(/^INSERT INTO "public"\."order_items" \("order_id", "_ordinal", "sku", "_extra"\) SELECT .* FROM jsonb_to_recordset\(\$1::jsonb\)/);
  });

  it("send a row as JSON to a table with a plain json column, whose text only jsonb_to_recordset keeps as PostgreSQL spells it", async () => {
    const [parent, , child] = await statementsOfOneChange(ordersMapping(true, "JSON"));
    expect(parent).toMatch(/^INSERT INTO "public"\."orders" \("id", "total", "_extra", "_cluster_time"\) SELECT .* FROM jsonb_to_recordset\(\$1::jsonb\)/);
    expect(child).toMatch(/ VALUES \(\$1, \$2, \$3, \$4\) \/\*/);
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

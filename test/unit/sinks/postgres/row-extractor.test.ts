import { describe, expect, it } from "vitest";
import { parseMapping } from "../../../../src/sinks/postgres/mapping/load-mapping.js";
import type { TableMapping } from "../../../../src/sinks/postgres/mapping/table-mapping.js";
import { extractRows, isRejection, type ExtractedRows } from "../../../../src/sinks/postgres/relational/row-extractor.js";

/** The orders of `shop` (a total, its items as a child table with a quantity), misfits kept or not. */
function ordersMapping(keepMisfits: boolean): TableMapping {
  const orders = { pk: "id", _id: { dest: "id", type: "TEXT" }, total: { dest: "total", type: "INTEGER" }, items: { dest: "order_items", type: "_ARRAY", fk: "order_id" } };
  const items = { pk: "row_id", qty: { dest: "qty", type: "INTEGER" } };
  const mapping = parseMapping("mappings.json", { shop: { orders, order_items: items } }, { defaultSchema: "public", keepMisfits });
  return mapping.collections.get("shop.orders") as TableMapping;
}

function extracted(mapping: TableMapping, doc: Record<string, unknown>): ExtractedRows {
  const rows = extractRows(mapping, doc);
  if (isRejection(rows)) throw new Error(`rejected: ${rows.field}: ${rows.reason}`);
  return rows;
}

describe("extractRows", () => {
  it("leaves out what nothing was left of: no leftovers, no misfits", () => {
    const rows = extracted(ordersMapping(false), { _id: "a", total: 2, items: [{ qty: 1 }, { qty: 2 }] });
    expect(rows.unmapped).toBeUndefined();
    expect(rows.misfits).toEqual([]);
    expect(rows.children[0]?.rows).toEqual([
      { order_id: "a", _ordinal: 0, qty: 1, _extra: null },
      { order_id: "a", _ordinal: 1, qty: 2, _extra: null },
    ]);
  });

  it("shapes the leftovers of an array's elements like the array: {} for the elements before and after the first with some", () => {
    const rows = extracted(ordersMapping(false), { _id: "a", items: [{ qty: 1 }, { qty: 2 }, { qty: 3, gift: true }, { qty: 4 }, { qty: 5, note: "x" }] });
    expect(rows.unmapped).toEqual({ items: [{}, {}, { gift: true }, {}, { note: "x" }] });
    expect(rows.children[0]?.rows.map((row) => row._extra)).toEqual([null, null, { gift: true }, null, { note: "x" }]);
  });

  it("gathers the misfits of the document and of every element, each kept in its catch-all column", () => {
    const mapping = ordersMapping(true);
    const rows = extracted(mapping, { _id: "a", total: "lots", items: [{ qty: 1 }, { qty: "two" }, { qty: "three" }] });
    expect(rows.misfits.map((misfit) => [misfit.table.table, misfit.column.path, misfit.value])).toEqual([
      ["orders", "total", "lots"],
      ["order_items", "qty", "two"],
      ["order_items", "qty", "three"],
    ]);
    expect(rows.row).toMatchObject({ id: "a", total: null, _extra: { total: "lots" } });
    expect(rows.children[0]?.rows.map((row) => row._extra)).toEqual([null, { qty: "two" }, { qty: "three" }]);
    // The documents before kept none: what is shared between them is not changed by another's misfits.
    expect(extracted(mapping, { _id: "b", total: 1, items: [{ qty: 1 }] }).misfits).toEqual([]);
  });
});

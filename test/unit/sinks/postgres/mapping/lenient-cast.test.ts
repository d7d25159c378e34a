import { Double, Int32 } from "bson";
import { describe, expect, it } from "vitest";
import { parseColumnType, type ColumnType } from "../../../../../src/sinks/postgres/mapping/column-type.js";
import { parseMapping } from "../../../../../src/sinks/postgres/mapping/load-mapping.js";
import { coerceValue } from "../../../../../src/sinks/postgres/mapping/value-coercion.js";

function lenient(sql: string): ColumnType {
  const type = parseColumnType(sql);
  if (!type) throw new Error(sql);
  return { ...type, cast: "lenient" };
}

const strict = (sql: string): ColumnType => ({ ...lenient(sql), cast: undefined });

describe('"cast": "lenient"', () => {
  it.each([
    ["integer", " 42 ", 42],
    ["integer", "-7", -7],
    ["integer", new Double(2.5), 3],
    ["integer", -2.5, -3],
    ["smallint", new Double(1.4), 1],
    ["bigint", "9223372036854775807", "9223372036854775807"],
    ["numeric(10,2)", " 12.50 ", "12.50"],
    ["numeric", "1e3", "1000"],
    ["numeric", "nan", "NaN"],
    ["double precision", "-inf", "-Infinity"],
    ["real", "1.5", 1.5],
    ["boolean", "yes", true],
    ["boolean", " T ", true],
    ["boolean", "of", false],
    ["boolean", "0", false],
    ["timestamptz", "2024-05-01", "2024-05-01T00:00:00.000Z"],
    ["timestamptz", "2024-05-01 12:30", "2024-05-01T12:30:00.000Z"],
    ["timestamptz", "2024-05-01T12:30:00.25+02:00", "2024-05-01T10:30:00.250Z"],
    ["timestamp", "2024-05-01T12:30:00+02:00", "2024-05-01T12:30:00.000Z"],
    ["date", "2024-05-01 23:59:59-05", "2024-05-01"],
    ["text", new Date("2024-05-01T12:00:00.500Z"), "2024-05-01 12:00:00.5"],
    ["text", new Date("2024-05-01T12:00:00Z"), "2024-05-01 12:00:00"],
    ["text", new Int32(5), "5"],
    ["uuid", "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
    ["integer[]", ["1", " 2"], [1, 2]],
  ])("%s takes %o as %o", (sql, value, expected) => {
    expect(coerceValue(value, lenient(sql))).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["integer", "12.0"],
    ["integer", "4e2"],
    ["integer", "3000000000"],
    ["numeric", "12,5"],
    ["boolean", "o"],
    ["boolean", "maybe"],
    ["timestamptz", "2024-02-30"],
    ["timestamptz", "01/05/2024"],
    ["date", "yesterday"],
    ["uuid", "a0eebc99"],
    ["integer", true],
  ])("%s still refuses %o", (sql, value) => {
    expect(coerceValue(value, lenient(sql)).ok).toBe(false);
  });

  it("is off by default: the strict conversions refuse the same strings", () => {
    for (const [sql, value] of [["integer", "42"], ["boolean", "yes"], ["timestamptz", "2024-05-01"], ["numeric", "1.5"]] as const) {
      expect(coerceValue(value, strict(sql)).ok).toBe(false);
    }
    expect(coerceValue(new Date("2024-05-01T12:00:00Z"), strict("text"))).toEqual({ ok: true, value: "2024-05-01T12:00:00.000Z" });
  });

  it("is set per field, per collection ($cast) or per file (top-level $cast), the nearest winning", () => {
    const file = {
      $cast: "lenient",
      shop: {
        orders: { pk: "id", _id: { dest: "id", type: "TEXT" }, qty: { dest: "qty", type: "INTEGER" }, paid: { dest: "paid", type: "BOOLEAN", cast: "strict" } },
        users: { pk: "id", $cast: "strict", _id: { dest: "id", type: "TEXT" }, age: { dest: "age", type: "INTEGER" }, born: { dest: "born", type: "DATE", cast: "lenient" } },
      },
    };
    const mapping = parseMapping("mappings.json", file, { defaultSchema: "public" });
    const casts = (ns: string): Record<string, unknown> => Object.fromEntries((mapping.collections.get(ns)?.columns ?? []).map((column) => [column.column, column.type.cast]));
    expect(casts("shop.orders")).toEqual({ id: "lenient", qty: "lenient", paid: undefined });
    expect(casts("shop.users")).toEqual({ id: undefined, age: undefined, born: "lenient" });
    expect(() => parseMapping("mappings.json", { $cast: "loose", shop: {} }, { defaultSchema: "public" })).toThrow(`"$cast" must be "strict" or "lenient", not "loose"`);
    expect(() => parseMapping("mappings.json", { shop: { orders: { pk: "id", _id: { dest: "id", type: "TEXT", cast: "loose" } } } }, { defaultSchema: "public" })).toThrow(/shop\.orders field "_id" "cast"/);
  });
});

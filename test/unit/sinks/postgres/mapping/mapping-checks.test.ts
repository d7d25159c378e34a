import { describe, expect, it } from "vitest";
import { parseMapping } from "../../../../../src/sinks/postgres/mapping/load-mapping.js";
import { validateConfig } from "../../../../../src/config/load-config.js";

const options = { defaultSchema: "public" };

function problemsOf(raw: unknown): string {
  try {
    parseMapping("mappings.json", raw, options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the mapping to be rejected");
}

const key = { pk: "id", _id: { dest: "id", type: "TEXT" } };

describe("mapping checks made before anything connects", () => {
  it("refuses a field mapped onto a column Tributary keeps itself", () => {
    expect(problemsOf({ shop: { orders: { ...key, when: { dest: "_synced_at", type: "TIMESTAMP" } } } })).toContain(
      'shop.orders: field "when": dest "_synced_at" is a column Tributary keeps itself (_cluster_time, _synced_at, _ordinal); choose another name',
    );
    expect(problemsOf({ shop: { orders: { ...key, ts: { dest: "_cluster_time", type: "TIMESTAMP" } } } })).toContain('field "ts": dest "_cluster_time" is a column Tributary keeps itself');
    expect(problemsOf({ shop: { orders: { ...key, $extra: "_synced_at" } } })).toContain('shop.orders: "$extra" "_synced_at" is a column Tributary keeps itself');
  });

  it("refuses a default that does not fit its column", () => {
    expect(problemsOf({ shop: { orders: { ...key, qty: { dest: "qty", type: "INT", default: "none" } } } })).toContain('shop.orders: field "qty": "default" "none" does not fit its column: a string ("none") where integer was mapped');
    expect(parseMapping("mappings.json", { shop: { orders: { ...key, qty: { dest: "qty", type: "INT", default: 0 }, note: { dest: "note", type: "TEXT", default: "" } } } }, options).collections.size).toBe(1);
  });

  it("refuses a mapping that maps nothing", () => {
    expect(problemsOf({})).toContain("it maps no collection");
    expect(problemsOf({ shop: {} })).toContain("it maps no collection");
  });
});

describe("target.tables", () => {
  it("refuses two collections written to one raw table", () => {
    const raw = { source: { uri: "mongodb://localhost/" }, target: { url: "postgres://localhost/db", tables: { "shop.orders": "orders", "legacy.orders": "orders" } } };
    expect(() => validateConfig(raw)).toThrow("Invalid configuration: target.tables.legacy.orders: maps to table orders, as shop.orders does; give each collection its own table");
  });
});

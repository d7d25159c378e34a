import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../../../src/core/error-codes.js";
import { parseMapping } from "../../../../../src/sinks/postgres/mapping/load-mapping.js";
import { leadMonitoringExample, postsExample } from "../../../../support/mapping-examples.js";

const options = { defaultSchema: "public" };

function problemsOf(raw: unknown): string {
  try {
    parseMapping("mappings.json", raw, options);
  } catch (error) {
    expect(error).toMatchObject({ code: ErrorCode.MappingInvalid });
    return (error as Error).message;
  }
  throw new Error("expected the mapping to be rejected");
}

describe("parseMapping", () => {
  it("compiles the flattening example: typed columns, nested path, indices, catch-all column", () => {
    const mapping = parseMapping("mappings.json", leadMonitoringExample, options);
    const table = mapping.collections.get("my_mongo_database.my_mongo_collection");
    expect(table).toMatchObject({
      schema: "public",
      table: "my_mongo_collection",
      pk: { column: "id", generated: false, type: { sql: "text" } },
      extraColumn: "_extra",
      indices: leadMonitoringExample.my_mongo_database.my_mongo_collection.indices,
    });
    expect(table?.columns.map((c) => [c.path, c.column, c.type.sql])).toEqual([
      ["_id", "id", "text"],
      ["description", "description", "text"],
      ["enable", "enabled", "boolean"],
      ["myobject.subproperty", "subproperty", "text"],
    ]);
  });

  it("compiles the array example: comments become a child table with a generated key, not a collection", () => {
    const mapping = parseMapping("mappings.json", postsExample, options);
    expect([...mapping.collections.keys()]).toEqual(["my_mongo_database.posts"]);
    const [child] = mapping.collections.get("my_mongo_database.posts")?.children ?? [];
    expect(child).toMatchObject({ path: "comments", fkColumn: "post_id", fkType: { sql: "text" } });
    expect(child?.table).toMatchObject({ table: "comments", pk: { column: "id", generated: true } });
    expect(child?.table.columns.map((c) => c.column)).toEqual(["user", "comment"]);
  });

  it("takes the extensions: table and schema names, arrays of scalars, jsonb, defaults, no catch-all", () => {
    const mapping = parseMapping(
      "mappings.yml",
      {
        shop: {
          orders: {
            pk: "id",
            $table: "Orders",
            $schema: "sales",
            $extra: false,
            _id: { dest: "id", type: "TEXT" },
            tags: { dest: "tags", type: "TEXT[]" },
            address: { dest: "address", type: "JSONB" },
            status: { dest: "status", type: "varchar(20)", default: "new" },
            lines: { dest: "order_lines", type: "_ARRAY", fk: "order_id" },
            skus: { dest: "order_skus", type: "_ARRAY", fk: "order_id" },
          },
          order_lines: { pk: "line_id", sku: { dest: "sku", type: "TEXT" }, qty: { dest: "qty", type: "INTEGER" } },
          order_skus: { pk: "id", $value: { dest: "sku", type: "TEXT" } },
        },
      },
      options,
    );
    const orders = mapping.collections.get("shop.orders");
    expect(orders).toMatchObject({ schema: "sales", table: "Orders" });
    expect(orders?.extraColumn).toBeUndefined();
    expect(orders?.columns.map((c) => [c.column, c.type.sql, c.default])).toEqual([
      ["id", "text", undefined],
      ["tags", "text[]", undefined],
      ["address", "jsonb", undefined],
      ["status", "varchar(20)", "new"],
    ]);
    expect(orders?.children.map((c) => [c.table.table, c.fkColumn, c.fkType.sql, c.table.pk.generated])).toEqual([
      ["order_lines", "order_id", "text", true],
      ["order_skus", "order_id", "text", true],
    ]);
  });

  it("reports every problem at once, naming the file, collection and field", () => {
    const message = problemsOf({
      shop: {
        orders: {
          _id: { dest: "id", type: "TEXT" },
          price: { dest: "price", type: "MONEYY" },
          lines: { dest: "order_lines", type: "_ARRAY" },
          items: { dest: "nowhere", type: "_ARRAY", fk: "order_id" },
        },
        users: {
          pk: "id",
          _id: { dest: "uid", type: "TEXT" },
          address: { dest: "address", type: "JSONB" },
          "address.city": { dest: "city", type: "TEXT" },
          name: { dest: "city", type: "TEXT" },
        },
        codes: { pk: "code", _id: { dest: "id", type: "TEXT" }, code: { dest: "code", type: "TEXT" } },
        order_lines: { pk: "id" },
      },
    });
    expect(message.split("; ")).toEqual([
      "Invalid mapping in mappings.json: shop.orders: field \"price\": unknown type \"MONEYY\" (known: " +
        "text, varchar(n) (character varying), char(n) (character), smallint (int2), integer (int, int4), " +
        "bigint (int8), numeric(p,s) (decimal, with (p,s) or (p) optional), real (float4), " +
        "double precision (float8, float), boolean (bool), timestamptz (timestamp with time zone), " +
        "timestamp (timestamp without time zone), date, jsonb, json, uuid, bytea, each also as an array like \"TEXT[]\", and \"_ARRAY\" for a child table)",
      'shop.orders: field "lines": type "_ARRAY" needs "fk", the column of "order_lines" that holds this document\'s key',
      'shop.orders: field "items": "dest": "nowhere" names no mapping in database shop (add an entry "nowhere" describing the rows of this array)',
      'shop.orders: missing "pk": name the column that is the table\'s primary key (e.g. "pk": "id" with "_id": {"dest": "id", "type": "TEXT"})',
      'shop.users: field "address.city" collides with field "address": a path cannot be mapped both whole and in parts',
      'shop.users: column "city" is the dest of more than one field',
      'shop.users: "pk" "id" is not the dest of any field (map the document key to it, e.g. "_id": {"dest": "id", "type": "TEXT"})',
      'shop.codes: "pk" "code" is mapped from "code", but it must be mapped from "_id", the only field a delete carries',
    ]);
  });

  it("reports a malformed entry by its place in the file", () => {
    expect(problemsOf({ crm: { leads: { pk: 5, x: { dest: "x" }, y: "TEXT" } } })).toBe(
      'Invalid mapping in mappings.json: crm.leads "pk" must be a string; crm.leads field "x" "type" is required; crm.leads field "y" must be an object like {"dest": …, "type": …}',
    );
  });

  it("rejects two collections mapped to one table", () => {
    expect(
      problemsOf({ a: { x: { pk: "id", _id: { dest: "id", type: "TEXT" } } }, b: { x: { pk: "id", _id: { dest: "id", type: "TEXT" } } } }),
    ).toBe('Invalid mapping in mappings.json: b.x and a.x both map to table public.x (give one of them its own "$table")');
  });
});

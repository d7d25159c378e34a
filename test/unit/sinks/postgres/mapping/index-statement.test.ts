import { describe, expect, it } from "vitest";
import { parseMapping } from "../../../../../src/sinks/postgres/mapping/load-mapping.js";
import { createStatements } from "../../../../../src/sinks/postgres/relational/relational-ddl.js";

/** The optional statements (the indices) of the one collection of a mapping file. */
function indexStatements(entries: Record<string, unknown>, defaultSchema = "public"): string[] {
  const mapping = parseMapping("mappings.json", { shop: entries }, { defaultSchema });
  const [table] = [...mapping.collections.values()];
  if (!table) throw new Error("no collection");
  return createStatements(table).optional;
}

const orders = (indices: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  orders: { pk: "id", indices, _id: { dest: "id", type: "TEXT" }, status: { dest: "status", type: "TEXT" }, ...extra },
});

describe("indices of a mapping", () => {
  it("qualify a table named without a schema with the entry's $schema, and add IF NOT EXISTS", () => {
    expect(indexStatements(orders(["UNIQUE INDEX status_idx ON orders(status)"], { $schema: "sales" }))).toEqual([
      'CREATE UNIQUE INDEX IF NOT EXISTS status_idx ON "sales"."orders"(status)',
    ]);
  });

  it("qualify with --schema when the entry names none", () => {
    expect(indexStatements(orders(["INDEX status_idx ON orders USING btree (status)"]), "analytics")).toEqual([
      'CREATE INDEX IF NOT EXISTS status_idx ON "analytics"."orders" USING btree (status)',
    ]);
  });

  it("find the mapping's table whatever the case the index spells it in (PostgreSQL would fold it)", () => {
    expect(indexStatements({ LeadMonitoring: { pk: "id", indices: ["UNIQUE INDEX category_idx ON LeadMonitoring(category)"], _id: { dest: "id", type: "TEXT" }, category: { dest: "category", type: "TEXT" } } })).toEqual([
      'CREATE UNIQUE INDEX IF NOT EXISTS category_idx ON "public"."LeadMonitoring"(category)',
    ]);
  });

  it("leave a schema the index gives, a quoted name, IF NOT EXISTS and ONLY as written", () => {
    expect(
      indexStatements(
        orders(['INDEX IF NOT EXISTS a_idx ON other.orders (status)', 'INDEX b_idx ON ONLY "orders" (status)', "index on orders (lower(status))"], { $schema: "sales" }),
      ),
    ).toEqual(['CREATE INDEX IF NOT EXISTS a_idx ON other.orders (status)', 'CREATE INDEX IF NOT EXISTS b_idx ON ONLY "sales"."orders" (status)', 'CREATE index IF NOT EXISTS on "sales"."orders" (lower(status))']);
  });

  it("create the indices listed in a child table's entry, on the child table", () => {
    const statements = indexStatements(
      {
        posts: { pk: "id", $schema: "blog", _id: { dest: "id", type: "TEXT" }, comments: { dest: "comments", type: "_ARRAY", fk: "post_id" } },
        comments: { pk: "id", $schema: "blog", indices: ["INDEX comments_user_idx ON comments(author)"], post_id: { dest: "post_id", type: "TEXT" }, author: { dest: "author", type: "TEXT" } },
      },
    );
    expect(statements).toEqual(['CREATE INDEX IF NOT EXISTS comments_user_idx ON "blog"."comments"(author)']);
  });
});

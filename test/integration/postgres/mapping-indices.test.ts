import { ObjectId } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const open: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_mapping_indices");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS sales CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

describe("a mapping's indices with $schema", () => {
  it("land on the mapping's tables in that schema, the child table's included", async () => {
    const mapping = parseMapping(
      "mappings.json",
      {
        shop: {
          Orders: {
            pk: "id",
            $schema: "sales",
            indices: ["UNIQUE INDEX orders_ref_idx ON Orders(ref)"],
            _id: { dest: "id", type: "TEXT" },
            ref: { dest: "ref", type: "TEXT" },
            lines: { dest: "lines", type: "_ARRAY", fk: "order_id" },
          },
          lines: { pk: "id", $schema: "sales", indices: ["INDEX lines_sku_idx ON lines(sku)"], order_id: { dest: "order_id", type: "TEXT" }, sku: { dest: "sku", type: "TEXT" } },
        },
      },
      { defaultSchema: "public" },
    );
    const sink = makeSink(url, { mapping });
    open.push(sink);
    await sink.open();
    const id = new ObjectId();
    const event = makeEvent({ op: "insert", ns: "shop.Orders", id, doc: { _id: id, ref: "A-1", lines: [{ sku: "x" }] } });
    await sink.apply({ events: [event], position: event.position });
    const indexes = await query<{ schemaname: string; tablename: string; indexname: string }>(
      url,
      "SELECT schemaname, tablename, indexname FROM pg_indexes WHERE indexname IN ('orders_ref_idx', 'lines_sku_idx') ORDER BY indexname",
    );
    expect(indexes).toEqual([
      { schemaname: "sales", tablename: "lines", indexname: "lines_sku_idx" },
      { schemaname: "sales", tablename: "Orders", indexname: "orders_ref_idx" },
    ]);
  });
});

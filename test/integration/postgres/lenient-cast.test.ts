import { Double } from "mongodb";
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
  url = await createDatabase(postgresUrl(), "sink_lenient_cast");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

const COLUMNS = { qty: "INTEGER", price: "NUMERIC(10,2)", ratio: "DOUBLE PRECISION", active: "BOOLEAN", at: "TIMESTAMPTZ", local: "TIMESTAMP", day: "DATE", ref: "UUID", label: "TEXT" };

const mapping = {
  $cast: "lenient",
  shop: { items: { pk: "id", _id: { dest: "id", type: "TEXT" }, ...Object.fromEntries(Object.entries(COLUMNS).map(([name, type]) => [name, { dest: name, type }])) } },
};

/** Each field as mongo-connector-postgresql sent it: psycopg2's literal for the Python value. */
const cases: { doc: Record<string, unknown>; literals: Record<string, string> }[] = [
  {
    doc: { qty: " 42 ", price: "12.5", ratio: "1e-3", active: "yes", at: "2024-05-01 12:30:00+02", local: "2024-05-01T12:30:00.25", day: "2024-05-01", ref: "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", label: new Date("2024-05-01T12:00:00.5Z") },
    literals: { qty: "' 42 '", price: "'12.5'", ratio: "'1e-3'", active: "'yes'", at: "'2024-05-01 12:30:00+02'", local: "'2024-05-01T12:30:00.25'", day: "'2024-05-01'", ref: "'{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}'", label: "'2024-05-01T12:00:00.500000'::timestamp" },
  },
  {
    doc: { qty: new Double(2.5), price: " -0.125 ", ratio: "-Infinity", active: "F", at: "2024-05-01", local: "2024-05-01 23:00:00-05:00", day: "2024-05-01 10:00", ref: "a0eebc999c0b4ef8bb6d6bb9bd380a11", label: 7 },
    literals: { qty: "2.5", price: "' -0.125 '", ratio: "'-Infinity'", active: "'F'", at: "'2024-05-01'", local: "'2024-05-01 23:00:00-05:00'", day: "'2024-05-01 10:00'", ref: "'a0eebc999c0b4ef8bb6d6bb9bd380a11'", label: "7" },
  },
];

describe('"cast": "lenient" against real PostgreSQL', () => {
  it("writes what mongo-connector-postgresql's literals gave, and sets aside a value PostgreSQL would refuse", async () => {
    const sink = makeSink(url, { mapping: parseMapping("mappings.json", mapping, { defaultSchema: "public" }) });
    open.push(sink);
    await sink.open();
    const events = cases.map((each, index) => makeEvent({ op: "insert", ns: "shop.items", id: `i${index}`, doc: { _id: `i${index}`, ...each.doc } }));
    const bad = makeEvent({ op: "insert", ns: "shop.items", id: "bad", doc: { _id: "bad", qty: "twelve" } });
    await sink.apply({ events: [...events, bad], position: bad.position });

    const names = Object.keys(COLUMNS);
    await query(url, `CREATE TABLE items_mc (id text PRIMARY KEY, ${Object.entries(COLUMNS).map(([name, type]) => `${name} ${type}`).join(", ")})`);
    for (const [index, each] of cases.entries()) {
      await query(url, `SET TIME ZONE 'UTC'; INSERT INTO items_mc (id, ${names.join(", ")}) VALUES ('i${index}', ${names.map((name) => each.literals[name]).join(", ")})`);
    }
    const asText = names.map((name) => (name === "at" ? `(at AT TIME ZONE 'UTC')::text AS at` : `${name}::text`)).join(", ");
    const written = await query(url, `SELECT id, ${asText} FROM public.items WHERE id <> 'bad' ORDER BY id`);
    const expected = await query(url, `SELECT id, ${asText} FROM items_mc ORDER BY id`);
    expect(expected).toHaveLength(cases.length);
    expect(written).toEqual(expected);
    expect(await query(url, "SELECT key, field, reason FROM tributary.dead_letters")).toEqual([{ key: "bad", field: "qty", reason: 'a string ("twelve") where integer was mapped' }]);
  });
});

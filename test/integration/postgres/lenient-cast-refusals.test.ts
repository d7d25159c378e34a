import pg from "pg";
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
  url = await createDatabase(postgresUrl(), "sink_lenient_refusals");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

/**
 * Strings near the edge of what PostgreSQL's input functions read. With "cast": "lenient", each
 * must be written as PostgreSQL reads the string (mongo-connector-postgresql sent it as an untyped
 * literal) or set aside as a dead letter: never written as another value, nor written where
 * PostgreSQL refuses it. (Fractions of a second beyond milliseconds are rounded, as mapping.md
 * says, so they are left out here.)
 */
const EDGES: { type: string; value: string }[] = [
  { type: "INTEGER", value: "42\u00a0" },
  { type: "INTEGER", value: "\u200342" },
  { type: "NUMERIC", value: "12.5\u00a0" },
  { type: "BOOLEAN", value: "\u00a0yes" },
  { type: "UUID", value: " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" },
  { type: "UUID", value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t" },
  { type: "TIMESTAMPTZ", value: "2024-05-01T12:00:00+16:00" },
  { type: "TIMESTAMPTZ", value: "2024-05-01T12:00:00+05:60" },
  { type: "TIMESTAMP", value: "2024-05-01T12:00:00-99:00" },
  { type: "DATE", value: "2024-05-01 10:00+16" },
  { type: "DATE", value: "2024-05-01\u00a0" },
  { type: "TIMESTAMPTZ", value: "2024-05-01T12:00:00.5+02:00" },
  { type: "INTEGER", value: " -7 " },
];

/** What PostgreSQL makes of the string as an untyped literal (as text, in UTC), or `undefined` when it refuses it. */
async function asPostgresReadsIt(client: pg.Client, type: string, value: string): Promise<string | undefined> {
  try {
    const { rows } = await client.query<{ v: string }>(`SELECT ($1::text)::${type}::text AS v`, [value]);
    return rows[0]?.v;
  } catch {
    return undefined;
  }
}

describe('"cast": "lenient" at the edges of what PostgreSQL reads', () => {
  it("writes a string as PostgreSQL reads it, or sets it aside; never a value PostgreSQL refuses or would store otherwise", async () => {
    const columns = EDGES.map((edge, index) => [`c${index}`, edge] as const);
    const mapping = parseMapping(
      "mappings.json",
      { $cast: "lenient", shop: { items: { pk: "id", _id: { dest: "id", type: "TEXT" }, ...Object.fromEntries(columns.map(([name, edge]) => [name, { dest: name, type: edge.type }])) } } },
      { defaultSchema: "public" },
    );
    const sink = makeSink(url, { mapping });
    open.push(sink);
    await sink.open();
    // One document per value, so that each is written or set aside on its own.
    const events = columns.map(([name, edge]) => makeEvent({ op: "insert", ns: "shop.items", id: name, doc: { _id: name, [name]: edge.value } }));
    await sink.apply({ events, position: events.at(-1)!.position });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    try {
      await client.query("SET TIME ZONE 'UTC'");
      const dead = new Set((await client.query<{ key: string }>("SELECT key FROM tributary.dead_letters")).rows.map((row) => row.key));
      for (const [name, edge] of columns) {
        const { rows } = await client.query<{ v: string | null }>(`SELECT ${name}::text AS v FROM public.items WHERE id = $1`, [name]);
        const outcome = dead.has(name) ? "dead letter" : String(rows[0]?.v);
        const postgres = await asPostgresReadsIt(client, edge.type, edge.value);
        const label = `${edge.type} ${JSON.stringify(edge.value)}`;
        outcomes[label] = outcome;
        expected[label] = outcome === "dead letter" ? "dead letter" : (postgres ?? "dead letter (PostgreSQL refuses it)");
      }
    } finally {
      await client.end();
    }
    expect(outcomes).toEqual(expected);
    // Not all set aside: what PostgreSQL reads is written.
    expect(outcomes).toMatchObject({ 'INTEGER " -7 "': "-7", 'TIMESTAMPTZ "2024-05-01T12:00:00.5+02:00"': "2024-05-01 10:00:00.5+00" });
  });
});

// Proves that parameters written in as literals (StatementQueue, the one-round-trip path of
// the sink) reach PostgreSQL as the same values as when node-postgres sends them as parameters,
// and that its prepared statements survive what a connection can do to them.

import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inlineParameters, StatementQueue } from "../../../src/sinks/postgres/statement-queue.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

const TRICKY = `it's a "quote", a \\ backslash, \\N, a tab\\t, $1 and é 😀`;

describe("inlineParameters against PostgreSQL", () => {
  it.each<[string, unknown, string]>([
    ["text", TRICKY, "text"],
    ["JSON text with escapes", JSON.stringify({ a: TRICKY, b: [1, null] }), "jsonb"],
    ["an array of texts", ["a", 'b"c', "d\\e", null, "it's", "", "{x,y}"], "text[]"],
    ["an array of numbers", [1, -2.5, 3], "numeric[]"],
    ["a date", new Date("2024-02-29T12:34:56.789Z"), "timestamptz"],
    ["null", null, "text"],
    ["a number", 42, "bigint"],
  ])("reads %s as a parameter would be read", async (_label, value, type) => {
    const sql = `SELECT ($1::${type})::text AS value`;
    const inlined = await query<{ value: string | null }>(postgresUrl(), inlineParameters(sql, [value]));
    expect(inlined).toEqual(await query(postgresUrl(), sql, [value]));
  });
});

describe("StatementQueue on one connection", () => {
  let client: pg.Client;
  let table: string;
  let next = 0;

  beforeEach(async () => {
    table = `public.queue_${Date.now()}_${next++}`;
    client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, doc jsonb NOT NULL)`);
  });

  afterEach(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  /** Queues BEGIN, one upsert per id, COMMIT, and sends them. */
  async function upsert(ids: readonly number[]): Promise<void> {
    const queue = new StatementQueue();
    queue.add("BEGIN");
    for (const id of ids) queue.add(`INSERT INTO ${table} (id, doc) SELECT $1::int, $2::jsonb ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, [id, { id, tab: "a\tb", quote: "it's" }]);
    queue.add("COMMIT");
    await queue.send(client);
  }

  async function prepared(): Promise<string[]> {
    return (await client.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements ORDER BY name")).rows.map((row) => row.statement);
  }

  async function ids(): Promise<number[]> {
    return (await client.query<{ id: number; doc: { quote: string } }>(`SELECT id, doc FROM ${table} ORDER BY id`)).rows.map((row) => (row.doc.quote === "it's" ? row.id : -1));
  }

  it("prepares a statement with parameters once, then executes it", async () => {
    await upsert([1]);
    await upsert([2, 3]);
    expect(await prepared()).toEqual([expect.stringMatching(new RegExp(`PREPARE tributary_[0-9a-f]{24} AS INSERT INTO ${table} `))]);
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it("prepares a statement from its own text, so that each EXECUTE does not copy the values of the send that prepared it", async () => {
    // PostgreSQL keeps the whole query message a PREPARE came in as the statement's source and
    // copies it on every EXECUTE (prepare.c: PrepareQuery, ExecuteQuery): a first send of 100
    // changes made every later change pay for copying its literals.
    await upsert(Array.from({ length: 100 }, (_, i) => i + 1));
    const [source] = await prepared();
    expect(source).toMatch(new RegExp(`^PREPARE tributary_[0-9a-f]{24} AS INSERT INTO ${table} \\(id, doc\\) SELECT \\$1::int, \\$2::jsonb ON CONFLICT \\(id\\) DO UPDATE SET doc = EXCLUDED.doc$`));
    await upsert([101]);
    expect(await prepared()).toEqual([source]);
    expect(await ids()).toHaveLength(101);
  });

  it("prepares a statement that names a column added in the same send by the next send that has it", async () => {
    const insert = `INSERT INTO ${table} (id, doc, note) SELECT $1::int, $2::jsonb, $3::text`;
    const queue = new StatementQueue();
    queue.add("BEGIN");
    queue.add(`INSERT INTO ${table} (id, doc) SELECT $1::int, $2::jsonb`, [1, { quote: "it's" }]);
    queue.add(`ALTER TABLE ${table} ADD COLUMN note text`);
    queue.add(insert, [2, { quote: "it's" }, "added"]);
    queue.add("COMMIT");
    await queue.send(client);
    expect(await prepared()).toHaveLength(1);
    const next = new StatementQueue();
    next.add(insert, [3, { quote: "it's" }, "again"]);
    await next.send(client);
    expect(await prepared()).toEqual(expect.arrayContaining([expect.stringContaining(insert)]));
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it("writes the literals in when the server lost its prepared statements (a pooler gave it another connection)", async () => {
    await upsert([1]);
    await client.query("DEALLOCATE ALL");
    await upsert([2]);
    await upsert([3]);
    expect(await ids()).toEqual([1, 2, 3]);
    expect(await prepared()).toEqual([]);
  });

  it("writes the literals in when the server already has a statement of that name", async () => {
    await upsert([1]);
    const [name] = (await client.query<{ name: string }>("SELECT name FROM pg_prepared_statements")).rows.map((row) => row.name);
    const other = new pg.Client({ connectionString: postgresUrl() });
    await other.connect();
    try {
      await other.query(`PREPARE ${name} AS SELECT 1`);
      const queue = new StatementQueue();
      queue.add("BEGIN");
      queue.add(`INSERT INTO ${table} (id, doc) SELECT $1::int, $2::jsonb ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, [2, { quote: "it's" }]);
      queue.add("COMMIT");
      await queue.send(other);
    } finally {
      await other.end();
    }
    expect(await ids()).toEqual([1, 2]);
  });

  it("never executes a statement another client prepared on the server connection a pooler gave it", async () => {
    const second = new pg.Client({ connectionString: postgresUrl() });
    await second.connect();
    const others = `${table}_other`;
    await client.query(`CREATE TABLE ${others} (id int PRIMARY KEY, doc jsonb NOT NULL)`);
    try {
      // Two sessions of a transaction-mode pooler: each transaction goes to whichever server connection is free.
      let server: pg.Client = client;
      const session = (): pg.ClientBase => ({ query: (text: string) => server.query(text) }) as unknown as pg.ClientBase;
      const [x, y] = [session(), session()];
      const send = async (on: pg.ClientBase, into: string, id: number): Promise<void> => {
        const queue = new StatementQueue();
        queue.add("BEGIN");
        queue.add(`INSERT INTO ${into} (id, doc) SELECT $1::int, $2::jsonb ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, [id, { quote: "it's" }]);
        queue.add("COMMIT");
        await queue.send(on);
      };
      await send(x, table, 1);
      server = second;
      await send(y, others, 2);
      await send(x, table, 3);
      expect(await ids()).toEqual([1, 3]);
      expect((await client.query(`SELECT id FROM ${others}`)).rows).toEqual([{ id: 2 }]);
    } finally {
      await client.query(`DROP TABLE ${others}`);
      await second.end();
    }
  });

  it("writes the literals in for a statement whose parameter has no type PostgreSQL can tell", async () => {
    const queue = new StatementQueue();
    queue.add("BEGIN");
    queue.add(`INSERT INTO ${table} (id, doc) SELECT 7, '{"quote": "it''s"}' WHERE $1 IS NOT NULL`, ["untyped"]);
    queue.add("COMMIT");
    await queue.send(client);
    expect(await ids()).toEqual([7]);
  });

  it("keeps its prepared statements after a send that failed part-way", async () => {
    const failing = new StatementQueue();
    failing.add("BEGIN");
    failing.add(`INSERT INTO ${table} (id, doc) SELECT $1::int, $2::jsonb ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, [1, {}]);
    failing.add("SELECT 1 / $1::int", [0]);
    failing.add("COMMIT");
    await expect(failing.send(client)).rejects.toMatchObject({ code: "22012" });
    await client.query("ROLLBACK");
    const before = await prepared();
    expect(before).toHaveLength(2);
    await upsert([4]);
    await upsert([5]);
    expect(await ids()).toEqual([4, 5]);
    expect(await prepared()).toEqual(before);
  });

  it("starts over after a message of PREPAREs that failed part-way", async () => {
    const failing = new StatementQueue();
    failing.add("BEGIN");
    failing.add(`INSERT INTO ${table} (id, doc) SELECT $1::int, $2::jsonb ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, [1, {}]);
    failing.add(`SELECT * FROM ${table}_missing WHERE id = $1::int`, [0]);
    failing.add("COMMIT");
    await expect(failing.send(client)).rejects.toMatchObject({ code: "42P01" });
    expect(await prepared()).toHaveLength(1);
    await upsert([4]);
    await upsert([5]);
    expect(await ids()).toEqual([4, 5]);
    expect(await prepared()).toHaveLength(1);
  });
});

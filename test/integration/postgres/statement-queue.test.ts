// Proves that parameters written in as literals (StatementQueue, the one-round-trip path of
// the sink) reach PostgreSQL as the same values as when node-postgres sends them as parameters,
// and that its prepared statements survive what a connection can do to them.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ExtendedBatch } from "../../../src/sinks/postgres/extended-batch.js";
import { inlineParameters, MAX_PREPARED, StatementQueue } from "../../../src/sinks/postgres/statement-queue.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

const EXIT_WORKER = fileURLToPath(new URL("../../support/statement-queue-exit-worker.ts", import.meta.url));

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

  /** The statement every test upserts with. */
  const upsertText = (): string => `INSERT INTO ${table} (id, doc) SELECT $1::int, $2::jsonb ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`;

  /** Queues one upsert per id and sends them: one transaction, as a small batch is. */
  async function upsert(ids: readonly number[]): Promise<void> {
    const queue = new StatementQueue();
    for (const id of ids) queue.add(upsertText(), [id, { id, tab: "a\tb", quote: "it's" }]);
    await queue.send(client);
  }

  /** Every message `work` sends through the connection: a query's text, or a batch's statements as `EXECUTE name` (a prepared one) and texts, joined as a query's. */
  async function messagesOf(work: () => Promise<void>): Promise<string[]> {
    const sent: string[] = [];
    const render = (message: unknown): string =>
      message instanceof ExtendedBatch
        ? message.statements.map((statement) => ("prepare" in statement ? `PREPARE ${statement.prepare} AS ${statement.text}` : "text" in statement ? statement.text : `EXECUTE ${statement.prepared}`)).join(";\n")
        : String(message);
    const query = client.query.bind(client) as (message: unknown) => unknown;
    const spy = vi.spyOn(client, "query").mockImplementation(((message: unknown) => (sent.push(render(message)), query(message))) as never);
    try {
      await work();
    } finally {
      spy.mockRestore();
    }
    return sent;
  }

  async function prepared(): Promise<string[]> {
    // Prepared by a Parse of the protocol, a statement's text is its own: shown here as SQL's PREPARE would show it.
    return (await client.query<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements ORDER BY statement")).rows.map((row) => `PREPARE ${row.name} AS ${row.statement}`);
  }

  async function ids(): Promise<number[]> {
    return (await client.query<{ id: number; doc: { quote: string } }>(`SELECT id, doc FROM ${table} ORDER BY id`)).rows.map((row) => (row.doc.quote === "it's" ? row.id : -1));
  }

  it("prepares a statement with parameters once, in a message of its own, then executes it by name", async () => {
    const sent = await messagesOf(async () => {
      await upsert([1]);
      await upsert([2, 3]);
    });
    const [prepare, first, second, ...more] = sent;
    const name = /^PREPARE (tributary_[0-9a-f]{24}) AS /.exec(prepare ?? "")?.[1];
    expect(prepare).toBe(`PREPARE ${name} AS ${upsertText()}`);
    expect(first?.split(";\n")).toEqual([`EXECUTE ${name}`]);
    expect(second?.split(";\n")).toEqual([`EXECUTE ${name}`, `EXECUTE ${name}`]);
    expect(more).toEqual([]);
    expect(await prepared()).toEqual([prepare]);
    // By a Parse of the protocol, not SQL's PREPARE: a pooler that keeps prepared statements (PgBouncer 1.21+) knows only those.
    expect((await client.query("SELECT bool_or(from_sql) AS sql FROM pg_prepared_statements")).rows).toEqual([{ sql: false }]);
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it("prepares each statement from its own text, so that an EXECUTE does not copy the values of the send that prepared it", async () => {
    // PostgreSQL keeps the whole query message a PREPARE came in as the statement's source and
    // copies it on every EXECUTE (prepare.c: PrepareQuery, ExecuteQuery): a first send of 100
    // changes made every later change pay for copying its literals.
    const queue = new StatementQueue();
    for (let id = 1; id <= 100; id += 1) queue.add(upsertText(), [id, { id, quote: "it's" }]);
    queue.add(`DELETE FROM ${table} WHERE id = ANY($1::int[])`, [[100]]);
    await queue.send(client);
    expect(await prepared()).toEqual([
      expect.stringMatching(new RegExp(`^PREPARE tributary_[0-9a-f]{24} AS DELETE FROM ${table} WHERE id = ANY\\(\\$1::int\\[\\]\\)$`)),
      expect.stringMatching(new RegExp(`^PREPARE tributary_[0-9a-f]{24} AS INSERT INTO ${table} \\(id, doc\\) SELECT \\$1::int, \\$2::jsonb ON CONFLICT \\(id\\) DO UPDATE SET doc = EXCLUDED.doc$`)),
    ]);
    expect(await ids()).toHaveLength(99);
  });

  it("prepares a statement that names a column added in the same send by the next send that has it", async () => {
    const insert = `INSERT INTO ${table} (id, doc, note) SELECT $1::int, $2::jsonb, $3::text`;
    const queue = new StatementQueue();
    queue.add(`INSERT INTO ${table} (id, doc) SELECT $1::int, $2::jsonb`, [1, { quote: "it's" }]);
    queue.add(`ALTER TABLE ${table} ADD COLUMN note text`);
    queue.add(insert, [2, { quote: "it's" }, "added"]);
    await queue.send(client);
    expect(await prepared()).toHaveLength(1);
    const next = new StatementQueue();
    next.add(insert, [3, { quote: "it's" }, "again"]);
    await next.send(client);
    expect(await prepared()).toEqual(expect.arrayContaining([`PREPARE ${/tributary_[0-9a-f]{24}/.exec((await prepared()).find((text) => text.endsWith(insert)) ?? "")?.[0]} AS ${insert}`]));
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it("deallocates its statements and starts over when it would keep more than it may", async () => {
    const queue = new StatementQueue();
    for (let k = 0; k < MAX_PREPARED; k += 1) queue.add(`SELECT $1::int + ${k}`, [k]);
    await queue.send(client);
    expect(await prepared()).toHaveLength(MAX_PREPARED);
    await upsert([1]);
    expect(await prepared()).toEqual([`PREPARE ${/tributary_[0-9a-f]{24}/.exec((await prepared())[0] ?? "")?.[0]} AS ${upsertText()}`]);
    expect(await ids()).toEqual([1]);
  });

  it("writes the literals in, from then on, when the server lost its prepared statements (a pooler gave it another connection)", async () => {
    await upsert([1]);
    await client.query("DEALLOCATE ALL");
    await upsert([2]);
    // One simple-protocol query of the statements: one transaction too, with no BEGIN or COMMIT.
    expect(await messagesOf(() => upsert([3]))).toEqual([expect.stringMatching(/^INSERT INTO .* SELECT '3'::int, [^;]*$/)]);
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
      queue.add(upsertText(), [2, { quote: "it's" }]);
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
      const session = (): pg.ClientBase => ({ query: (text: string) => server.query(text), getTransactionStatus: () => server.getTransactionStatus() }) as unknown as pg.ClientBase;
      const [x, y] = [session(), session()];
      const send = async (on: pg.ClientBase, into: string, id: number): Promise<void> => {
        const queue = new StatementQueue();
        queue.add(`INSERT INTO ${into} (id, doc) SELECT $1::int, $2::jsonb ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, [id, { quote: "it's" }]);
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

  it("writes the literals in for a statement whose parameter has no type PostgreSQL can tell, and prepares the others", async () => {
    const queue = new StatementQueue();
    queue.add(`INSERT INTO ${table} (id, doc) SELECT 7, '{"quote": "it''s"}' WHERE $1 IS NOT NULL`, ["untyped"]);
    queue.add(upsertText(), [8, { quote: "it's" }]);
    await queue.send(client);
    expect(await ids()).toEqual([7, 8]);
    expect(await prepared()).toEqual([expect.stringContaining(upsertText())]);
  });

  it("keeps its prepared statements after a send that failed", async () => {
    const failing = new StatementQueue();
    failing.add(upsertText(), [1, {}]);
    failing.add("SELECT 1 / $1::int", [0]);
    await expect(failing.send(client)).rejects.toMatchObject({ code: "22012" });
    const before = await prepared();
    expect(before).toHaveLength(2);
    const sent = await messagesOf(async () => {
      await upsert([4]);
      await upsert([5]);
    });
    expect(sent).toEqual([expect.stringMatching(/^EXECUTE tributary_/), expect.stringMatching(/^EXECUTE tributary_/)]);
    expect(await ids()).toEqual([4, 5]);
    expect(await prepared()).toEqual(before);
  });

  it("keeps the statements it prepared before one that PostgreSQL refused", async () => {
    const failing = new StatementQueue();
    failing.add(upsertText(), [1, {}]);
    failing.add(`SELECT * FROM ${table}_missing WHERE id = $1::int`, [0]);
    await expect(failing.send(client)).rejects.toMatchObject({ code: "42P01" });
    const before = await prepared();
    expect(before).toEqual([expect.stringContaining(upsertText())]);
    expect(await messagesOf(() => upsert([4]))).toEqual([expect.stringMatching(/^EXECUTE tributary_/)]);
    expect(await ids()).toEqual([4]);
    expect(await prepared()).toEqual(before);
  });

  it("commits a queue whole or not at all, and leaves the connection ready for the next query, outside any transaction, either way", async () => {
    const failing = new StatementQueue();
    failing.add(upsertText(), [1, { quote: "it's" }]);
    failing.add("SELECT 1 / $1::int", [0]);
    failing.add(upsertText(), [2, { quote: "it's" }]);
    await expect(failing.send(client)).rejects.toMatchObject({ code: "22012" });
    expect(await ids()).toEqual([]);
    expect((await client.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    // Known once PostgreSQL's ReadyForQuery has come, which a failed send does not wait for.
    expect(client.getTransactionStatus()).toBe("I");
    await upsert([3, 4]);
    expect(await ids()).toEqual([3, 4]);
  });

  it("keeps a transaction that BEGIN opened without a COMMIT open after the send, for the statements that follow", async () => {
    const begin = new StatementQueue();
    begin.add("BEGIN");
    begin.add(upsertText(), [5, { quote: "it's" }]);
    await begin.send(client);
    const other = new pg.Client({ connectionString: postgresUrl() });
    await other.connect();
    try {
      expect((await other.query(`SELECT id FROM ${table}`)).rows).toEqual([]);
      await client.query("COMMIT");
      expect((await other.query(`SELECT id FROM ${table}`)).rows).toEqual([{ id: 5 }]);
    } finally {
      await other.end();
    }
  });

  it("fails, rather than waits for ever, when the connection ends during a send", async () => {
    const queue = new StatementQueue();
    queue.add(upsertText(), [6, { quote: "it's" }]);
    queue.add("SELECT pg_terminate_backend(pg_backend_pid())");
    client.on("error", () => {});
    await expect(queue.send(client)).rejects.toThrow();
    // The socket cut from this side, with no answer from PostgreSQL at all.
    const cut = new pg.Client({ connectionString: postgresUrl() });
    await cut.connect();
    cut.on("error", () => {});
    const slow = new StatementQueue();
    slow.add("SELECT pg_sleep($1::float8)", [5]);
    const sending = slow.send(cut);
    setTimeout(() => (cut as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy(), 200);
    await expect(sending).rejects.toThrow();
    client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    expect(await ids()).toEqual([]);
  });

  it("leaves no timer behind on a connection with a query_timeout (the process exits once the connection ends), and fails a send that outlasts it", { timeout: 30_000 }, async () => {
    // node-postgres sets a timer of query_timeout for each query and clears it when the query
    // calls back; left, it would keep the process alive until it fires.
    const worker = spawn(process.execPath, ["--import", "tsx", EXIT_WORKER, postgresUrl()], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    worker.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = await Promise.race([
      new Promise<number | null>((resolve) => worker.on("close", resolve)),
      new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 20_000)),
    ]);
    worker.kill("SIGKILL");
    expect(exited, stderr).toBe(0);

    const timed = new pg.Client({ connectionString: postgresUrl(), query_timeout: 500 });
    await timed.connect();
    try {
      const slow = new StatementQueue();
      slow.add("SELECT pg_sleep($1::float8)", [2]);
      await expect(slow.send(timed)).rejects.toThrow("Query read timeout");
    } finally {
      await timed.end().catch(() => {});
    }
  });
});

// Child rows of a large write are inserted with PostgreSQL's per-row foreign key checks left out
// (session_replication_role = replica, as PostgreSQL's logical replication applies changes), only
// where that changes nothing anyone can see: the role may set it, the child's key column has the
// parent key's type, nothing but that key's check fires on insert into the child tables, and the
// setting ends with the child rows.

import pg from "pg";
import type { Document } from "mongodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { COPY_FROM_ROWS } from "../../../src/sinks/postgres/copy-text.js";
import { inferMapping } from "../../../src/sinks/postgres/mapping/infer/infer-mapping.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { RelationalMapping, TableMapping } from "../../../src/sinks/postgres/mapping/table-mapping.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { withoutChildKeyChecks } from "../../../src/sinks/postgres/relational/child-key-checks.js";
import { createStatements } from "../../../src/sinks/postgres/relational/relational-ddl.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

const ORDERS = "shop.orders";
const NOTES = "shop.notes";
const DATABASE = "child_key_checks";
const ROLE = "tributary_child_rows";
let url: string;
const sinks: PostgresSink[] = [];

const orders = (count: number, notes = "first"): Document[] => Array.from({ length: count }, (_, i) => ({ _id: i + 1, notes, items: [{ sku: `a${i}`, quantity: 1 }, { sku: `b${i}`, quantity: 2 }] }));
const mapping: RelationalMapping = parseMapping("mappings.json", inferMapping(new Map([[ORDERS, orders(3)], [NOTES, [{ _id: 1, text: "x" }]]])), { defaultSchema: "public" });
const table = mapping.collections.get(ORDERS) as TableMapping;
const [child] = table.children;
const CHILD = `public.${child?.table.table}`;

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), DATABASE);
});

beforeEach(async () => {
  for (const each of mapping.collections.values()) await query(url, createStatements(each).required.join(";\n"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; GRANT ALL ON SCHEMA public TO PUBLIC");
});

afterAll(async () => {
  await query(url, `DROP OWNED BY ${ROLE}; DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
});

async function connect(connectionString = url): Promise<pg.Client> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  return client;
}

async function role(client: pg.Client): Promise<string> {
  return (await client.query<{ role: string }>("SELECT current_setting('session_replication_role') AS role")).rows[0]?.role ?? "";
}

/** `count` child rows, as far as their number goes. */
const rowsOf = (count: number): unknown[] => new Array<unknown>(count).fill(null);

/** In a transaction: the setting during a write of `rows` child rows and after it, and whether an orphan child row got in during the write. */
async function duringAndAfter(client: pg.Client, rows: number, of: TableMapping = table): Promise<{ during: string; after: string; orphanInserted: boolean }> {
  let during = "";
  let orphanInserted = false;
  await client.query("BEGIN");
  try {
    await withoutChildKeyChecks(client, of, [rowsOf(rows)], async () => {
      during = await role(client);
      await client.query("SAVEPOINT orphan");
      try {
        await client.query(`INSERT INTO ${CHILD} (${child?.fkColumn}, _ordinal) VALUES (999999, 0)`);
        orphanInserted = true;
      } catch (error) {
        expect((error as { code?: string }).code).toBe("23503");
        await client.query("ROLLBACK TO SAVEPOINT orphan");
      }
    });
    return { during, after: await role(client), orphanInserted };
  } finally {
    await client.query("ROLLBACK");
  }
}

describe("withoutChildKeyChecks", () => {
  it("leaves PostgreSQL's key checks out of a superuser's large write of child rows, and only of it", async () => {
    const client = await connect();
    try {
      expect(await duringAndAfter(client, COPY_FROM_ROWS)).toEqual({ during: "replica", after: "origin", orphanInserted: true });
      // The checks are back for what follows in the same transaction.
      await client.query("BEGIN");
      await withoutChildKeyChecks(client, table, [rowsOf(COPY_FROM_ROWS)], () => Promise.resolve());
      await expect(client.query(`INSERT INTO ${CHILD} (${child?.fkColumn}, _ordinal) VALUES (999999, 0)`)).rejects.toMatchObject({ code: "23503" });
      await client.query("ROLLBACK");
    } finally {
      await client.end();
    }
  });

  it("leaves the session as it was once the transaction commits", async () => {
    const client = await connect();
    try {
      await client.query("BEGIN");
      await withoutChildKeyChecks(client, table, [rowsOf(COPY_FROM_ROWS)], async () => {
        expect(await role(client)).toBe("replica");
      });
      await client.query("COMMIT");
      expect(await role(client)).toBe("origin");
    } finally {
      await client.end();
    }
  });

  it("keeps the checks for a small write, where a new plan for every statement after it would cost more", async () => {
    const client = await connect();
    try {
      expect(await duringAndAfter(client, COPY_FROM_ROWS - 1)).toEqual({ during: "origin", after: "origin", orphanInserted: false });
    } finally {
      await client.end();
    }
  });

  it.each([
    ["a trigger", `CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER noop AFTER INSERT ON ${CHILD} FOR EACH ROW EXECUTE FUNCTION noop()`],
    ["a trigger enabled for replicas only", `CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; CREATE TRIGGER noop AFTER INSERT ON ${CHILD} FOR EACH ROW EXECUTE FUNCTION noop(); ALTER TABLE ${CHILD} ENABLE REPLICA TRIGGER noop`],
    ["a rule", `CREATE TABLE public.seen (n int); CREATE RULE seen AS ON INSERT TO ${CHILD} DO ALSO INSERT INTO public.seen VALUES (1)`],
    ["another foreign key", `CREATE TABLE public.ordinals (n int PRIMARY KEY); ALTER TABLE ${CHILD} ADD FOREIGN KEY (_ordinal) REFERENCES public.ordinals (n)`],
    ["a deferrable unique constraint", `ALTER TABLE ${CHILD} ADD UNIQUE (${child?.fkColumn}, _ordinal) DEFERRABLE INITIALLY DEFERRED`],
    ["a table inheriting from it", `CREATE TABLE public.more_items () INHERITS (${CHILD})`],
    ["a second foreign key from its key column to another column of the parent", `ALTER TABLE public.orders ADD COLUMN alt bigint UNIQUE; ALTER TABLE ${CHILD} ADD FOREIGN KEY (${child?.fkColumn}) REFERENCES public.orders (alt)`],
  ])("keeps the checks when a child table has %s, which the setting would silence or wake", async (_label, ddl) => {
    await query(url, ddl);
    const client = await connect();
    try {
      expect(await duringAndAfter(client, COPY_FROM_ROWS)).toEqual({ during: "origin", after: "origin", orphanInserted: false });
    } finally {
      await client.end();
    }
  });

  it("keeps the checks when a child's key column has another type than its parent's key, where a cast could make them differ", async () => {
    const numeric = { ...child?.fkType, sql: "numeric" } as NonNullable<typeof child>["fkType"];
    const loose: TableMapping = { ...table, children: table.children.map((each) => ({ ...each, fkType: numeric })) };
    const client = await connect();
    try {
      expect(await duringAndAfter(client, COPY_FROM_ROWS, loose)).toEqual({ during: "origin", after: "origin", orphanInserted: false });
    } finally {
      await client.end();
    }
  });

  it("keeps the checks for a role that may not set session_replication_role, and leaves it out for one granted SET on it (PostgreSQL 15+)", async () => {
    await query(
      url,
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN PASSWORD 'child-rows'; END IF; END $$;
       GRANT ALL ON ALL TABLES IN SCHEMA public TO ${ROLE};`,
    );
    const restricted = new URL(url);
    restricted.username = ROLE;
    restricted.password = "child-rows";
    const plain = await connect(restricted.toString());
    try {
      expect(await duringAndAfter(plain, COPY_FROM_ROWS)).toEqual({ during: "origin", after: "origin", orphanInserted: false });
    } finally {
      await plain.end();
    }
    const [server] = await query<{ version: number }>(url, "SELECT current_setting('server_version_num')::int AS version");
    if ((server?.version ?? 0) < 150_000) return; // GRANT SET ON PARAMETER is PostgreSQL 15+
    await query(url, `GRANT SET ON PARAMETER session_replication_role TO ${ROLE}`);
    const granted = await connect(restricted.toString());
    try {
      expect(await duringAndAfter(granted, COPY_FROM_ROWS)).toEqual({ during: "replica", after: "origin", orphanInserted: true });
      // Taken away during a run: the next write on the same connection keeps the checks, and does not fail.
      await query(url, `REVOKE SET ON PARAMETER session_replication_role FROM ${ROLE}`);
      expect(await duringAndAfter(granted, COPY_FROM_ROWS)).toEqual({ during: "origin", after: "origin", orphanInserted: false });
    } finally {
      await granted.end();
      await query(url, `REVOKE SET ON PARAMETER session_replication_role FROM ${ROLE}`);
    }
  });

  it("gives back the session's own setting, and a failed write's savepoint takes the setting with it", async () => {
    const client = await connect();
    try {
      await client.query("SET session_replication_role = local");
      expect(await duringAndAfter(client, COPY_FROM_ROWS)).toMatchObject({ during: "replica", after: "local" });
      await client.query("BEGIN; SAVEPOINT load");
      await expect(withoutChildKeyChecks(client, table, [rowsOf(COPY_FROM_ROWS)], () => client.query("SELECT 1/0").then(() => undefined))).rejects.toMatchObject({ code: "22012" });
      await client.query("ROLLBACK TO SAVEPOINT load");
      expect(await role(client)).toBe("local");
      await client.query("ROLLBACK");
    } finally {
      await client.end();
    }
  });
});

describe("the sink's large batches with a mapping file", () => {
  const events = (op: ChangeEvent["op"], docs: readonly Document[], ns = ORDERS): ChangeEvent[] => docs.map((doc) => makeEvent({ op, ns, id: doc._id, doc }));

  async function openSink(): Promise<PostgresSink> {
    const sink = makeSink(url, { mapping });
    sinks.push(sink);
    await sink.open();
    return sink;
  }

  it("write child rows whose parents all exist, leaving the checks out of the bulk load and the merge", async () => {
    const sent = vi.spyOn(pg.Client.prototype, "query");
    const sink = await openSink();
    await sink.apply({ events: events("insert", orders(COPY_FROM_ROWS)) });
    await sink.apply({ events: events("replace", orders(COPY_FROM_ROWS, "second")) });
    const texts = sent.mock.calls.map(([text]) => (typeof text === "string" ? text : ""));
    expect(texts.filter((text) => text.includes("set_config('session_replication_role', 'replica', true)"))).toHaveLength(2);
    expect(texts.filter((text) => text === "SELECT set_config('session_replication_role', $1, true)")).toHaveLength(2);
    const fk = child?.fkColumn ?? "";
    expect(await query(url, `SELECT count(*)::int AS rows, count(*) FILTER (WHERE NOT EXISTS (SELECT FROM public.orders p WHERE p._id = c.${fk}))::int AS orphans FROM ${CHILD} c`)).toEqual([
      { rows: 2 * COPY_FROM_ROWS, orphans: 0 },
    ]);
  });

  it.each([
    ["an inferred mapping's bulk load", { inferMapping: true }, (): ChangeEvent[] => events("insert", orders(COPY_FROM_ROWS))],
    [
      "a first batch of fewer changes than go by COPY, with more child rows than that (set-based statements, child rows by COPY)",
      { mapping },
      (): ChangeEvent[] => events("replace", orders(COPY_FROM_ROWS * 0.75)),
    ],
  ])("leave the checks out of %s", async (_label, options, batch) => {
    // Tables the sink makes itself: a batch that creates them is not queued, whatever its size.
    await query(url, `DROP TABLE ${CHILD}, public.orders`);
    const sent = vi.spyOn(pg.Client.prototype, "query");
    const sink = makeSink(url, options);
    sinks.push(sink);
    await sink.open();
    await sink.apply({ events: batch() });
    const texts = sent.mock.calls.map(([text]) => (typeof text === "string" ? text : ""));
    expect(texts.filter((text) => text.includes("set_config('session_replication_role', 'replica', true)"))).toHaveLength(1);
  });

  it("fire a child table's own trigger for every child row of the bulk load and the merge", async () => {
    await query(
      url,
      `CREATE TABLE public.audit (n int NOT NULL);
       CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.audit VALUES (1); RETURN NEW; END $$;
       CREATE TRIGGER audit AFTER INSERT ON ${CHILD} FOR EACH ROW EXECUTE FUNCTION audit();`,
    );
    const sink = await openSink();
    await sink.apply({ events: events("insert", orders(COPY_FROM_ROWS)) });
    await sink.apply({ events: events("replace", orders(COPY_FROM_ROWS, "second")) });
    expect(await query(url, "SELECT count(*)::int AS n FROM public.audit")).toEqual([{ n: 4 * COPY_FROM_ROWS }]);
  });

  it("fire the triggers of a table written after the child rows in the same transaction", async () => {
    await query(
      url,
      `CREATE TABLE public.audit (n int NOT NULL);
       CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.audit VALUES (1); RETURN NEW; END $$;
       CREATE TRIGGER audit AFTER INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION audit();`,
    );
    const sink = await openSink();
    await sink.apply({ events: [...events("insert", orders(COPY_FROM_ROWS)), ...events("insert", [{ _id: 1, text: "after" }], NOTES)] });
    expect(await query(url, "SELECT count(*)::int AS n FROM public.audit")).toEqual([{ n: 1 }]);
  });
});

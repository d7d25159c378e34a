// Proves that COPY reads the binary fields binaryRowWriter makes of a coerced value, and the text
// lineWriter makes of it, exactly as jsonb_to_recordset reads the JSON value itself
// (value-coercion.test.ts): the same cases, the same text back from PostgreSQL. The relational
// snapshot bulk-loads rows this way, and large streaming batches merge them. So does an
// INSERT … VALUES of parameterWriter's texts, sent as parameters or as the literals of a queued
// EXECUTE: a change sent alone writes its rows this way.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonValue } from "../../../src/codec/document-codec.js";
import { parseColumnType } from "../../../src/sinks/postgres/mapping/column-type.js";
import { coerceValue } from "../../../src/sinks/postgres/mapping/value-coercion.js";
import { copiesExactly, copyRows, parameterWriter } from "../../../src/sinks/postgres/relational/copy-relational-rows.js";
import { recordsetInsert, valuesInsert } from "../../../src/sinks/postgres/relational/relational-row-writer.js";
import { StatementQueue } from "../../../src/sinks/postgres/statement-queue.js";
import { classifyPostgresError } from "../../../src/sinks/postgres/postgres-errors.js";
import { CLUSTER_TIME_COLUMN } from "../../../src/sinks/postgres/relational/relational-ddl.js";
import type { RowColumn } from "../../../src/sinks/postgres/relational/relational-columns.js";
import { COERCION_CASES } from "../../support/coercion-cases.js";
import { postgresUrlInUtc } from "../../support/requirements.js";

let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: postgresUrlInUtc(), max: 1 });
});

afterAll(async () => {
  await pool.end();
});

/**
 * How rows are written into the table: through `jsonb_to_recordset` (what the others must match),
 * by COPY (in the columns' own format, binary unless a column has none, and in text), or by an INSERT … VALUES with a parameter per value: sent as parameters, queued as the
 * literals of an EXECUTE, queued with the literals written in (after a statement without
 * parameters, as after an inferred mapping's ALTER TABLE), or all rows in one statement with an
 * upsert's ON CONFLICT clause, run twice (the second time, every row takes the update).
 */
type Way = "recordset" | "copy" | "copy-text" | "parameters" | "queued" | "inlined" | "upserted";
const WAYS: readonly Way[] = ["recordset", "copy", "copy-text", "parameters", "queued", "inlined", "upserted"];

/** Writes the rows into a temporary table of these columns and reads every value back: as text, and as jsonb (which keeps a char(n)'s padding). */
async function copied(columns: readonly RowColumn[], rows: readonly Record<string, JsonValue>[], way: Way = "copy"): Promise<Record<string, string | null>[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // The cluster time is carried as seconds, and stored as a timestamp (as in a parent table).
    const definitions = columns.map((column) => `"${column.name}" ${column.name === CLUSTER_TIME_COLUMN ? "timestamptz" : column.sql}`);
    await client.query(`CREATE TEMP TABLE copied (n serial UNIQUE, ${definitions.join(", ")}) ON COMMIT DROP`);
    await write(client, columns, rows, way);
    const select = columns.map((column) => `("${column.name}")::text AS "${column.name}"`).join(", ");
    const result = await client.query<Record<string, string | null>>(`SELECT ${select}, to_jsonb(copied) - 'n' AS jsonb FROM copied ORDER BY n`);
    await client.query("COMMIT");
    return result.rows;
  } finally {
    client.release();
  }
}

async function write(client: pg.PoolClient, columns: readonly RowColumn[], rows: readonly Record<string, JsonValue>[], way: Way): Promise<void> {
  if (way === "copy") return copyRows(client, "copied", columns, rows);
  // The text format, which the columns without a binary form (a real among them) take.
  if (way === "copy-text") return copyRows(client, "copied", columns, rows, "text");
  if (way === "recordset") {
    await client.query(recordsetInsert("copied", columns, ""), [JSON.stringify(rows)]);
    return;
  }
  const names = columns.map((column) => `"${column.name}"`).join(", ");
  const parameters = parameterWriter(columns);
  if (way === "upserted") {
    const withKey: RowColumn[] = [{ name: "n", sql: "integer" }, ...columns];
    const keyed = parameterWriter(withKey);
    const upsert = valuesInsert("copied", withKey, rows.length, ` ON CONFLICT (n) DO UPDATE SET ${names.split(", ").map((name) => `${name} = EXCLUDED.${name}`).join(", ")}`);
    for (let time = 0; time < 2; time += 1) {
      const queue = new StatementQueue();
      await queue.query(upsert, rows.flatMap((row, index) => keyed({ ...row, n: index + 1 })));
      await queue.send(client);
    }
    return;
  }
  const insert = valuesInsert("copied", columns, 1, "");
  for (const row of rows) {
    if (way === "parameters") {
      await client.query(insert, parameters(row));
      continue;
    }
    const queue = new StatementQueue();
    if (way === "inlined") await queue.query("SELECT 1");
    await queue.query(insert, parameters(row));
    await queue.send(client);
  }
}

describe("COPY lines and parameters of coerced values", () => {
  const named = COERCION_CASES.map(([label, value, sql, text]) => ({ label, value, sql, text })).filter(({ sql }) => copiesExactly([{ name: "c0", sql }]));

  it.each(named)("loads $label into $sql as jsonb_to_recordset does", async ({ value, sql, text }) => {
    const type = parseColumnType(sql);
    if (type === undefined) throw new Error(`not a column type: ${sql}`);
    const coerced = coerceValue(value, type);
    if (!coerced.ok) throw new Error(coerced.reason);
    const columns = [{ name: "c0", sql: type.sql }];
    const rows = [{ c0: coerced.value }, { c0: coerced.value }];
    const expected = await copied(columns, rows, "recordset");
    expect(expected.map((row) => row.c0)).toEqual([text, text]);
    for (const way of WAYS) expect({ way, rows: await copied(columns, rows, way) }).toEqual({ way, rows: expected });
  });

  it("reports a column of another type than the one written as the data, not as a connection problem to wait out", async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("CREATE TEMP TABLE altered (a bigint) ON COMMIT DROP");
      // PostgreSQL's own error for the integer field it cannot read as a bigint is 08P01 protocol_violation.
      const error: unknown = await copyRows(client, "altered", [{ name: "a", sql: "integer" }], [{ a: 5 }]).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^insufficient data left in message \(COPY altered, line 1, column a\): that column does not have the type Tributary writes there, or Tributary wrote it wrongly \(SQLSTATE 08P01, not a connection problem\)/);
      expect(error).toMatchObject({ code: "TRIB_POSTGRES_APPLY_FAILED" });
      expect(classifyPostgresError(error)).toBe("permanent");
    } finally {
      await client.query("ROLLBACK");
      client.release();
    }
  });

  it("leaves plain json columns to jsonb_to_recordset, whose text COPY cannot reproduce", async () => {
    expect(copiesExactly([{ name: "c0", sql: "json" }])).toBe(false);
    expect(copiesExactly([{ name: "c0", sql: "json[]" }, { name: "c1", sql: "jsonb" }])).toBe(false);
    expect(copiesExactly([{ name: "c0", sql: "jsonb" }, { name: "c1", sql: "jsonb[]" }])).toBe(true);
    // What COPY of the same JSON text would give instead:
    expect(await copied([{ name: "c0", sql: "json" }], [{ c0: { a: 1 } }])).toMatchObject([{ c0: '{"a":1}' }]);
  });

  it.each(WAYS)("loads tabs, newlines, backslashes, quotes and a would-be end-of-data line as they are (%s)", async (way) => {
    const text = "a\tb\nc\r\\N\n\\.\nd'e\"f";
    const tags = ["x,y", 'q"', "b\\", "{", "NULL"];
    const rows = await copied([{ name: "c0", sql: "text" }, { name: "c1", sql: "jsonb" }, { name: "c2", sql: "text[]" }], [{ c0: text, c1: { text }, c2: tags }], way);
    expect(rows).toMatchObject([{ c0: text, c1: JSON.stringify({ text }).replace(/":"/, '": "'), c2: '{"x,y","q\\"","b\\\\","{","NULL"}' }]);
  });

  it.each(WAYS)("loads the cluster time (seconds) as the timestamp to_timestamp makes of it (%s)", async (way) => {
    expect(await copied([{ name: CLUSTER_TIME_COLUMN, sql: "double precision" }], [{ [CLUSTER_TIME_COLUMN]: 1_700_000_000 }], way)).toMatchObject([{ [CLUSTER_TIME_COLUMN]: "2023-11-14 22:13:20+00" }]);
  });

  it("writes each row's own cluster time, though its text is made once for rows that share it", async () => {
    const seconds = [1_700_000_000, 1_700_000_000, 1_700_000_001, 1_700_000_000];
    const rows = seconds.map((time, index) => ({ [CLUSTER_TIME_COLUMN]: time, c0: index }));
    expect(await copied([{ name: CLUSTER_TIME_COLUMN, sql: "double precision" }, { name: "c0", sql: "integer" }], rows)).toMatchObject(
      ["22:13:20", "22:13:20", "22:13:21", "22:13:20"].map((time, index) => ({ [CLUSTER_TIME_COLUMN]: `2023-11-14 ${time}+00`, c0: String(index) })),
    );
  });
});

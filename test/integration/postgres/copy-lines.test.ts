// Proves that COPY reads the text lineWriter makes of a coerced value exactly as
// jsonb_to_recordset reads the JSON value itself (value-coercion.test.ts): the same cases, the
// same text back from PostgreSQL. The relational snapshot bulk-loads rows this way. So does an
// INSERT … VALUES of parameterWriter's texts, sent as parameters or as the literals of a queued
// EXECUTE: a change sent alone writes its rows this way.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonValue } from "../../../src/codec/document-codec.js";
import { parseColumnType } from "../../../src/sinks/postgres/mapping/column-type.js";
import { coerceValue } from "../../../src/sinks/postgres/mapping/value-coercion.js";
import { copiesExactly, copyRows, parameterWriter } from "../../../src/sinks/postgres/relational/copy-relational-rows.js";
import { valuesInsert } from "../../../src/sinks/postgres/relational/relational-row-writer.js";
import { StatementQueue } from "../../../src/sinks/postgres/statement-queue.js";
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

/** How rows are written into the table: by COPY, or by an INSERT … VALUES with a parameter per value (sent as parameters, or queued as the literals of an EXECUTE). */
type Way = "copy" | "parameters" | "queued";

/** Writes the rows into a temporary table of these columns and reads every value back as text. */
async function copied(columns: readonly RowColumn[], rows: readonly Record<string, JsonValue>[], way: Way = "copy"): Promise<Record<string, string | null>[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(`CREATE TEMP TABLE copied (n serial, ${columns.map((column) => `"${column.name}" ${column.sql}`).join(", ")}) ON COMMIT DROP`);
    if (way === "copy") await copyRows(client, "copied", columns, rows);
    else {
      const parameters = parameterWriter(columns);
      const insert = valuesInsert("copied", columns, 1, "");
      for (const row of rows) {
        if (way === "parameters") await client.query(insert, parameters(row));
        else {
          const queue = new StatementQueue();
          await queue.query(insert, parameters(row));
          await queue.send(client);
        }
      }
    }
    const select = columns.map((column) => `("${column.name}")::text AS "${column.name}"`).join(", ");
    const result = await client.query<Record<string, string | null>>(`SELECT ${select} FROM copied ORDER BY n`);
    await client.query("COMMIT");
    return result.rows;
  } finally {
    client.release();
  }
}

describe("COPY lines of coerced values", () => {
  const named = COERCION_CASES.map(([label, value, sql, text]) => ({ label, value, sql, text })).filter(({ sql }) => copiesExactly([{ name: "c0", sql }]));

  it.each(named)("loads $label into $sql as jsonb_to_recordset does", async ({ value, sql, text }) => {
    const type = parseColumnType(sql);
    if (type === undefined) throw new Error(`not a column type: ${sql}`);
    const coerced = coerceValue(value, type);
    if (!coerced.ok) throw new Error(coerced.reason);
    for (const way of ["copy", "parameters", "queued"] as const) {
      expect({ way, rows: await copied([{ name: "c0", sql: type.sql }], [{ c0: coerced.value }], way) }).toEqual({ way, rows: [{ c0: text }] });
    }
  });

  it("leaves plain json columns to jsonb_to_recordset, whose text COPY cannot reproduce", async () => {
    expect(copiesExactly([{ name: "c0", sql: "json" }])).toBe(false);
    expect(copiesExactly([{ name: "c0", sql: "json[]" }, { name: "c1", sql: "jsonb" }])).toBe(false);
    expect(copiesExactly([{ name: "c0", sql: "jsonb" }, { name: "c1", sql: "jsonb[]" }])).toBe(true);
    // What COPY of the same JSON text would give instead:
    expect(await copied([{ name: "c0", sql: "json" }], [{ c0: { a: 1 } }])).toEqual([{ c0: '{"a":1}' }]);
  });

  it.each<Way>(["copy", "parameters", "queued"])("loads tabs, newlines, backslashes, quotes and a would-be end-of-data line as they are (%s)", async (way) => {
    const text = "a\tb\nc\r\\N\n\\.\nd'e\"f";
    const tags = ["x,y", 'q"', "b\\", "{", "NULL"];
    const rows = await copied([{ name: "c0", sql: "text" }, { name: "c1", sql: "jsonb" }, { name: "c2", sql: "text[]" }], [{ c0: text, c1: { text }, c2: tags }], way);
    expect(rows).toEqual([{ c0: text, c1: JSON.stringify({ text }).replace(/":"/, '": "'), c2: '{"x,y","q\\"","b\\\\","{","NULL"}' }]);
  });

  it.each<Way>(["copy", "parameters", "queued"])("loads the cluster time (seconds) as the timestamp to_timestamp makes of it (%s)", async (way) => {
    expect(await copied([{ name: CLUSTER_TIME_COLUMN, sql: "timestamptz" }], [{ [CLUSTER_TIME_COLUMN]: 1_700_000_000 }], way)).toEqual([{ [CLUSTER_TIME_COLUMN]: "2023-11-14 22:13:20+00" }]);
  });

  it("writes each row's own cluster time, though its text is made once for rows that share it", async () => {
    const seconds = [1_700_000_000, 1_700_000_000, 1_700_000_001, 1_700_000_000];
    const rows = seconds.map((time, index) => ({ [CLUSTER_TIME_COLUMN]: time, c0: index }));
    expect(await copied([{ name: CLUSTER_TIME_COLUMN, sql: "timestamptz" }, { name: "c0", sql: "integer" }], rows)).toEqual(
      ["22:13:20", "22:13:20", "22:13:21", "22:13:20"].map((time, index) => ({ [CLUSTER_TIME_COLUMN]: `2023-11-14 ${time}+00`, c0: String(index) })),
    );
  });
});

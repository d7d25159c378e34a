// Proves that parameters written in as literals (StatementQueue, the one-round-trip path of
// the sink) reach PostgreSQL as the same values as when node-postgres sends them as parameters.

import { describe, expect, it } from "vitest";
import { inlineParameters } from "../../../src/sinks/postgres/statement-queue.js";
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

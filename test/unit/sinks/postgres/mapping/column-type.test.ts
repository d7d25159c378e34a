import { describe, expect, it } from "vitest";
import { ColumnFamilies, KNOWN_COLUMN_TYPES, parseColumnType, type ColumnType } from "../../../../../src/sinks/postgres/mapping/column-type.js";

describe("parseColumnType", () => {
  const accepted: [string, ColumnType][] = [
    ["text", { sql: "text", family: "text", array: false }],
    ["varchar", { sql: "varchar", family: "text", array: false }],
    ["varchar(20)", { sql: "varchar(20)", family: "text", array: false }],
    ["character varying(20)", { sql: "varchar(20)", family: "text", array: false }],
    ["Character  Varying ( 20 )", { sql: "varchar(20)", family: "text", array: false }],
    ["char", { sql: "char(1)", family: "text", array: false }],
    ["char(3)", { sql: "char(3)", family: "text", array: false }],
    ["character(3)", { sql: "char(3)", family: "text", array: false }],
    ["smallint", { sql: "smallint", family: "smallint", array: false }],
    ["int2", { sql: "smallint", family: "smallint", array: false }],
    ["integer", { sql: "integer", family: "integer", array: false }],
    ["int", { sql: "integer", family: "integer", array: false }],
    ["INT4", { sql: "integer", family: "integer", array: false }],
    ["bigint", { sql: "bigint", family: "bigint", array: false }],
    ["int8", { sql: "bigint", family: "bigint", array: false }],
    ["numeric", { sql: "numeric", family: "numeric", array: false }],
    ["numeric(10)", { sql: "numeric(10)", family: "numeric", array: false }],
    ["numeric(10,2)", { sql: "numeric(10,2)", family: "numeric", array: false }],
    ["decimal(10, 2)", { sql: "numeric(10,2)", family: "numeric", array: false }],
    ["numeric(5,5)", { sql: "numeric(5,5)", family: "numeric", array: false }],
    ["numeric(1000,0)", { sql: "numeric(1000,0)", family: "numeric", array: false }],
    ["real", { sql: "real", family: "real", array: false }],
    ["float4", { sql: "real", family: "real", array: false }],
    ["double precision", { sql: "double precision", family: "double", array: false }],
    ["float8", { sql: "double precision", family: "double", array: false }],
    ["float", { sql: "double precision", family: "double", array: false }],
    ["boolean", { sql: "boolean", family: "boolean", array: false }],
    ["bool", { sql: "boolean", family: "boolean", array: false }],
    ["timestamptz", { sql: "timestamptz", family: "timestamptz", array: false }],
    ["timestamp with time zone", { sql: "timestamptz", family: "timestamptz", array: false }],
    ["timestamp", { sql: "timestamp", family: "timestamp", array: false }],
    ["Timestamp Without Time Zone", { sql: "timestamp", family: "timestamp", array: false }],
    ["date", { sql: "date", family: "date", array: false }],
    ["jsonb", { sql: "jsonb", family: "jsonb", array: false }],
    ["json", { sql: "json", family: "json", array: false }],
    ["uuid", { sql: "uuid", family: "uuid", array: false }],
    ["bytea", { sql: "bytea", family: "bytea", array: false }],
    ["  TEXT  ", { sql: "text", family: "text", array: false }],
    ["text[]", { sql: "text[]", family: "text", array: true }],
    ["text []", { sql: "text[]", family: "text", array: true }],
    ["varchar(20)[]", { sql: "varchar(20)[]", family: "text", array: true }],
    ["int8[]", { sql: "bigint[]", family: "bigint", array: true }],
    ["decimal(10,2)[]", { sql: "numeric(10,2)[]", family: "numeric", array: true }],
    ["double precision[]", { sql: "double precision[]", family: "double", array: true }],
    ["timestamp with time zone[]", { sql: "timestamptz[]", family: "timestamptz", array: true }],
    ["jsonb[]", { sql: "jsonb[]", family: "jsonb", array: true }],
    ["uuid[]", { sql: "uuid[]", family: "uuid", array: true }],
  ];

  it.each(accepted)("parses %j", (text, expected) => {
    expect(parseColumnType(text)).toEqual(expected);
  });

  it("has a spelling for every family", () => {
    const families = new Set(accepted.map(([, type]) => type.family));
    expect([...families].sort()).toEqual([...ColumnFamilies].sort());
  });

  it.each([
    "",
    "serial",
    "bigserial",
    "smallserial",
    "money",
    "interval",
    "time",
    "timetz",
    "inet",
    "xml",
    "text(10)",
    "integer(4)",
    "timestamp(3)",
    "timestamptz(3)",
    "float(24)",
    "varchar(0)",
    "varchar(10485761)",
    "varchar(10,2)",
    "char(0)",
    "numeric(0)",
    "numeric(1001)",
    "numeric(5,6)",
    "numeric(10,-2)",
    "numeric()",
    "text[][]",
    "text[3]",
    "int[ ] []",
    "_text",
    "\"char\"",
    "public.text",
    "text; drop table x",
    "double",
    "precision",
    "time stamp",
  ])("rejects %j", (text) => {
    expect(parseColumnType(text)).toBeUndefined();
  });

  it("lists the known types", () => {
    for (const name of ["text", "varchar(n)", "numeric(p,s)", "double precision", "timestamptz", "jsonb", "uuid", "bytea"]) {
      expect(KNOWN_COLUMN_TYPES).toContain(name);
    }
  });
});

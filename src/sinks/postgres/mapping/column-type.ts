/**
 * The PostgreSQL column types a relational mapping may give a MongoDB field, and how they are
 * written in configuration.
 */

/** Every family of column type a field can be mapped to. @internal */
export const ColumnFamilies = [
  "text",
  "smallint",
  "integer",
  "bigint",
  "numeric",
  "real",
  "double",
  "boolean",
  "timestamptz",
  "timestamp",
  "date",
  "jsonb",
  "json",
  "uuid",
  "bytea",
] as const;

/** A family of column type: decides how a value is converted for the column. @public */
export type ColumnFamily = (typeof ColumnFamilies)[number];

/** A column type parsed from configuration. @public */
export interface ColumnType {
  /**
   * The normalized SQL type, written as is in DDL and in a `jsonb_to_recordset` column list:
   * lower case, PostgreSQL's preferred name, e.g. `text`, `varchar(20)`, `numeric(10,2)`,
   * `timestamptz`, `double precision`, `text[]`.
   */
  readonly sql: string;
  /** How values are converted for the column (of the elements, for an array type). */
  readonly family: ColumnFamily;
  /** True for a one-dimensional array of the type (`text[]`). */
  readonly array: boolean;
  /** `"lenient"`: values are also converted as mongo-connector-postgresql's writes converted them (lenient-cast.ts); strict when absent. */
  readonly cast?: "lenient";
}

/**
 * The column types {@link parseColumnType} accepts, with their aliases, for error messages. Each is
 * also accepted as a one-dimensional array (`text[]`), which the message should say.
 * @internal
 */
export const KNOWN_COLUMN_TYPES =
  "text, varchar(n) (character varying), char(n) (character), smallint (int2), integer (int, int4), " +
  "bigint (int8), numeric(p,s) (decimal, with (p,s) or (p) optional), real (float4), " +
  "double precision (float8, float), boolean (bool), timestamptz (timestamp with time zone), " +
  "timestamp (timestamp without time zone), date, jsonb, json, uuid, bytea";

/** What a type name accepts in parentheses after it. */
type Modifier = "none" | "length" | "precision";

interface TypeName {
  readonly sql: string;
  readonly family: ColumnFamily;
  readonly modifier: Modifier;
}

function name(sql: string, family: ColumnFamily, modifier: Modifier = "none"): TypeName {
  return { sql, family, modifier };
}

/** Type names as written (lower case, single spaces) to the type they name. */
const TYPE_NAMES: ReadonlyMap<string, TypeName> = new Map([
  ["text", name("text", "text")],
  ["varchar", name("varchar", "text", "length")],
  ["character varying", name("varchar", "text", "length")],
  ["char", name("char", "text", "length")],
  ["character", name("char", "text", "length")],
  ["smallint", name("smallint", "smallint")],
  ["int2", name("smallint", "smallint")],
  ["integer", name("integer", "integer")],
  ["int", name("integer", "integer")],
  ["int4", name("integer", "integer")],
  ["bigint", name("bigint", "bigint")],
  ["int8", name("bigint", "bigint")],
  ["numeric", name("numeric", "numeric", "precision")],
  ["decimal", name("numeric", "numeric", "precision")],
  ["real", name("real", "real")],
  ["float4", name("real", "real")],
  ["double precision", name("double precision", "double")],
  ["float8", name("double precision", "double")],
  ["float", name("double precision", "double")],
  ["boolean", name("boolean", "boolean")],
  ["bool", name("boolean", "boolean")],
  ["timestamptz", name("timestamptz", "timestamptz")],
  ["timestamp with time zone", name("timestamptz", "timestamptz")],
  ["timestamp", name("timestamp", "timestamp")],
  ["timestamp without time zone", name("timestamp", "timestamp")],
  ["date", name("date", "date")],
  ["jsonb", name("jsonb", "jsonb")],
  ["json", name("json", "json")],
  ["uuid", name("uuid", "uuid")],
  ["bytea", name("bytea", "bytea")],
]);

/** PostgreSQL's largest `varchar(n)` / `char(n)` length. */
const MAX_LENGTH = 10_485_760;
/** PostgreSQL's largest `numeric(p)` precision. */
const MAX_PRECISION = 1000;

const TYPE_SYNTAX = /^([a-z][a-z0-9 ]*?)(?:\((\d+)(?:,(\d+))?\))?(\[\])?$/;

/**
 * Parses a column type as written in configuration.
 *
 * Case and surrounding or repeated white space do not matter. Accepted are the names listed in
 * {@link KNOWN_COLUMN_TYPES}: PostgreSQL's spellings and common aliases, normalized to one `sql`
 * spelling (`int4` → `integer`, `character varying(20)` → `varchar(20)`, `decimal(10, 2)` →
 * `numeric(10,2)`, `float` → `double precision`, `timestamp with time zone` → `timestamptz`).
 * `varchar` and `char` take an optional length (1 to 10485760; `char` alone is `char(1)`, as in
 * PostgreSQL), `numeric` an optional precision (1 to 1000) and scale (0 to the precision, the
 * range every supported PostgreSQL version accepts). A trailing `[]` makes a one-dimensional
 * array type.
 *
 * @returns the column type, or `undefined` for anything else: other types (serial types,
 *   `float(p)`, `timestamp(p)`, ...), modifiers where none are allowed or out of range, and arrays
 *   of more than one dimension.
 * @internal
 */
export function parseColumnType(text: string): ColumnType | undefined {
  const normalized = text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/ ?([()[\],]) ?/g, "$1");
  const match = TYPE_SYNTAX.exec(normalized);
  if (match === null) return undefined;
  const [, typeName = "", first, second, brackets] = match;
  const type = TYPE_NAMES.get(typeName);
  if (type === undefined) return undefined;
  const modifiers = modifierText(type, first, second);
  if (modifiers === undefined) return undefined;
  const array = brackets !== undefined;
  return { sql: `${type.sql}${modifiers}${array ? "[]" : ""}`, family: type.family, array };
}

/** The normalized `(…)` after the type name ("" for none), or `undefined` when not allowed. */
function modifierText(type: TypeName, first: string | undefined, second: string | undefined): string | undefined {
  if (first === undefined) return type.sql === "char" ? "(1)" : "";
  const size = Number(first);
  switch (type.modifier) {
    case "none":
      return undefined;
    case "length":
      return second === undefined && size >= 1 && size <= MAX_LENGTH ? `(${size})` : undefined;
    case "precision": {
      if (size < 1 || size > MAX_PRECISION) return undefined;
      if (second === undefined) return `(${size})`;
      const scale = Number(second);
      return scale <= size ? `(${size},${scale})` : undefined;
    }
  }
}

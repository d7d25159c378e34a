import { createHash } from "node:crypto";
import type { ClientBase } from "pg";
import type { JsonValue } from "../../../codec/document-codec.js";
import { BINARY_COPY_OPTIONS, binaryPieces, copyBinary } from "../copy-binary.js";
import { clusterTimeText, COPY_NULL, copyJsonText, copyLines, copyPieces, copyText } from "../copy-text.js";
import type { TableMapping } from "../mapping/table-mapping.js";
import { quoteIdent } from "../sql.js";
import { mergeCopiedThroughStage } from "../staging-merge.js";
import { binaryRowWriter, copiesInBinary } from "./binary-row-writer.js";
import { CLUSTER_TIME_COLUMN } from "./relational-ddl.js";
import { childColumns, parentColumns, type RowColumn } from "./relational-columns.js";
import type { Row } from "./row-extractor.js";

const JSON_TYPE = /^jsonb?$/;
const JSON_ARRAY_TYPE = /^jsonb?\[\]$/;
/** `json` keeps its input text, and jsonb_to_recordset gives it jsonb's (`{"a": 1}`): COPY of JSON.stringify's would differ. */
const PLAIN_JSON_TYPE = /^json(\[\])?$/;

/** Whether COPY of {@link lineWriter}'s text loads exactly what jsonb_to_recordset loads into these columns. */
export function copiesExactly(columns: readonly RowColumn[]): boolean {
  return columns.every((column) => !PLAIN_JSON_TYPE.test(column.sql));
}

/** Whether every column of a collection's parent and child tables loads by COPY exactly as by the set-based statements. */
export function copiesAll(mapping: TableMapping): boolean {
  return copiesExactly([...parentColumns(mapping), ...mapping.children.flatMap(childColumns)]);
}

/** The text of a row value that is not null, for one column (see {@link lineWriter}). */
type FieldWriter = (value: JsonValue) => string;

/** How a field's text is escaped for where it goes: a line of `COPY`'s text format, or a statement's parameter (not at all). */
interface FieldEscapes {
  /** Any text. */
  readonly text: (value: string) => string;
  /** JSON as `JSON.stringify` makes it. */
  readonly json: (json: string) => string;
}

const FOR_COPY: FieldEscapes = { text: copyText, json: copyJsonText };
const unescaped = (value: string): string => value;
const AS_PARAMETER: FieldEscapes = { text: unescaped, json: unescaped };

/**
 * How a column's values are written for `COPY … FROM STDIN` (text format) so that COPY reads
 * them as `jsonb_to_recordset` would read the same JSON values (see `coerceValue`). Strings are
 * the column's input text, numbers and booleans their text; json columns take the value's JSON;
 * an array becomes an array literal; the cluster time (seconds) a timestamp. Decided once per
 * column, not per value. With {@link AS_PARAMETER}, the same texts unescaped: a parameter of the
 * column's type is read by the same input function.
 */
function fieldWriter(column: RowColumn, escapes: FieldEscapes): FieldWriter {
  if (column.name === CLUSTER_TIME_COLUMN) return clusterTimeWriter(scalarWriter(false, escapes));
  const json = escapes.json;
  if (JSON_TYPE.test(column.sql)) return (value) => json(JSON.stringify(value));
  return scalarWriter(JSON_ARRAY_TYPE.test(column.sql), escapes);
}

/** The cluster time (seconds) as a timestamp; anything else as `other` writes it. */
function clusterTimeWriter(other: FieldWriter): FieldWriter {
  const time = clusterTimeText();
  return (value) => (typeof value === "number" ? time(value) : other(value));
}

function scalarWriter(jsonArray: boolean, escapes: FieldEscapes): FieldWriter {
  const escape = escapes.text;
  return (value) => {
    if (typeof value === "string") return escape(value);
    // Finite numbers and booleans have nothing to escape (coercion writes NaN and infinities as text).
    if (typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) return String(value);
    if (Array.isArray(value)) return escape(arrayLiteral(value, jsonArray));
    return escape(JSON.stringify(value));
  };
}

/**
 * `{"a","b",NULL}`: every element quoted (backslash and quote escaped), so no element text needs
 * more care. Written in one loop: an array column's literal took a tenth of a document's
 * extraction and encoding with the bench's mapping file (two doubles and an empty array).
 */
function arrayLiteral(elements: readonly JsonValue[], json: boolean): string {
  let literal = "{";
  for (let index = 0; index < elements.length; index += 1) {
    const element = elements[index] as JsonValue;
    if (index > 0) literal += ",";
    if (element === null) literal += "NULL";
    // A finite number's or a boolean's text has no quote or backslash, and JSON writes it as String does.
    else if (typeof element === "boolean" || (typeof element === "number" && Number.isFinite(element))) literal += `"${element}"`;
    else literal += `"${quoteEscaped(json || typeof element === "object" ? JSON.stringify(element) : String(element))}"`;
  }
  return `${literal}}`;
}

/** Backslashes and double quotes escaped, for a quoted array element. */
function quoteEscaped(text: string): string {
  return text.includes("\\") || text.includes('"') ? text.replace(/[\\"]/g, "\\$&") : text;
}

/** Writes rows of these columns as lines of `COPY … FROM STDIN` (text format), newline included. */
export function lineWriter(columns: readonly RowColumn[]): (row: Row) => string {
  const fields = fieldsWriter(columns, FOR_COPY, COPY_NULL);
  return (row) => `${fields(row).join("\t")}\n`;
}

/**
 * Writes rows of these columns as the parameters of a statement that names a parameter for each
 * (`INSERT … VALUES ($1, …)`, no casts: each parameter takes its column's type, as a `COPY` field
 * does): PostgreSQL reads them as it reads {@link lineWriter}'s fields, and so as
 * `jsonb_to_recordset` reads the rows' JSON (for columns that {@link copiesExactly}).
 */
export function parameterWriter(columns: readonly RowColumn[]): (row: Row) => (string | null)[] {
  return fieldsWriter(columns, AS_PARAMETER, null);
}

function fieldsWriter<Null>(columns: readonly RowColumn[], escapes: FieldEscapes, nullField: Null): (row: Row) => (string | Null)[] {
  const names = columns.map((column) => column.name);
  const writers = columns.map((column) => fieldWriter(column, escapes));
  return (row) => {
    const fields = new Array<string | Null>(names.length);
    for (let index = 0; index < names.length; index += 1) {
      const value = row[names[index] as string];
      fields[index] = value === null || value === undefined ? nullField : (writers[index] as FieldWriter)(value);
    }
    return fields;
  };
}

function* lines(rows: Iterable<Row>, columns: readonly RowColumn[]): Generator<string> {
  const line = lineWriter(columns);
  for (const row of rows) yield line(row);
}

/** How rows go through `COPY`: in the binary format where every column has one ({@link copiesInBinary}), as text lines otherwise. */
export type CopyFormat = "binary" | "text";

function copyFormatOf(columns: readonly RowColumn[]): CopyFormat {
  return copiesInBinary(columns) ? "binary" : "text";
}

/**
 * The rows as the sink's `COPY` sends them, in the columns' format, with the options of the `COPY`
 * that reads them: for a baseline that encodes the same rows before its clock starts.
 */
export function encodedForCopy(columns: readonly RowColumn[], rows: Iterable<Row>): { readonly options: string; readonly pieces: Iterable<string | Buffer> } {
  return copyFormatOf(columns) === "binary" ? { options: BINARY_COPY_OPTIONS, pieces: binaryPieces(rows, binaryRowWriter(columns)) } : { options: "", pieces: copyPieces(lines(rows, columns)) };
}

/** `COPY destination FROM STDIN` of the rows, read as they are sent; returns the rows PostgreSQL read. */
function copyInto(client: ClientBase, destination: string, columns: readonly RowColumn[], rows: Iterable<Row>, format: CopyFormat): Promise<number> {
  return format === "binary" ? copyBinary(client, destination, binaryPieces(rows, binaryRowWriter(columns))) : copyLines(client, destination, lines(rows, columns));
}

/** `COPY table (columns) FROM STDIN` of the rows, in `format` (the columns' own unless a test asks for another). */
export async function copyRows(client: ClientBase, table: string, columns: readonly RowColumn[], rows: Iterable<Row>, format: CopyFormat = copyFormatOf(columns)): Promise<void> {
  await copyInto(client, `${table} (${columnList(columns)})`, columns, rows, format);
}

function columnList(columns: readonly RowColumn[]): string {
  return columns.map((column) => quoteIdent(column.name)).join(", ");
}

/**
 * `INSERT INTO table … ON CONFLICT …` (`conflict`) of many rows through `COPY` into a temporary
 * staging table of the same columns, in the caller's transaction: the session's, one per set of
 * column definitions (a mapping that evolves gets another; see {@link mergeCopiedThroughStage}).
 */
export async function mergeThroughStage(client: ClientBase, table: string, columns: readonly RowColumn[], rows: Iterable<Row>, conflict: string): Promise<void> {
  const definitions = columns.map((column) => `${quoteIdent(column.name)} ${column.name === CLUSTER_TIME_COLUMN ? "timestamptz" : column.sql}`).join(", ");
  const stage = { name: `tributary_merge_${createHash("sha256").update(definitions).digest("hex").slice(0, 24)}`, definitions };
  const format = copyFormatOf(columns);
  await mergeCopiedThroughStage(client, stage, table, columnList(columns), (destination) => copyInto(client, destination, columns, rows, format), conflict);
}

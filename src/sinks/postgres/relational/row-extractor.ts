import type { Document } from "mongodb";
import { encodeDocument, type JsonValue } from "../../../codec/document-codec.js";
import type { ColumnMapping, TableMapping } from "../../../mapping/table-mapping.js";
import { coerceValue } from "../../../mapping/value-coercion.js";
import type { Rejection } from "../dead-letters.js";
import { ORDINAL_COLUMN } from "./relational-ddl.js";

/** A row as sent to `jsonb_to_recordset`: column → JSON value. */
export type Row = Record<string, JsonValue>;

/** The rows of one document: its own and those of its child tables. */
export interface ExtractedRows {
  readonly row: Row;
  readonly children: readonly { readonly table: TableMapping; readonly fkColumn: string; readonly rows: readonly Row[] }[];
}


const ELEMENT_PATH = "$value";

/**
 * Turns a document into the rows its mapping describes: mapped fields flattened into typed
 * columns (defaults for missing ones), unmapped fields into the catch-all jsonb column, arrays
 * into child rows that carry the document's key and the element's position. Returns the first
 * field whose value does not fit its column instead.
 */
export function extractRows(mapping: TableMapping, doc: Document): ExtractedRows | Rejection {
  const extracted = extractRow(mapping, doc, "");
  if (isRejection(extracted)) return extracted;
  const own = extracted.row;
  const key = own[mapping.pk.column];
  if (key === null || key === undefined) return { field: pathOfColumn(mapping, mapping.pk.column), reason: "the primary key is missing" };
  const children: { table: TableMapping; fkColumn: string; rows: Row[] }[] = [];
  for (const child of mapping.children) {
    const value = valueAt(doc, child.path);
    if (value === undefined || value === null) {
      children.push({ table: child.table, fkColumn: child.fkColumn, rows: [] });
      continue;
    }
    if (!Array.isArray(value)) return { field: child.path, reason: `${describe(value)} where an array (_ARRAY) was mapped` };
    const rows: Row[] = [];
    for (const [index, element] of value.entries()) {
      const extractedChild = extractRow(child.table, element, `${child.path}.${index}`);
      if (isRejection(extractedChild)) return extractedChild;
      rows.push({ ...extractedChild.row, [child.fkColumn]: key, [ORDINAL_COLUMN]: index });
    }
    children.push({ table: child.table, fkColumn: child.fkColumn, rows });
  }
  return { row: own, children };
}

/** Whether extraction gave up on the document. */
export function isRejection(value: object): value is Rejection {
  return "reason" in value && "field" in value && !("row" in value);
}

function extractRow(mapping: TableMapping, source: unknown, prefix: string): { readonly row: Row } | Rejection {
  const row: Row = {};
  const isElementMapping = mapping.columns.some((column) => column.path === ELEMENT_PATH);
  if (!isElementMapping && (typeof source !== "object" || source === null || Array.isArray(source))) {
    return { field: prefix, reason: `${describe(source)} where a document was mapped` };
  }
  for (const column of mapping.columns) {
    const raw = column.path === ELEMENT_PATH ? source : valueAt(source as Document, column.path);
    const value = raw === undefined || raw === null ? column.default : raw;
    const coerced = coerceValue(value, column.type);
    if (!coerced.ok) return { field: joinPath(prefix, column.path), reason: coerced.reason };
    row[column.column] = coerced.value;
  }
  if (mapping.extraColumn && !isElementMapping) row[mapping.extraColumn] = unmappedFields(mapping, source as Document);
  return { row };
}

/** The document without the fields the mapping names; null when nothing is left. */
function unmappedFields(mapping: TableMapping, doc: Document): JsonValue {
  const rest = structuredCloneDocument(doc);
  for (const path of [...mapping.columns.map((column: ColumnMapping) => column.path), ...mapping.children.map((child) => child.path)]) removePath(rest, path);
  return Object.keys(rest).length === 0 ? null : encodeDocument(rest);
}

function valueAt(doc: Document, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split(".")) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    current = (current as Document)[part];
  }
  return current;
}

/** Copies the object levels only (values are not mutated), so paths can be removed. */
function structuredCloneDocument(doc: Document): Document {
  const copy: Document = {};
  for (const [key, value] of Object.entries(doc)) copy[key] = isPlainObject(value) ? structuredCloneDocument(value) : value;
  return copy;
}

function removePath(doc: Document, path: string): void {
  const parts = path.split(".");
  const last = parts.pop();
  let current: Document = doc;
  const trail: [Document, string][] = [];
  for (const part of parts) {
    const next: unknown = current[part];
    if (!isPlainObject(next)) return;
    trail.push([current, part]);
    current = next;
  }
  if (last === undefined) return;
  delete current[last];
  // Drop parents left empty by the removal: `{address: {}}` says nothing the columns do not.
  for (let i = trail.length - 1; i >= 0; i -= 1) {
    const [parent, key] = trail[i]!;
    if (Object.keys(parent[key] as Document).length > 0) break;
    delete parent[key];
  }
}

function isPlainObject(value: unknown): value is Document {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function pathOfColumn(mapping: TableMapping, column: string): string {
  return mapping.columns.find((candidate) => candidate.column === column)?.path ?? column;
}

function joinPath(prefix: string, path: string): string {
  if (path === ELEMENT_PATH) return prefix;
  return prefix === "" ? path : `${prefix}.${path}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "object") return (value as { _bsontype?: string })._bsontype ? `a ${(value as { _bsontype: string })._bsontype}` : "a document";
  return `a ${typeof value}`;
}

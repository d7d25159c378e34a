import type { Document } from "mongodb";
import { encodeDocument, type JsonValue } from "../../../codec/document-codec.js";
import type { ColumnMapping, TableMapping } from "../../../mapping/table-mapping.js";
import { coerceValue } from "../../../mapping/value-coercion.js";
import { encodingRejection, type Rejection } from "../dead-letters.js";
import { ORDINAL_COLUMN } from "./relational-ddl.js";

/** A row as sent to `jsonb_to_recordset`: column → JSON value. */
export type Row = Record<string, JsonValue>;

/** A value left out of its column because it does not fit (only with `keepMisfits`). */
export interface Misfit {
  readonly table: TableMapping;
  readonly column: ColumnMapping;
  readonly value: unknown;
}

/** The rows of one document: its own and those of its child tables. */
export interface ExtractedRows {
  readonly row: Row;
  readonly children: readonly { readonly table: TableMapping; readonly fkColumn: string; readonly rows: readonly Row[] }[];
  /**
   * What no column or child table took, shaped like the document (the leftovers of an array's
   * elements under the array's path); absent when nothing was left.
   */
  readonly unmapped?: Document;
  readonly misfits: readonly Misfit[];
}

const ELEMENT_PATH = "$value";

/**
 * Turns a document into the rows its mapping describes: mapped fields flattened into typed
 * columns (defaults for missing ones), unmapped fields into the catch-all jsonb column, arrays
 * into child rows that carry the document's key and the element's position. Returns the first
 * field whose value does not fit its column instead (unless the mapping keeps misfits).
 */
export function extractRows(mapping: TableMapping, doc: Document): ExtractedRows | Rejection {
  const extracted = extractRow(mapping, doc, "");
  if (isRejection(extracted)) return extracted;
  const own = extracted.row;
  const key = own[mapping.pk.column];
  if (key === null || key === undefined) return { field: pathOfColumn(mapping, mapping.pk.column), reason: "the primary key is missing" };
  const misfits = [...extracted.misfits];
  const unmapped: Document = { ...extracted.rest };
  const children: { table: TableMapping; fkColumn: string; rows: Row[] }[] = [];
  for (const child of mapping.children) {
    const value = valueAt(doc, child.path);
    if (!Array.isArray(value)) {
      // A kept misfit stays in the catch-all column, which did not remove it.
      if (value !== undefined && value !== null && !mapping.keepMisfits) return { field: child.path, reason: `${describe(value)} where an array (_ARRAY) was mapped` };
      children.push({ table: child.table, fkColumn: child.fkColumn, rows: [] });
      continue;
    }
    const rows: Row[] = [];
    const leftovers: Document[] = [];
    for (const [index, element] of value.entries()) {
      const extractedChild = extractRow(child.table, element, `${child.path}.${index}`);
      if (isRejection(extractedChild)) return extractedChild;
      rows.push({ ...extractedChild.row, [child.fkColumn]: key, [ORDINAL_COLUMN]: index });
      misfits.push(...extractedChild.misfits);
      leftovers.push(extractedChild.rest ?? {});
    }
    if (leftovers.some((leftover) => Object.keys(leftover).length > 0)) setPath(unmapped, child.path, leftovers);
    children.push({ table: child.table, fkColumn: child.fkColumn, rows });
  }
  return Object.keys(unmapped).length > 0 ? { row: own, children, unmapped, misfits } : { row: own, children, misfits };
}

/** Whether extraction gave up on the document. */
export function isRejection(value: object): value is Rejection {
  return "reason" in value && "field" in value && !("row" in value);
}

interface ExtractedRow {
  readonly row: Row;
  /** The fields left for the catch-all column, when it has any. */
  readonly rest?: Document;
  readonly misfits: readonly Misfit[];
}

function extractRow(mapping: TableMapping, source: unknown, prefix: string): ExtractedRow | Rejection {
  const row: Row = {};
  const misfits: Misfit[] = [];
  const isElementMapping = mapping.columns.some((column) => column.path === ELEMENT_PATH);
  if (!isElementMapping && (typeof source !== "object" || source === null || Array.isArray(source))) {
    return { field: prefix, reason: `${describe(source)} where a document was mapped` };
  }
  const keepMisfits = mapping.keepMisfits === true && mapping.extraColumn !== undefined && !isElementMapping;
  for (const column of mapping.columns) {
    const raw = column.path === ELEMENT_PATH ? source : valueAt(source as Document, column.path);
    const value = raw === undefined || raw === null ? column.default : raw;
    const coerced = coerceValue(value, column.type);
    if (coerced.ok) row[column.column] = coerced.value;
    else if (keepMisfits && column.column !== mapping.pk.column) {
      row[column.column] = null;
      misfits.push({ table: mapping, column, value });
    } else return { field: joinPath(prefix, column.path), reason: coerced.reason };
  }
  if (!mapping.extraColumn || isElementMapping) return { row, misfits };
  const rest = unmappedFields(mapping, source as Document, new Set(misfits.map((misfit) => misfit.column.path)));
  try {
    row[mapping.extraColumn] = rest ? encodeDocument(rest) : null;
  } catch (error) {
    const rejection = encodingRejection(error, prefix);
    if (rejection) return rejection;
    throw error;
  }
  return rest ? { row, rest, misfits } : { row, misfits };
}

/** The document without the fields the mapping took (misfits stay); undefined when nothing is left. */
function unmappedFields(mapping: TableMapping, doc: Document, misfitPaths: ReadonlySet<string>): Document | undefined {
  const rest = structuredCloneDocument(doc);
  for (const column of mapping.columns) if (!misfitPaths.has(column.path)) removePath(rest, column.path);
  for (const child of mapping.children) {
    const value = valueAt(doc, child.path);
    if (Array.isArray(value) || value === null || value === undefined) removePath(rest, child.path);
  }
  return Object.keys(rest).length === 0 ? undefined : rest;
}

function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split(".");
  const last = parts.pop() ?? path;
  let current = doc;
  for (const part of parts) {
    const next: unknown = current[part];
    current = isPlainObject(next) ? next : (current[part] = {});
  }
  current[last] = value;
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

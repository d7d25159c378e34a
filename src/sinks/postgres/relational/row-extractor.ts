import type { Document } from "bson";
import { encodeDocument, type JsonValue } from "../../../codec/document-codec.js";
import type { ColumnMapping, TableMapping } from "../mapping/table-mapping.js";
import { coerceValue } from "../mapping/value-coercion.js";
import { encodingRejection, type Rejection } from "../dead-letters.js";
import { leftoverFields, setPath, valueAt } from "./mapped-paths.js";
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
const NOTHING: ReadonlySet<string> = new Set();
const NO_MISFITS: readonly Misfit[] = Object.freeze([]);

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
  // The document's misfits and its elements': a copy of its own, made once an element adds some (its own may be the shared empty list).
  let gathered: Misfit[] | undefined;
  let unmapped = extracted.rest;
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
    // Each element's leftovers, `{}` for those with none; made only once an element has some.
    let leftovers: Document[] | undefined;
    for (let index = 0; index < value.length; index += 1) {
      const extractedChild = extractRow(child.table, value[index], child.path, index);
      if (isRejection(extractedChild)) return extractedChild;
      const row = extractedChild.row;
      row[child.fkColumn] = key;
      row[ORDINAL_COLUMN] = index;
      rows.push(row);
      if (extractedChild.misfits.length > 0) (gathered ??= [...extracted.misfits]).push(...extractedChild.misfits);
      if (extractedChild.rest !== undefined) (leftovers ??= Array.from({ length: index }, () => ({}))).push(extractedChild.rest);
      else leftovers?.push({});
    }
    if (leftovers) setPath((unmapped ??= {}), child.path, leftovers);
    children.push({ table: child.table, fkColumn: child.fkColumn, rows });
  }
  const misfits = gathered ?? extracted.misfits;
  return unmapped ? { row: own, children, unmapped, misfits } : { row: own, children, misfits };
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

/** The row of a document (`index` absent) or of the element `index` of the array at `path`. */
function extractRow(mapping: TableMapping, source: unknown, path: string, index?: number): ExtractedRow | Rejection {
  const row: Row = {};
  // Made only for a misfit: most rows have none.
  let misfits: Misfit[] | undefined;
  const isElementMapping = mapsElements(mapping);
  if (!isElementMapping && (typeof source !== "object" || source === null || Array.isArray(source))) {
    return { field: elementPath(path, index), reason: `${describe(source)} where a document was mapped` };
  }
  const keepMisfits = mapping.keepMisfits === true && mapping.extraColumn !== undefined && !isElementMapping;
  const columns = mapping.columns;
  for (let at = 0; at < columns.length; at += 1) {
    const column = columns[at] as ColumnMapping;
    const raw = column.path === ELEMENT_PATH ? source : valueAt(source as Document, column.path);
    const value = raw === undefined || raw === null ? column.default : raw;
    const coerced = coerceValue(value, column.type);
    if (coerced.ok) row[column.column] = coerced.value;
    else if (keepMisfits && column.column !== mapping.pk.column) {
      row[column.column] = null;
      (misfits ??= []).push({ table: mapping, column, value });
    } else return { field: joinPath(elementPath(path, index), column.path), reason: coerced.reason };
  }
  if (!mapping.extraColumn || isElementMapping) return { row, misfits: misfits ?? NO_MISFITS };
  const rest = leftoverFields(mapping, source as Document, misfits === undefined ? NOTHING : new Set(misfits.map((misfit) => misfit.column.path)));
  try {
    row[mapping.extraColumn] = rest ? encodeDocument(rest) : null;
  } catch (error) {
    const rejection = encodingRejection(error, elementPath(path, index));
    if (rejection) return rejection;
    throw error;
  }
  return rest ? { row, rest, misfits: misfits ?? NO_MISFITS } : { row, misfits: misfits ?? NO_MISFITS };
}

const elementMappings = new WeakMap<TableMapping, boolean>();

/** Whether a table's rows are the elements of an array of scalars (a column of the element itself): once per mapping. */
function mapsElements(mapping: TableMapping): boolean {
  let elements = elementMappings.get(mapping);
  if (elements === undefined) elementMappings.set(mapping, (elements = mapping.columns.some((column) => column.path === ELEMENT_PATH)));
  return elements;
}

/** The path of a document (`index` absent) or of the element `index` of the array at `path`, for messages. */
function elementPath(path: string, index: number | undefined): string {
  return index === undefined ? path : `${path}.${index}`;
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

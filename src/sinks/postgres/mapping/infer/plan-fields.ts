import { JSONB, looksLikeMap, scalarColumnType } from "./column-choice.js";
import type { FieldProfile } from "./field-profile.js";

/** What inference makes of one field: a column, or (an array of documents) a child table. */
export type PlannedField =
  | { readonly kind: "column"; readonly path: string; readonly type: string }
  | { readonly kind: "child"; readonly path: string; readonly elements: FieldProfile };

export interface PlanOptions {
  /** Arrays of documents become child tables (not inside a child table: there they are `JSONB`). */
  readonly children: boolean;
}

/**
 * The columns and child tables for the fields of a document-valued profile: sub-documents
 * flattened (`address.city`), arrays of documents as child tables, arrays of one scalar type as
 * array columns, maps keyed by data and everything irregular as `JSONB`. Fields whose name holds
 * a `.` or starts with `$` cannot be named by a path: they are left to the catch-all column.
 */
export function planFields(profile: FieldProfile, options: PlanOptions, prefix = ""): PlannedField[] {
  const planned: PlannedField[] = [];
  for (const [name, field] of profile.fields ?? []) {
    if (name === "" || name.includes(".") || name.startsWith("$")) continue;
    planned.push(...planField(field, prefix === "" ? name : `${prefix}.${name}`, options));
  }
  return planned;
}

function planField(field: FieldProfile, path: string, options: PlanOptions): PlannedField[] {
  const present = [...field.kinds].filter((kind) => kind !== "null");
  if (present.length === 1 && present[0] === "document" && field.fields && !looksLikeMap(field)) {
    return planFields(field, options, path);
  }
  if (present.length === 1 && present[0] === "array") return [planArray(field.elements, path, options)];
  return [{ kind: "column", path, type: scalarColumnType(field.kinds) }];
}

function planArray(elements: FieldProfile | undefined, path: string, options: PlanOptions): PlannedField {
  const kinds = [...(elements?.kinds ?? [])];
  // Null elements among documents would have no row to go to: such arrays stay whole.
  if (elements && kinds.length === 1 && kinds[0] === "document" && options.children) return { kind: "child", path, elements };
  const scalar = kinds.length > 0 && kinds.every((kind) => kind !== "document" && kind !== "array");
  const type = scalar ? scalarColumnType(kinds) : JSONB;
  return { kind: "column", path, type: type === JSONB ? JSONB : `${type}[]` };
}

import type { CollectionEntry, FieldEntry } from "../mapping-file-schema.js";
import { RESERVED_KEYS } from "../mapping-file-schema.js";
import { keyColumnType } from "./column-choice.js";
import type { FieldProfile } from "./field-profile.js";
import { NameAllocator, snakeCase } from "./identifier-names.js";
import { planFields, type PlannedField } from "./plan-fields.js";

/**
 * The entries of one database in a mapping file: collections and their child tables
 * (`PostgresSink.inferredMappings()` gives them per collection).
 * @public
 */
export type DatabaseEntries = Record<string, CollectionEntry>;

const ARRAY_TYPE = "_ARRAY";
const KEY_FIELD = "_id";
/** Generated key of an inferred child table, and the column holding the parent's key. */
export const CHILD_KEY = "_row_id";
export const CHILD_FOREIGN_KEY = "_parent_id";
/** Columns every table has already (bookkeeping, catch-all), which no field may take. */
const PARENT_COLUMNS = [KEY_FIELD, "_extra", "_cluster_time", "_synced_at"];
const CHILD_COLUMNS = [CHILD_KEY, CHILD_FOREIGN_KEY, "_ordinal", "_extra", "_synced_at"];

/**
 * The table name of a collection: its name in snake_case, or `<db>_<collection>` when a
 * collection of another database already has that name.
 */
export function tableNameFor(db: string, coll: string, tables: NameAllocator): string {
  const wanted = snakeCase(coll);
  return tables.take(tables.has(wanted) ? snakeCase(`${db}_${coll}`) : wanted);
}

/**
 * The entries inferred for one collection from the profile of its documents: the collection's
 * entry (key `_id`, one field per column) and one entry per child table.
 */
export function inferCollectionEntries(coll: string, table: string, documents: FieldProfile, tables: NameAllocator): DatabaseEntries {
  const entry = newEntry(KEY_FIELD);
  if (table !== coll) entry.$table = table;
  setField(entry, KEY_FIELD, { dest: KEY_FIELD, type: keyColumnType(documents.fields?.get(KEY_FIELD)) });
  const entries: DatabaseEntries = { [coll]: entry };
  addFields(entries, coll, planFields(documents, { children: true }), tables);
  return entries;
}

/**
 * Schema evolution of an inferred mapping: fields of `unmapped` (what the current mapping left to
 * the catch-all column) that no mapped path covers become new columns or child tables; numeric
 * columns in `widen` become `NUMERIC`. A field that collides with a mapped one (a sub-document
 * where a scalar was mapped, or the reverse) is left in the catch-all column. Changes `entries`;
 * returns whether anything changed.
 */
export function evolveEntries(entries: DatabaseEntries, coll: string, unmapped: FieldProfile, widen: readonly { entry: string; path: string }[], tables: NameAllocator): boolean {
  for (const { entry, path } of widen) {
    const field = fieldOf(entries[entry], path);
    if (field) setField(entries[entry]!, path, { ...field, type: field.type.endsWith("[]") ? "NUMERIC[]" : "NUMERIC" });
  }
  return addFields(entries, coll, planFields(unmapped, { children: true }), tables) || widen.length > 0;
}

/** The entries of a renamed collection: its entry under the new name, its table `table`; children unchanged. */
export function renameCollectionEntry(entries: DatabaseEntries, from: string, to: string, table: string): DatabaseEntries {
  const renamed: DatabaseEntries = {};
  for (const [name, entry] of Object.entries(entries)) {
    if (name !== from) renamed[name] = entry;
  }
  const entry = { ...entries[from] } as CollectionEntry;
  delete entry.$table;
  if (table !== to) entry.$table = table;
  renamed[to] = entry;
  return renamed;
}

function addFields(entries: DatabaseEntries, entryName: string, planned: readonly PlannedField[], tables: NameAllocator): boolean {
  const entry = entries[entryName];
  if (!entry) return false;
  const isChild = entry.pk === CHILD_KEY;
  const fields = fieldEntries(entry);
  const columns = new NameAllocator([...(isChild ? CHILD_COLUMNS : PARENT_COLUMNS), ...fields.map(([, field]) => field.dest)]);
  const paths = fields.map(([path]) => path);
  let changed = false;
  for (const field of planned) {
    if (!isChild && field.path === KEY_FIELD) continue;
    const existing = fieldOf(entry, field.path);
    if (field.kind === "child" && existing?.type === ARRAY_TYPE) {
      changed = addFields(entries, existing.dest, planFields(field.elements, { children: false }), tables) || changed;
      continue;
    }
    if (paths.some((path) => collides(path, field.path))) continue;
    paths.push(field.path);
    changed = true;
    if (field.kind === "column") {
      setField(entry, field.path, { dest: columns.take(snakeCase(field.path)), type: field.type });
      continue;
    }
    const childTable = tables.take(`${entry.$table ?? entryName}_${snakeCase(field.path)}`);
    setField(entry, field.path, { dest: childTable, type: ARRAY_TYPE, fk: CHILD_FOREIGN_KEY });
    entries[childTable] = newEntry(CHILD_KEY);
    addFields(entries, childTable, planFields(field.elements, { children: false }), tables);
  }
  return changed;
}

function newEntry(pk: string): CollectionEntry {
  // The entry type mixes fixed keys with an index signature of fields, which literals cannot satisfy.
  return { pk } as CollectionEntry;
}

/** Two paths collide when they are equal or one lies inside the other. */
function collides(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

function fieldEntries(entry: CollectionEntry): [string, FieldEntry][] {
  return Object.entries(entry).filter((pair): pair is [string, FieldEntry] => !RESERVED_KEYS.has(pair[0]));
}

function fieldOf(entry: CollectionEntry | undefined, path: string): FieldEntry | undefined {
  return entry && !RESERVED_KEYS.has(path) ? (entry[path] as FieldEntry | undefined) : undefined;
}

function setField(entry: CollectionEntry, path: string, field: FieldEntry): void {
  (entry as Record<string, unknown>)[path] = field;
}

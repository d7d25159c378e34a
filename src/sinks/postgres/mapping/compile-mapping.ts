import { KNOWN_COLUMN_TYPES, parseColumnType, type ColumnType } from "./column-type.js";
import { RESERVED_KEYS, type CollectionEntry, type FieldEntry, type MappingFile } from "./mapping-file-schema.js";
import { allTables, type ChildMapping, type ColumnMapping, type RelationalMapping, type TableMapping } from "./table-mapping.js";
import { coerceValue } from "./value-coercion.js";
import { CLUSTER_TIME_COLUMN, ORDINAL_COLUMN, SYNCED_AT_COLUMN } from "../relational/relational-ddl.js";
import { quoteIdent } from "../sql.js";

const ARRAY_TYPE = "_ARRAY";
const ELEMENT_PATH = "$value";
const DEFAULT_EXTRA_COLUMN = "_extra";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const GENERATED_PK_TYPE: ColumnType = { sql: "bigint", family: "bigint", array: false };
/** Columns the relational tables keep for Tributary itself (relational-ddl.ts): no field may be mapped to them. */
const BOOKKEEPING_COLUMNS: ReadonlySet<string> = new Set([CLUSTER_TIME_COLUMN, SYNCED_AT_COLUMN, ORDINAL_COLUMN]);

/** How a mapping file is compiled (`loadMapping`, `parseMapping`). @public */
export interface CompileOptions {
  /** Schema of tables whose entry names none. */
  readonly defaultSchema: string;
  /** Values that do not fit their column stay in the catch-all column (see {@link TableMapping.keepMisfits}). */
  readonly keepMisfits?: boolean;
  /** The cast of fields whose entry and field name none (a mapping file's top-level `"$cast"`); default strict. */
  readonly cast?: "strict" | "lenient";
}

/**
 * Compiles a parsed mapping file, checking everything a wrong mapping could get wrong before
 * any data moves. Returns the mapping, or every problem found, each naming the collection and
 * the field.
 */
export function compileMapping(file: string, raw: MappingFile, options: CompileOptions): { mapping: RelationalMapping; problems: string[] } {
  const problems: string[] = [];
  const collections = new Map<string, TableMapping>();
  for (const [db, entries] of Object.entries(raw)) {
    const childNames = new Set(Object.values(entries).flatMap((entry) => arrayFields(entry).map(([, field]) => field.dest)));
    for (const [coll, entry] of Object.entries(entries)) {
      if (childNames.has(coll)) continue;
      const table = compileTable({ db, coll, source: `${db}.${coll}`, entry, entries, options, problems, isChild: false });
      if (table) collections.set(`${db}.${coll}`, table);
    }
  }
  const tables = new Map<string, string>();
  for (const table of [...collections.values()].flatMap(allTables)) {
    const name = `${table.schema}.${table.table}`;
    const other = tables.get(name);
    if (other) problems.push(`${table.source} and ${other} both map to table ${name} (give one of them its own "$table")`);
    else tables.set(name, table.source);
  }
  if (collections.size === 0 && problems.length === 0) {
    problems.push(`it maps no collection: add one, e.g. { "shop": { "orders": { "pk": "id", "_id": { "dest": "id", "type": "TEXT" } } } }`);
  }
  // Frozen whole: the writers keep what they make from a table mapping (its statements, its path tree) by the object.
  for (const table of collections.values()) deepFreeze(table);
  return { mapping: { file, collections }, problems };
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

function arrayFields(entry: CollectionEntry): [string, FieldEntry][] {
  return fieldsOf(entry).filter(([, field]) => field.type.toUpperCase() === ARRAY_TYPE);
}

function fieldsOf(entry: CollectionEntry): [string, FieldEntry][] {
  return Object.entries(entry).filter((pair): pair is [string, FieldEntry] => !RESERVED_KEYS.has(pair[0]));
}

interface TableContext {
  readonly db: string;
  readonly coll: string;
  readonly source: string;
  readonly entry: CollectionEntry;
  readonly entries: Readonly<Record<string, CollectionEntry>>;
  readonly options: CompileOptions;
  readonly problems: string[];
  readonly isChild: boolean;
  /** For a child table: the fk column and the type of the parent's key. */
  readonly foreignKey?: { readonly column: string; readonly type: ColumnType };
}

function compileTable(context: TableContext): TableMapping | undefined {
  const { entry, source, problems } = context;
  const before = problems.length;
  const report = (message: string): void => void problems.push(`${source}: ${message}`);

  const schema = entry.$schema ?? context.options.defaultSchema;
  const table = entry.$table ?? context.coll;
  if (!IDENTIFIER.test(schema)) report(`"$schema" ${JSON.stringify(schema)} is not a valid PostgreSQL identifier`);
  if (!IDENTIFIER.test(table)) report(`table name ${JSON.stringify(table)} is not a valid PostgreSQL identifier (set "$table")`);

  const columns: ColumnMapping[] = [];
  const children: ChildMapping[] = [];
  for (const [path, field] of fieldsOf(entry)) {
    const where = `field ${JSON.stringify(path)}`;
    if (!IDENTIFIER.test(field.dest)) report(`${where}: dest ${JSON.stringify(field.dest)} is not a valid PostgreSQL identifier`);
    if (BOOKKEEPING_COLUMNS.has(field.dest) && field.type.toUpperCase() !== ARRAY_TYPE) {
      report(`${where}: dest ${JSON.stringify(field.dest)} is a column Tributary keeps itself (${[...BOOKKEEPING_COLUMNS].join(", ")}); choose another name`);
    }
    if (field.type.toUpperCase() === ARRAY_TYPE) {
      if (context.isChild) {
        report(`${where}: arrays inside an array's child table are not supported (map the inner array to a jsonb column)`);
        continue;
      }
      const child = compileChild(context, path, field, report);
      if (child) children.push(child);
      continue;
    }
    const parsed = parseColumnType(field.type);
    const type = parsed && (field.cast ?? entry.$cast ?? context.options.cast) === "lenient" ? { ...parsed, cast: "lenient" as const } : parsed;
    if (!type) {
      report(`${where}: unknown type ${JSON.stringify(field.type)} (known: ${KNOWN_COLUMN_TYPES}, each also as an array like "TEXT[]", and "_ARRAY" for a child table)`);
      continue;
    }
    if (field.fk !== undefined) report(`${where}: "fk" only applies to fields of type "_ARRAY"`);
    if (field.default !== undefined && field.default !== null) {
      const fits = coerceValue(field.default, type);
      if (!fits.ok) report(`${where}: "default" ${JSON.stringify(field.default)} does not fit its column: ${fits.reason}`);
    }
    // The parent's key, declared in the child mapping as the format asks: filled from the parent.
    if (context.foreignKey && field.dest === context.foreignKey.column) continue;
    columns.push(field.default === undefined ? { path, column: field.dest, type } : { path, column: field.dest, type, default: field.default });
  }

  checkPathCollisions(columns.map((column) => column.path).concat(children.map((child) => child.path)), report);
  const extraColumn = entry.$extra === false ? undefined : (entry.$extra ?? DEFAULT_EXTRA_COLUMN);
  if (extraColumn !== undefined && BOOKKEEPING_COLUMNS.has(extraColumn)) report(`"$extra" ${JSON.stringify(extraColumn)} is a column Tributary keeps itself; choose another name`);
  const names = [...columns.map((column) => column.column), ...(context.foreignKey ? [context.foreignKey.column] : []), ...(extraColumn ? [extraColumn] : [])];
  for (const duplicate of new Set(names.filter((name, index) => names.indexOf(name) !== index))) {
    report(`column ${JSON.stringify(duplicate)} is the dest of more than one field`);
  }

  const pkName = entry.pk;
  if (pkName === undefined) report(`missing "pk": name the column that is the table's primary key (e.g. "pk": "id" with "_id": {"dest": "id", "type": "TEXT"})`);
  const pkColumn = columns.find((column) => column.column === pkName);
  if (pkName !== undefined && !pkColumn && !context.isChild) {
    report(`"pk" ${JSON.stringify(pkName)} is not the dest of any field (map the document key to it, e.g. "_id": {"dest": ${JSON.stringify(pkName)}, "type": "TEXT"})`);
  }
  if (pkColumn && !context.isChild && pkColumn.path !== "_id") {
    report(`"pk" ${JSON.stringify(pkName)} is mapped from ${JSON.stringify(pkColumn.path)}, but it must be mapped from "_id", the only field a delete carries`);
  }
  if (problems.length > before || pkName === undefined) return undefined;

  const mapping: TableMapping = {
    source,
    schema,
    table,
    pk: pkColumn ? { column: pkName, type: pkColumn.type, generated: false } : { column: pkName, type: GENERATED_PK_TYPE, generated: true },
    columns,
    children,
    indices: [...(entry.indices ?? []), ...fieldIndices(table, columns, entry)],
    ...(extraColumn ? { extraColumn } : {}),
    ...(context.options.keepMisfits ? { keepMisfits: true } : {}),
  };
  return mapping;
}

function compileChild(parent: TableContext, path: string, field: FieldEntry, report: (message: string) => void): ChildMapping | undefined {
  const where = `field ${JSON.stringify(path)}`;
  if (field.fk === undefined) {
    report(`${where}: type "_ARRAY" needs "fk", the column of ${JSON.stringify(field.dest)} that holds this document's key`);
    return undefined;
  }
  if (!IDENTIFIER.test(field.fk)) report(`${where}: fk ${JSON.stringify(field.fk)} is not a valid PostgreSQL identifier`);
  const entry = parent.entries[field.dest];
  if (!entry) {
    report(`${where}: "dest": ${JSON.stringify(field.dest)} names no mapping in database ${parent.db} (add an entry "${field.dest}" describing the rows of this array)`);
    return undefined;
  }
  const parentPk = parent.entry.pk;
  const parentKeyField = fieldsOf(parent.entry).find(([, candidate]) => candidate.dest === parentPk)?.[1];
  const parentKeyType = (parentKeyField && parseColumnType(parentKeyField.type)) || GENERATED_PK_TYPE;
  const declared = fieldsOf(entry).find(([, candidate]) => candidate.dest === field.fk)?.[1];
  const fkType = (declared && parseColumnType(declared.type)) || parentKeyType;
  const table = compileTable({
    ...parent,
    coll: field.dest,
    source: `${parent.source} → ${field.dest}`,
    entry,
    isChild: true,
    foreignKey: { column: field.fk, type: fkType },
  });
  return table ? { path, fkColumn: field.fk, fkType, table } : undefined;
}

/** `"index": true` on a field: `INDEX idx_<table>_<dest> ON <table> (<dest>)`, named as mongo-connector-postgresql names it. */
function fieldIndices(table: string, columns: readonly ColumnMapping[], entry: CollectionEntry): string[] {
  const indexed = new Set(fieldsOf(entry).flatMap(([, field]) => (field.index !== undefined && field.index !== false ? [field.dest] : [])));
  return columns.filter((column) => indexed.has(column.column)).map((column) => `INDEX ${quoteIdent(`idx_${table}_${column.column}`.slice(0, 63))} ON ${quoteIdent(table)} (${quoteIdent(column.column)})`);
}

function checkPathCollisions(paths: readonly string[], report: (message: string) => void): void {
  for (const path of paths) {
    for (const other of paths) {
      if (other !== path && other.startsWith(`${path}.`)) {
        report(`field ${JSON.stringify(other)} collides with field ${JSON.stringify(path)}: a path cannot be mapped both whole and in parts`);
      }
    }
  }
  // `$value` is the whole element of an array of scalars: nothing else fits beside it.
  if (paths.includes(ELEMENT_PATH) && paths.length > 1) report(`"${ELEMENT_PATH}" maps the whole array element, so no other field can be mapped beside it`);
}

import type { ClientBase } from "pg";
import { parseColumnType } from "./mapping/column-type.js";
import { foldedTwin, readExistingTable, type ExistingColumn, type ExistingTable } from "./existing-table.js";
import { parentKeyIndexName, parentKeyIndexStatement, SYNCED_AT_COLUMN } from "./relational/relational-ddl.js";
import { qualifiedName, quoteIdent } from "./sql.js";
import type { ExpectedColumn, ExpectedTable } from "./table-shape.js";

/** One change that makes an existing table fit: what it does, in words, and its statements. */
export interface AdoptionStep {
  readonly what: string;
  readonly statements: readonly string[];
}

/** What an existing table needs before Tributary can write it, and what stops it from being used. */
export interface AdoptionPlan {
  readonly table: ExpectedTable;
  readonly steps: readonly AdoptionStep[];
  /** Each names the table, the column and what to do. */
  readonly blockers: readonly string[];
  /** Worth knowing, stops nothing (rows kept that a constraint cannot vouch for). */
  readonly notes: readonly string[];
}

/**
 * The value `_cluster_time` gets in rows that were there before Tributary: their change's time is
 * unknown, and 1970-01-01 says so plainly (a later change rewrites it).
 */
const UNKNOWN_CLUSTER_TIME = "'epoch'";
const INTEGER_TYPES: ReadonlySet<string> = new Set(["smallint", "integer", "bigint"]);
const SAMPLE_KEYS = 3;

/**
 * Compares a table that may already exist (written by mongo-connector-postgresql, say) with the
 * table Tributary would create, and plans what makes it fit without losing a row: missing
 * columns added (bookkeeping columns filled for the rows already there), the unique key that
 * upserts need, a child table's cascading reference to its parent. What cannot be done safely
 * (a column of another type, duplicate keys, a NOT NULL column Tributary does not write, a name
 * PostgreSQL folded to lower case) is a blocker naming the table, the column and the way out.
 * Reads the catalog only; nothing is changed.
 */
export async function planAdoption(client: ClientBase, table: ExpectedTable): Promise<AdoptionPlan> {
  const steps: AdoptionStep[] = [];
  const blockers: string[] = [];
  const notes: string[] = [];
  const plan = { table, steps, blockers, notes };
  const name = `${table.schema}.${table.table}`;
  const existing = await readExistingTable(client, table.schema, table.table);
  if (!existing) {
    const twin = await foldedTwin(client, table.schema, table.table);
    if (twin) {
      blockers.push(
        `table ${name} does not exist but ${table.schema}.${twin} does (PostgreSQL folds unquoted names to lower case, as mongo-connector-postgresql created them): set "$table": "${twin}" for ${table.source} to write into it`,
      );
    }
    return plan;
  }
  const sql = qualifiedName(table.schema, table.table);
  const expectedNames = new Set(table.columns.map((column) => column.name));
  for (const column of table.columns) {
    const actual = existing.columns.get(column.name);
    if (actual) {
      checkColumn(name, column, actual, blockers);
      if (column.name === SYNCED_AT_COLUMN && !actual.filled) {
        // Tributary's INSERT leaves _synced_at to the table's default.
        steps.push({ what: `set the default of ${column.name} to now()`, statements: [`ALTER TABLE ${sql} ALTER COLUMN ${quoteIdent(column.name)} SET DEFAULT now()`] });
      }
    } else planMissingColumn({ name, sql, table, existing, column, steps, blockers });
  }
  for (const column of existing.columns.values()) {
    if (!expectedNames.has(column.name) && column.notNull && !column.filled) {
      blockers.push(`column ${name}.${column.name} is NOT NULL without a default, and Tributary does not write it: drop the constraint (ALTER TABLE ${sql} ALTER COLUMN ${quoteIdent(column.name)} DROP NOT NULL) or give it a default`);
    }
  }
  if (upsertsOnKey(table) && existing.columns.has(table.key)) await planKey(client, { name, sql, table, existing, steps, blockers });
  if (table.parent) {
    await planParentReference(client, { name, sql, table, existing, steps, blockers }, notes);
    await planParentIndex(client, { name, sql, table, existing, steps, blockers });
  }
  return plan;
}

interface PlanContext {
  /** `schema.table` for messages. */
  readonly name: string;
  /** `"schema"."table"` for statements. */
  readonly sql: string;
  readonly table: ExpectedTable;
  readonly existing: ExistingTable;
  readonly steps: AdoptionStep[];
  readonly blockers: string[];
}

/** `character varying(20)` → `varchar(20)`: the catalog's spelling in the mapping's. */
function normalizedType(type: string): string {
  return parseColumnType(type)?.sql ?? type;
}

function checkColumn(name: string, column: ExpectedColumn, actual: ExistingColumn, blockers: string[]): void {
  const type = normalizedType(actual.type);
  const where = `column ${name}.${column.name}`;
  if (column.role === "generatedKey") {
    if (!INTEGER_TYPES.has(type)) blockers.push(`${where} is ${actual.type}; as a child table's generated key it must be smallint, integer or bigint`);
    else if (!actual.filled) blockers.push(`${where} is the child table's generated key but has no default: give it one (a sequence or an identity), since Tributary leaves it out of its inserts`);
    return;
  }
  if (actual.generated) {
    blockers.push(`${where} is generated by PostgreSQL (GENERATED ALWAYS), but Tributary writes ${column.sql} there: drop the expression or identity (ALTER TABLE … ALTER COLUMN ${quoteIdent(column.name)} DROP EXPRESSION, or DROP IDENTITY), or map the field to another column`);
  }
  if (type !== column.sql) {
    const fix = column.role === "data" ? `set the field's "type" to "${type}" in the mapping, or convert the column` : "convert the column";
    blockers.push(`${where} is ${actual.type}, but Tributary writes ${column.sql} there: ${fix} (ALTER TABLE … ALTER COLUMN ${quoteIdent(column.name)} TYPE ${column.sql})`);
  }
  // Tributary's INSERT names every column it writes (NULL for a missing field), so a column default never fills it.
  if (column.nullable && actual.notNull) {
    blockers.push(`${where} is NOT NULL, but a document without that field writes NULL there: drop the constraint (ALTER TABLE … ALTER COLUMN ${quoteIdent(column.name)} DROP NOT NULL) or give the field a "default" in the mapping`);
  }
}

function planMissingColumn(context: PlanContext & { readonly column: ExpectedColumn }): void {
  const { name, sql, table, existing, column, steps, blockers } = context;
  const twin = [...existing.columns.keys()].find((other) => other !== column.name && other.toLowerCase() === column.name.toLowerCase());
  if (twin) {
    blockers.push(`column ${name}.${column.name} does not exist but ${twin} does (PostgreSQL folds unquoted names to lower case): set "dest": "${twin}" in the mapping`);
    return;
  }
  const add = `ALTER TABLE ${sql} ADD COLUMN ${quoteIdent(column.name)}`;
  const what = `add column ${column.name}`;
  switch (column.role) {
    case "key":
      blockers.push(`table ${name} has no column ${column.name}, the key column Tributary writes ${table.source}'s _id to`);
      return;
    case "generatedKey":
      // Identity numbers the rows already there.
      steps.push({ what, statements: [`${add} bigint GENERATED BY DEFAULT AS IDENTITY`] });
      return;
    case "parentKey":
    case "data":
      if (!column.nullable && existing.hasRows) {
        blockers.push(`table ${name} has no column ${column.name} (${column.sql}), and its rows would have nothing to put there`);
        return;
      }
      steps.push({ what, statements: [`${add} ${column.sql}`] });
      return;
    case "bookkeeping":
      steps.push({ what, statements: bookkeepingStatements(add, column.name, table) });
  }
}

/** `_cluster_time`, `_synced_at`, `_ordinal`, filled for the rows already there, then NOT NULL like Tributary's own. */
function bookkeepingStatements(add: string, column: string, table: ExpectedTable): string[] {
  const sql = qualifiedName(table.schema, table.table);
  const name = quoteIdent(column);
  if (column === SYNCED_AT_COLUMN) return [`${add} timestamptz NOT NULL DEFAULT now()`];
  if (column === "_ordinal" && table.parent) {
    // Array elements were inserted in order, so the key numbers them in order within each parent.
    const rank = `SELECT ctid, row_number() OVER (PARTITION BY ${quoteIdent(table.parent.column)} ORDER BY ${quoteIdent(table.key)}) - 1 AS n FROM ${sql}`;
    return [`${add} integer`, `UPDATE ${sql} AS t SET ${name} = o.n FROM (${rank}) AS o WHERE t.ctid = o.ctid`, `ALTER TABLE ${sql} ALTER COLUMN ${name} SET NOT NULL`];
  }
  return [`${add} timestamptz NOT NULL DEFAULT ${UNKNOWN_CLUSTER_TIME}`, `ALTER TABLE ${sql} ALTER COLUMN ${name} DROP DEFAULT`];
}

/**
 * A child table's generated key is only numbered: its rows are deleted by their parent's key and
 * inserted, never upserted, so it needs no unique index (Tributary keys such tables by the parent's
 * key and the element's position, relational-ddl.ts). Every other key needs one: a collection's
 * rows are upserted on it, and a child key taken from the elements is declared unique by the mapping.
 */
function upsertsOnKey(table: ExpectedTable): boolean {
  return table.columns.some((column) => column.name === table.key && column.role === "key");
}

/** Upserts say `ON CONFLICT (key)`: the key needs a unique index of its own. */
async function planKey(client: ClientBase, context: PlanContext): Promise<void> {
  const { name, sql, table, existing, steps, blockers } = context;
  if (existing.deferredUniqueColumns.has(table.key)) {
    blockers.push(`column ${name}.${table.key} is Tributary's key but its unique constraint is DEFERRABLE, which INSERT … ON CONFLICT cannot use: drop it, or recreate it NOT DEFERRABLE`);
    return;
  }
  if (existing.uniqueColumns.has(table.key)) return;
  const key = quoteIdent(table.key);
  const duplicates = await client.query<{ key: string; n: string }>(
    `SELECT ${key}::text AS key, count(*) AS n FROM ${sql} WHERE ${key} IS NOT NULL GROUP BY ${key} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT ${SAMPLE_KEYS}`,
  );
  if (duplicates.rows.length > 0) {
    const examples = duplicates.rows.map((row) => `${JSON.stringify(row.key)} ×${row.n}`).join(", ");
    blockers.push(`column ${name}.${table.key} is Tributary's key but has no unique index, and some of its values appear more than once (${examples}): remove the duplicates first`);
    return;
  }
  if (existing.primaryKey) {
    steps.push({ what: `add a unique constraint on ${table.key}`, statements: [`ALTER TABLE ${sql} ADD UNIQUE (${key})`] });
    return;
  }
  const nulls = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql} WHERE ${key} IS NULL`)).rows[0]?.n ?? 0);
  if (nulls > 0) {
    blockers.push(`column ${name}.${table.key} is Tributary's key but has no unique index, and ${nulls} rows have no key (NULL): delete or fill them first`);
    return;
  }
  steps.push({ what: `add the primary key (${table.key})`, statements: [`ALTER TABLE ${sql} ADD PRIMARY KEY (${key})`] });
}

/**
 * A child table's rows are deleted by their parent's key, at each update of the parent and by the
 * cascade of its delete: without an index led by that column each such delete reads the whole
 * table (mongo-connector-postgresql created none).
 */
async function planParentIndex(client: ClientBase, context: PlanContext): Promise<void> {
  const { sql, table, existing, steps } = context;
  const column = table.parent?.column;
  if (column === undefined || existing.leadingIndexColumns.has(column)) return;
  // Named as Tributary names its own, so that creating the tables (IF NOT EXISTS) adds no twin;
  // PostgreSQL names it when that name is taken (by an index that cannot serve, say a partial one).
  const named = qualifiedName(table.schema, parentKeyIndexName(table.table, column));
  const taken = (await client.query<{ taken: boolean }>("SELECT to_regclass($1) IS NOT NULL AS taken", [named])).rows[0]?.taken === true;
  const statement = taken ? `CREATE INDEX ON ${sql} (${quoteIdent(column)})` : parentKeyIndexStatement(sql, table.table, column);
  steps.push({ what: `add an index on ${column} (child rows are deleted by it)`, statements: [statement] });
}

/** A child table's rows go with their parent's: a foreign key with ON DELETE CASCADE. */
async function planParentReference(client: ClientBase, context: PlanContext, notes: string[]): Promise<void> {
  const { name, sql, table, existing, steps, blockers } = context;
  const parent = table.parent;
  if (!parent) return;
  const parentName = `${parent.schema}.${parent.table}`;
  const reference = existing.references.get(parent.column);
  if (reference) {
    if (reference.schema !== parent.schema || reference.table !== parent.table || reference.column !== parent.key) {
      blockers.push(`column ${name}.${parent.column} references ${reference.schema}.${reference.table}(${reference.column}), not ${parentName}(${parent.key}): drop that foreign key`);
    } else if (!reference.cascades) {
      blockers.push(`the foreign key of ${name}.${parent.column} does not cascade deletes, so deleting a document of ${parentName} would fail: recreate it with ON DELETE CASCADE`);
    }
    return;
  }
  const parentSql = qualifiedName(parent.schema, parent.table);
  if ((await client.query<{ oid: unknown }>("SELECT to_regclass($1) AS oid", [parentSql])).rows[0]?.oid === null) {
    blockers.push(`table ${name} exists but its parent table ${parentName} does not: create ${parentName} first, or drop ${name}`);
    return;
  }
  const column = quoteIdent(parent.column);
  const add = `ALTER TABLE ${sql} ADD FOREIGN KEY (${column}) REFERENCES ${parentSql} (${quoteIdent(parent.key)}) ON DELETE CASCADE`;
  // A parent key column added by adoption is on a table without rows: no orphans.
  const orphans = existing.hasRows && existing.columns.has(parent.column)
    ? Number(
        (
          await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM ${sql} AS c WHERE c.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${parentSql} AS p WHERE p.${quoteIdent(parent.key)} = c.${column})`,
          )
        ).rows[0]?.n ?? 0,
      )
    : 0;
  if (orphans === 0) {
    steps.push({ what: `add the foreign key ${parent.column} → ${parentName} (ON DELETE CASCADE)`, statements: [add] });
    return;
  }
  // mongo-connector-postgresql deleted a document's row but not its child rows: keep them, check only new rows.
  steps.push({ what: `add the foreign key ${parent.column} → ${parentName} (ON DELETE CASCADE, NOT VALID)`, statements: [`${add} NOT VALID`] });
  notes.push(
    `${orphans} rows of ${name} reference no row of ${parentName} (left behind by deletes); they are kept and the foreign key is NOT VALID until they are gone: DELETE them, then ALTER TABLE ${sql} VALIDATE CONSTRAINT …`,
  );
}

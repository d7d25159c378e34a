import { qualifiedName, quoteIdent } from "../sql.js";
import type { TableMapping } from "./table-mapping.js";

/**
 * `[UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] <table>`: the head of a
 * mapping's index up to the table it names (`"quoted"` or bare, maybe `schema.`-qualified).
 */
const INDEX_HEAD =
  /^((?:UNIQUE\s+)?INDEX\s+)(?:CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?((?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s+)?(ON\s+(?:ONLY\s+)?)("(?:[^"]|"")+"|[A-Za-z_][\w$]*)(\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?/i;

/**
 * The `CREATE` statement of one of a mapping's `indices`, as mongo-connector-postgresql wrote
 * them (`UNIQUE INDEX category_idx ON leads(category)`, run as `"CREATE " + index`), made to land
 * on the mapping's table wherever the mapping puts it:
 * - `IF NOT EXISTS` is added, so that a restart does not fail on it;
 * - a table named without a schema is qualified with the schema of the entry that lists the
 *   index (`$schema`, else `--schema`), since the sync's connection searches `public`, not that
 *   schema;
 * - a bare name that is one of the entry's tables, whatever its case, becomes that table's exact
 *   name: PostgreSQL folds `ON LeadMonitoring` to `leadmonitoring`, while Tributary creates the
 *   table `"LeadMonitoring"` as the mapping spells it.
 * `CONCURRENTLY` is dropped: it cannot run inside the transaction that creates the table.
 * Anything else is left as written; an index that still fails is reported and skipped.
 */
export function indexStatement(index: string, owner: TableMapping, tables: readonly TableMapping[]): string {
  const written = index.trim();
  const match = INDEX_HEAD.exec(written);
  if (!match) return `CREATE ${written}`;
  const [head = "", kind = "", , name = "", on = "", table = "", qualified] = match;
  const target = qualified === undefined ? targetTable(table, owner, tables) : `${table}${qualified}`;
  return `CREATE ${kind}IF NOT EXISTS ${name}${on}${target}${written.slice(head.length)}`;
}

function targetTable(written: string, owner: TableMapping, tables: readonly TableMapping[]): string {
  if (written.startsWith('"')) return `${quoteIdent(owner.schema)}.${written}`;
  const known = tables.find((table) => table.table.toLowerCase() === written.toLowerCase());
  return known ? qualifiedName(known.schema, known.table) : `${quoteIdent(owner.schema)}.${written}`;
}

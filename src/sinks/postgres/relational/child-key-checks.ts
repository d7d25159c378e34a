import pg, { type ClientBase } from "pg";
import type { Statements } from "../statement-queue.js";
import { COPY_FROM_ROWS } from "../copy-text.js";
import type { TableMapping } from "../mapping/table-mapping.js";
import { qualifiedName } from "../sql.js";

/**
 * Per connection: the statement that sets `session_replication_role` for its server's version,
 * or `undefined` when its role may not (asked once).
 */
const setReplicaOn = new WeakMap<ClientBase, string | undefined>();

/**
 * Runs `write`, which inserts `childRows` (a list per child table) into a collection's child
 * tables, with PostgreSQL's per-row foreign key checks left out where that is safe and worth it.
 *
 * Child rows are written in the transaction that writes (and so locks) their parent rows, with
 * their parent's key: their foreign key holds by construction. PostgreSQL still checks it row by
 * row (a lookup and a row lock in the parent table), which is 40% of a child row's insert. Its
 * own logical replication applies changes with `session_replication_role = replica`, which
 * leaves out those checks (`src/backend/replication/logical/worker.c`). This does the same, for
 * the child rows of a large write only, and only when:
 * - the role may set it (a superuser, or PostgreSQL 15+ with `GRANT SET ON PARAMETER`);
 * - each child table's key column has its parent key's type (a lossy cast, `numeric(10,2)` to
 *   `numeric`, would make the keys differ);
 * - the child tables fire nothing on insert but that key's own check: no trigger or rule of a
 *   user's, no other foreign key, no deferrable unique constraint (whose recheck is a trigger
 *   too), none of it silenced by the setting; and no partitions or inheriting tables, which have
 *   triggers of their own. Checked under a lock that keeps any from being added until the
 *   transaction ends.
 *
 * The setting is set back after the write; if the write fails, the transaction or savepoint
 * that is rolled back takes it back. Each change of the setting empties the session's plan cache
 * (`assign_session_replication_role`, `src/backend/commands/trigger.c`), which costs the next
 * statements a new plan: hence large writes only.
 */
export async function withoutChildKeyChecks(client: Statements | ClientBase, mapping: TableMapping, childRows: Iterable<readonly unknown[]>, write: () => Promise<void>): Promise<void> {
  let rows = 0;
  for (const list of childRows) rows += list.length;
  const typed = mapping.children.every((child) => child.fkType.sql === mapping.pk.type.sql);
  if (rows < COPY_FROM_ROWS || !typed || !(client instanceof pg.Client)) return write();
  const setReplica = await setReplicaStatement(client);
  if (setReplica === undefined) return write();
  const tables = mapping.children.map((child) => qualifiedName(child.table.schema, child.table.table));
  await client.query(`LOCK TABLE ${tables.join(", ")} IN ROW EXCLUSIVE MODE`);
  const set = await client.query<{ previous: string }>(setReplica, [tables, mapping.children.map((child) => child.fkColumn), qualifiedName(mapping.schema, mapping.table), mapping.pk.column]);
  await write();
  const previous = set.rows[0]?.previous;
  if (previous !== undefined) await client.query(RESTORE_ROLE, [previous]);
}

/**
 * Sets `session_replication_role` to `replica` for the rest of the transaction, and returns what
 * it was, unless the role may not (asked again here, so that a right taken away during a run
 * keeps the checks rather than failing the batch), or one of the child tables (`$1`, key columns
 * `$2`, parent table `$3` and its key column `$4`) has a trigger that fires on insert other than
 * the check of that key (`tgtype` bit 4: INSERT), a rule, or tables below it. The setting before
 * is read in a subquery that is not flattened (OFFSET 0), so before it is set.
 */
function setReplicaText(mayItBeSet: string): string {
  return `SELECT previous, set_config('session_replication_role', 'replica', true)
FROM (SELECT current_setting('session_replication_role') AS previous OFFSET 0) AS before
WHERE ${mayItBeSet}
  AND NOT EXISTS (
    SELECT FROM unnest($1::regclass[], $2::text[]) AS child (rel, fk)
    JOIN pg_trigger AS t ON t.tgrelid = child.rel
    WHERE t.tgtype & 4 <> 0
      AND NOT EXISTS (
        SELECT FROM pg_constraint AS c
        WHERE c.oid = t.tgconstraint AND t.tgisinternal AND c.contype = 'f' AND c.confrelid = $3::regclass
          AND c.conkey = ARRAY[(SELECT a.attnum FROM pg_attribute AS a WHERE a.attrelid = child.rel AND a.attname = child.fk)]
          AND c.confkey = ARRAY[(SELECT a.attnum FROM pg_attribute AS a WHERE a.attrelid = $3::regclass AND a.attname = $4)]))
  AND NOT EXISTS (SELECT FROM pg_rewrite WHERE ev_class = ANY ($1::regclass[]))
  AND NOT EXISTS (SELECT FROM pg_inherits WHERE inhparent = ANY ($1::regclass[]))
  AND NOT EXISTS (SELECT FROM pg_class WHERE oid = ANY ($1::regclass[]) AND relkind <> 'r')`;
}

/** PostgreSQL 15+: a superuser, or a role granted `SET` on the parameter. */
const SET_REPLICA_15 = setReplicaText("has_parameter_privilege('session_replication_role', 'SET')");
/** Before 15 (no such function, and no such grant): a superuser only. */
const SET_REPLICA_BEFORE_15 = setReplicaText("(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)");

/** Sets `session_replication_role` back, for the rest of the transaction, to what it was. */
const RESTORE_ROLE = "SELECT set_config('session_replication_role', $1, true)";

/**
 * The statement that sets `session_replication_role` on this connection, or `undefined` when its
 * role may not set it: not a superuser, and on PostgreSQL 15+ not granted `SET` on it. Asked once
 * per connection, read-only, so safe in the batch's transaction.
 */
async function setReplicaStatement(client: ClientBase): Promise<string | undefined> {
  if (setReplicaOn.has(client)) return setReplicaOn.get(client);
  const role = await client.query<{ superuser: boolean; grantable: boolean }>(
    "SELECT rolsuper AS superuser, current_setting('server_version_num')::int >= 150000 AS grantable FROM pg_roles WHERE rolname = current_user",
  );
  let allowed = role.rows[0]?.superuser === true;
  if (!allowed && role.rows[0]?.grantable === true) {
    // Only named on 15+: an older server would refuse the statement for the unknown function.
    const granted = await client.query<{ allowed: boolean }>("SELECT has_parameter_privilege('session_replication_role', 'SET') AS allowed");
    allowed = granted.rows[0]?.allowed === true;
  }
  const statement = !allowed ? undefined : role.rows[0]?.grantable === true ? SET_REPLICA_15 : SET_REPLICA_BEFORE_15;
  setReplicaOn.set(client, statement);
  return statement;
}

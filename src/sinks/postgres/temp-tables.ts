import type { ClientBase } from "pg";

/** Per connection: whether its role may create temporary tables (asked once). */
const allowedOn = new WeakMap<ClientBase, boolean>();

/**
 * Whether this connection's role may create temporary tables (the TEMPORARY privilege on the
 * database; managed services and locked-down roles often lack it). Merges through a COPY into a
 * staging table need one; without it they take the set-based statements instead. Asked once per
 * connection. Call outside a failed transaction.
 */
export async function mayCreateTempTables(client: ClientBase): Promise<boolean> {
  const known = allowedOn.get(client);
  if (known !== undefined) return known;
  const result = await client.query<{ allowed: boolean }>("SELECT has_database_privilege(current_database(), 'TEMPORARY') AS allowed");
  const allowed = result.rows[0]?.allowed === true;
  allowedOn.set(client, allowed);
  return allowed;
}

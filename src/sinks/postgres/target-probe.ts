import { withOneOffClient } from "./one-off-client.js";

/** What `config check --connect` learns of a PostgreSQL target, without writing anything. */
export interface TargetProbe {
  readonly where: string;
  readonly version: string;
  readonly user: string;
  readonly database: string;
  /** For each schema Tributary needs: whether it exists, and whether the user may create in it (or create it). */
  readonly schemas: readonly { readonly name: string; readonly exists: boolean; readonly mayCreate: boolean }[];
}

/**
 * Connects and asks, without writing: the server version, the user, and for each schema whether
 * the user may create tables in it, or, when it does not exist, create it (CREATE on the database).
 */
export async function probeTarget(url: string, schemas: readonly string[]): Promise<TargetProbe> {
  return withOneOffClient(url, "tributary config check", (where) => `the privilege queries on ${where}`, async (client, where) => {
    const { rows } = await client.query<{ version: string; user: string; database: string; may_create_schema: boolean }>(
      "SELECT current_setting('server_version') AS version, current_user AS user, current_database() AS database, has_database_privilege(current_database(), 'CREATE') AS may_create_schema",
    );
    const about = rows[0];
    const checked = [];
    for (const name of new Set(schemas)) {
      const { rows: found } = await client.query<{ may_create: boolean }>("SELECT has_schema_privilege(nspname, 'CREATE') AS may_create FROM pg_namespace WHERE nspname = $1", [name]);
      const row = found[0];
      checked.push({ name, exists: row !== undefined, mayCreate: row ? row.may_create : about?.may_create_schema === true });
    }
    return { where, version: about?.version ?? "?", user: about?.user ?? "?", database: about?.database ?? "?", schemas: checked };
  });
}

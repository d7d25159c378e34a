import pg from "pg";
import { redactSecrets } from "../../core/redact.js";
import { mapPostgresApplyError, mapPostgresConnectError } from "./postgres-errors.js";

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
  const where = redactSecrets(url);
  const client = new pg.Client({ connectionString: url, application_name: "tributary config check" });
  try {
    await client.connect();
  } catch (error) {
    throw mapPostgresConnectError(error, where);
  }
  try {
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
  } catch (error) {
    throw mapPostgresApplyError(error, `the privilege queries on ${where}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

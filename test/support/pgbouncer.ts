import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findFreePort } from "./postgres-server.js";

/** Debian's pgbouncer, which .ci/run installs; PGBOUNCER_PATH points elsewhere. */
export const PGBOUNCER = process.env.PGBOUNCER_PATH ?? ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].find((path) => existsSync(path));

export interface PgBouncerHandle {
  /** `url` with PgBouncer's host and port instead of PostgreSQL's. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer in transaction mode in front of `url`'s server, with `poolSize` server connections
 * per database and user: each transaction of a client may land on another of them, as behind a
 * production pooler. Clients log in without a password (the pooler logs in to PostgreSQL with
 * `url`'s). Run as the `postgres` user when this process is root (PgBouncer refuses root).
 */
export async function startPgBouncer(url: string, poolSize: number): Promise<PgBouncerHandle> {
  if (PGBOUNCER === undefined) throw new Error("pgbouncer is missing: apt-get install pgbouncer, or set PGBOUNCER_PATH");
  const server = new URL(url);
  const port = await findFreePort();
  const dir = await mkdtemp(join(tmpdir(), "tributary-pgbouncer-"));
  const user = decodeURIComponent(server.username);
  await writeFile(join(dir, "users.txt"), `"${user}" ""\n`);
  await writeFile(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || "5432"} user=${user} password=${decodeURIComponent(server.password)}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "users.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${poolSize}`,
      "max_client_conn = 100",
      "",
    ].join("\n"),
  );
  const child = spawn(PGBOUNCER, [...(process.getuid?.() === 0 ? ["-u", "postgres"] : []), join(dir, "pgbouncer.ini")], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    await listening(child);
  } catch (error) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const bouncer = new URL(url);
  bouncer.hostname = "127.0.0.1";
  bouncer.port = String(port);
  return {
    url: bouncer.toString(),
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once PgBouncer logs that it listens; fails with its last lines if it exits first. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const read = (chunk: Buffer): void => {
      log += chunk.toString();
      if (/process up/.test(log)) resolve();
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => reject(new Error(`pgbouncer exited (${code}): ${log.split("\n").slice(-5).join(" | ")}`)));
    setTimeout(() => reject(new Error(`pgbouncer did not start in 10 s: ${log.split("\n").slice(-5).join(" | ")}`)), 10_000).unref();
  });
}

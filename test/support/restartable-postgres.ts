// A PostgreSQL server of a fault test's own, which the test stops and starts again (the shared
// server of the global setup must stay up for the other test files).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { clusterOptions, findFreePort, loadEmbeddedPostgres } from "./postgres-server.js";

/** How the server goes down: `fast` (SIGINT), `immediate` (SIGQUIT, as `pg_ctl stop -m immediate`) or `kill -9` of the postmaster. */
export type StopMode = "fast" | "immediate" | "kill -9";

const SIGNALS: Record<StopMode, NodeJS.Signals> = { fast: "SIGINT", immediate: "SIGQUIT", "kill -9": "SIGKILL" };

export interface RestartablePostgres {
  /** URL of the `postgres` database; {@link RestartablePostgres.urlOf} for another. */
  readonly url: string;
  urlOf(database: string): string;
  /** Stops the server (`mode`) and waits until the postmaster has exited. */
  stop(mode: StopMode): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  close(): Promise<void>;
}

const USER = "postgres";
const PASSWORD = "tributary-faults";

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const port = await findFreePort();
  const dataDir = await mkdtemp(join(tmpdir(), "tributary-faults-pg-"));
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    ...clusterOptions(dataDir, port, PASSWORD),
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const postmaster = (): ChildProcess | undefined => (server as unknown as { process?: ChildProcess }).process;
  const base = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    urlOf: (database) => `${base}/${database}`,
    async stop(mode) {
      const child = postmaster();
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill(SIGNALS[mode]);
      await exited;
    },
    async start() {
      // After kill -9, the old backends may hold the shared memory a moment longer: the new
      // postmaster refuses to start until they are gone, so try again for a while.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await server.start();
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
    async close() {
      await server.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

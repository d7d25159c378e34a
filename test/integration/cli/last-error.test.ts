import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { silentLogger } from "../../../src/core/logger.js";
import { recordSyncError, resolveSyncError } from "../../../src/sinks/postgres/index.js";
import { syncErrorRecorder } from "../../../src/runtime/sync-error-record.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { waitFor } from "../../support/wait-for.js";
import { createDatabase, dropDatabase, findFreePort } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

const DATABASE = "tributary_last_error";
const UNTOUCHED = "tributary_last_error_untouched";
let target: string;
let untouched: string;
let dir: string;

beforeAll(async () => {
  target = await createDatabase(postgresUrl(), DATABASE);
  untouched = await createDatabase(postgresUrl(), UNTOUCHED);
  dir = await mkdtemp(join(tmpdir(), "tributary-last-error-"));
});

afterAll(async () => {
  await dropDatabase(postgresUrl(), DATABASE);
  await dropDatabase(postgresUrl(), UNTOUCHED);
});

interface StatusJson {
  lastErrors: { pipeline: string; sink?: string; code: string; message: string; namespace?: string; occurredAt: string; resolvedAt?: string }[];
}

describe("the error a sync stopped on", () => {
  it("is recorded in the target when the sync stops, and tributary status shows it, redacted, until a later sync runs healthy", async () => {
    const nobody = await findFreePort();
    const config = join(dir, "unreachable.yml");
    // The target opens (so it can record), then MongoDB cannot be reached: start-up gives up after one try.
    await writeFile(
      config,
      `source:\n  uri: mongodb://app:s3cret@127.0.0.1:${nobody}/?serverSelectionTimeoutMS=200\ntarget:\n  url: ${target}\nretry:\n  startupAttempts: 1\n`,
    );
    const sync = await runCli(["sync", "--config", config]);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain("[TRIB_MONGO_UNREACHABLE]");

    const text = await runCli(["status", "--to", target]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\n {2}last error: \d{4}-\d\d-\d\dT[\d:.]+Z \[TRIB_MONGO_UNREACHABLE\]: .+\n {4}UNRESOLVED: the sync stopped on it and has not run healthy since\n/);
    expect(text.stdout).not.toContain("s3cret");
    const json = JSON.parse((await runCli(["status", "--to", target, "--json"])).stdout) as StatusJson;
    expect(json.lastErrors).toEqual([expect.objectContaining({ pipeline: "default", code: "TRIB_MONGO_UNREACHABLE" })]);
    expect(json.lastErrors[0]?.resolvedAt).toBeUndefined();

    // A later sync that applies a batch marks it resolved (the runtime's recorder, as runSync calls it).
    const recorder = syncErrorRecorder(validateConfig({ source: { uri: "mongodb://localhost/" }, target: { url: target } }), silentLogger());
    recorder.healthy();
    await recorder.settled();
    const resolved = await runCli(["status", "--to", target]);
    expect(resolved.stdout).toMatch(/\[TRIB_MONGO_UNREACHABLE\].*\n {4}resolved \d{4}-.+Z \(a later sync ran healthy\)\n/);
    expect((JSON.parse((await runCli(["status", "--to", target, "--json"])).stdout) as StatusJson).lastErrors[0]?.resolvedAt).toEqual(expect.any(String));
  });

  it("names the sink and the collection, keeps only the redacted message, and a new error replaces the resolved one", async () => {
    const failure = new TributaryError(ErrorCode.PostgresApplyFailed, "Could not apply a batch to postgres://writer:hunter2@db.internal/app: value too long for type character varying(10)", {
      context: { namespace: "shop.orders" },
    });
    const recorder = syncErrorRecorder(validateConfig({ name: "orders", source: { uri: "mongodb://localhost/" }, target: { url: target } }), silentLogger());
    await recorder.failed(failure, "postgres");
    const [stored] = await query<{ message: string }>(target, "SELECT message FROM tributary.sync_errors WHERE pipeline = 'orders'");
    expect(stored?.message).toBe("Could not apply a batch to postgres://writer:***@db.internal/app: value too long for type character varying(10)");
    const text = await runCli(["status", "--to", target, "--name", "orders"]);
    expect(text.stdout).toContain("pipeline orders\n");
    expect(text.stdout).toMatch(/last error: .+Z \[TRIB_POSTGRES_APPLY_FAILED\] sink postgres, collection shop\.orders: Could not apply a batch to postgres:\/\/writer:\*\*\*@db\.internal\/app: value too long/);
    expect(text.stdout).not.toContain("hunter2");
    expect(text.stdout).not.toContain("pipeline default");

    // A new run serves it on /status (read from the target at start) while it is still unresolved.
    const sockets: Socket[] = [];
    const silentMongo = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silentMongo.listen(0, "127.0.0.1", resolve));
    const port = await findFreePort();
    const child = startCli(["sync", "--from", `mongodb://127.0.0.1:${(silentMongo.address() as { port: number }).port}/`, "--to", target, "--name", "orders", "--http", `127.0.0.1:${port}`]);
    const run = finished(child);
    try {
      const served = await waitFor(async () => {
        const status = (await (await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined))?.json().catch(() => undefined)) as { recordedError?: Record<string, unknown> } | undefined;
        return status?.recordedError;
      }, "the recorded error on /status");
      expect(served).toEqual({ code: "TRIB_POSTGRES_APPLY_FAILED", message: expect.stringContaining("postgres://writer:***@db.internal/app"), sink: "postgres", namespace: "shop.orders", occurredAt: expect.any(String) });
    } finally {
      child.kill("SIGTERM");
      await run;
      for (const socket of sockets) socket.destroy();
      silentMongo.close();
    }

    await resolveSyncError(target, "tributary", "orders");
    await recordSyncError(target, "tributary", { pipeline: "orders", sink: undefined, code: "TypeError", message: "x is undefined", namespace: undefined });
    const json = JSON.parse((await runCli(["status", "--to", target, "--json", "--name", "orders"])).stdout) as StatusJson;
    expect(json.lastErrors).toEqual([expect.objectContaining({ pipeline: "orders", code: "TypeError", message: "x is undefined" })]);
    expect(json.lastErrors[0]).not.toHaveProperty("resolvedAt");
  });

  it("is not recorded for a sync that never opened its target, and resolving creates nothing", async () => {
    const badConfig = join(dir, "bad.yml");
    await writeFile(badConfig, `source:\n  uri: mongodb://127.0.0.1:1/\ntarget:\n  url: ${untouched}\nbatch:\n  maxSize: -1\n`);
    const bad = await runCli(["sync", "--config", badConfig]);
    expect(bad.code).toBe(2);
    await resolveSyncError(untouched, "tributary", "default");
    expect(await query(untouched, "SELECT nspname FROM pg_namespace WHERE nspname = 'tributary'")).toEqual([]);
    const status = await runCli(["status", "--to", untouched]);
    expect(status.stdout).toContain("no pipeline has run against this target yet");
  });
});

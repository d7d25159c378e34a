import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { watchOplogRunway } from "../../../src/cli/runway-watch.js";
import { SyncMonitor } from "../../../src/observability/sync-monitor.js";
import { readOplogWindow } from "../../../src/source/oplog-window.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent } from "../../support/events.js";
import { waitFor } from "../../support/wait-for.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { createDatabase } from "../../support/postgres-server.js";
import { describeWithMongo, postgresUrl, requireMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";

describeWithMongo("the oplog runway, on a real replica set", () => {
  const mongo = useMongoClient();

  it("reads the oldest and newest entries and the size and capped maximum of local.oplog.rs", async () => {
    await mongo.client().db("tributary_oplog_runway").collection("writes").insertOne({ at: new Date() });
    const window = await readOplogWindow(mongo.client());
    if ("unavailable" in window) throw new Error(window.unavailable);
    expect(window.oldestSeconds).toBeLessThanOrEqual(window.newestSeconds);
    expect(window.newestSeconds).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 60);
    expect(window.sizeBytes).toBeGreaterThan(0);
    expect(window.maxSizeBytes).toBeGreaterThanOrEqual(window.sizeBytes);
  });

  it("a sync's monitor gets the runway of its committed position, and a warning below the threshold", async () => {
    const monitor = new SyncMonitor({ readyMaxLagMs: 60_000 });
    const event = makeEvent({ op: "insert", ns: "shop.orders", id: 1, t: Math.floor(Date.now() / 1000) });
    monitor.batchApplied({ events: [event], position: event.position }, 1);
    const { logger, lines } = capturingLogger();
    // A threshold no real oplog reaches, so that the warning is logged.
    const watch = watchOplogRunway(requireMongo().uri, 10_000, monitor, logger, 1_000 * 86_400_000, 100);
    try {
      const runway = await waitFor(() => monitor.status().oplogRunwaySeconds, "a runway measurement");
      expect(runway).toBeGreaterThan(0);
      await waitFor(() => lines.some((line) => String(line.msg).startsWith("oplog runway ")), "the warning");
    } finally {
      await watch.stop();
    }
  });

  it("a sync without --http measures the runway too, and logs the warning below http.oplogRunwayWarnMs", async () => {
    const url = await createDatabase(postgresUrl(), "oplog_runway_no_http");
    const dir = await mkdtemp(join(tmpdir(), "tributary-runway-"));
    const config = join(dir, "tributary.yml");
    // A threshold no real oplog reaches (1000 days), so that the first measurement warns.
    await writeFile(config, `source:\n  uri: ${requireMongo().uri}\n  include: [tributary_oplog_runway.nohttp]\ntarget:\n  url: ${url}\nhttp:\n  oplogRunwayWarnMs: 86400000000\n`);
    const child = startCli(["sync", "--config", config]);
    const run = finished(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitFor(() => stderr.includes("streaming") || stderr.includes("starting sync"), "streaming", 60_000);
      await mongo.client().db("tributary_oplog_runway").collection("nohttp").insertOne({ at: new Date() });
      // The runway is read every minute once a batch is committed.
      await waitFor(() => /"msg":"oplog runway \d[^"]*, below 1000 d 0 h/.test(stderr) || undefined, "the runway warning", 150_000);
    } finally {
      child.kill("SIGTERM");
    }
    expect((await run).code).toBe(0);
  }, 200_000);

  it("config check --connect finds a replica set, its version and featureCompatibilityVersion, writing nothing", async () => {
    const result = await runCli(["config", "check", "--to", postgresUrl(), "--from", requireMongo().uri, "--connect"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/tributary: check: ok {3}MongoDB .+: a replica set or sharded cluster, version \d+\.\d+\.\d+, featureCompatibilityVersion \d+\.\d+\n/);
  });

  it("tributary status --from shows how much the oplog holds", async () => {
    const result = await runCli(["status", "--to", postgresUrl(), "--from", requireMongo().uri]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nMongoDB oplog: holds .+ \(oldest entry \d{4}-\d\d-\d\dT.+\)/);
  });
});

import { expect, it } from "vitest";
import { readOplogWindow } from "../../../src/source/oplog-window.js";
import { runCli } from "../../support/run-cli.js";
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

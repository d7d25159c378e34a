import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { silentLogger } from "../../../src/core/logger.js";
import { makePosition } from "../../../src/core/position.js";
import { storeStartPosition } from "../../../src/runtime/start-at.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { doubleIdToken } from "../../support/resume-tokens.js";
import { runCli } from "../../support/run-cli.js";
import { storedPosition } from "../../support/sync-harness.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";

// Nothing listens there: whatever reaches MongoDB fails, so a usage error must come first.
const NO_MONGODB = "mongodb://127.0.0.1:1/?replicaSet=rs0&serverSelectionTimeoutMS=500";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-start-at-"));
});

async function schemaExists(url: string): Promise<boolean> {
  const rows = await query<{ n: string }>(url, "SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = 'tributary'");
  return rows[0]?.n !== "0";
}

describe("sync --start-at on bad input: exit 2, nothing written", () => {
  let url: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "start_at_bad_input");
  });

  it("names the flag and the accepted forms", async () => {
    const result = await runCli(["sync", "--from", NO_MONGODB, "--to", url, "--start-at", "2024-05-01T12:00:00"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^tributary: error: Invalid configuration: source\.startAt: "2024-05-01T12:00:00" is not a valid time \(a time of day needs its zone: Z or \+02:00\); give an ISO time/);
    expect(await schemaExists(url)).toBe(false);
  });

  it("refuses a missing mongo-connector file before connecting, as config check does", async () => {
    const missing = await runCli(["sync", "--from", NO_MONGODB, "--to", url, "--start-at", join(dir, "oplog.timestamp")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tributary: error: Cannot read the start point file ${join(dir, "oplog.timestamp")}: no such file [TRIB_CONFIG_FILE_UNREADABLE]\n`);
    const checked = await runCli(["config", "check", "--from", NO_MONGODB, "--to", url, "--start-at", join(dir, "oplog.timestamp")]);
    expect(checked.code).toBe(2);
    expect(checked.stderr).toBe(missing.stderr);
  });

  it("refuses a progress file mongo-connector would not write", async () => {
    const file = join(dir, "broken.timestamp");
    await writeFile(file, '["rs0", "not a number"]');
    const broken = await runCli(["sync", "--from", NO_MONGODB, "--to", url, "--start-at", file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${file} is not a mongo-connector progress file (oplog.timestamp): entry 1 is not [name, timestamp as an integer]`);
    expect(await schemaExists(url)).toBe(false);
  });

  it("refuses a start point with a snapshot that copies", async () => {
    const result = await runCli(["snapshot", "--from", NO_MONGODB, "--to", url, "--start-at", "1700000000:1"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("source.startAt: a start point replaces the snapshot");
    expect(await schemaExists(url)).toBe(false);
  });
});

describe("a stored position and a start point", () => {
  let url: string;
  const position = makePosition(doubleIdToken());

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "start_at_stored");
  });

  it("positions import stores the position where sync reads it, once", async () => {
    const config = validateConfig({ source: { uri: NO_MONGODB }, target: { url } });
    // The other tool's copy is recorded as this pipeline's, so that the next sync (snapshot mode initial) does not copy it again.
    const otherToolsCopy = (): SyntheticSnapshotSource => new SyntheticSnapshotSource({ "shop.orders": [{ _id: 1 }], "shop.users": [{ _id: 2 }] });
    expect(await storeStartPosition(config, position, silentLogger(), { baseDir: dir, otherToolsCopy })).toEqual(["postgres"]);
    expect(await storedPosition(url)).toBe(position.key);
    const copies = await query<{ namespace: string; status: string; started_token: string }>(url, "SELECT namespace, status, started_token FROM tributary.snapshots WHERE pipeline = 'default' ORDER BY namespace");
    expect(copies.map(({ namespace, status }) => [namespace, status])).toEqual([
      ["shop.orders", "done"],
      ["shop.users", "done"],
    ]);
    expect(copies[0]!.started_token).toContain(position.resumeToken._data);
    const rows = await query<{ token: string; cluster_time: Date }>(url, "SELECT token, cluster_time FROM tributary.positions WHERE pipeline = 'default'");
    // The whole token, _typeBits included, as the sink itself writes it.
    expect(JSON.parse(rows[0]!.token)).toEqual({ _data: position.resumeToken._data, _typeBits: { $binary: { base64: "QA==", subType: "00" } } });
    expect(rows[0]!.cluster_time.toISOString()).toBe("2020-07-16T11:03:37.000Z");

    const again = storeStartPosition(config, makePosition({ _data: "8265000000000000012B022C0100296E5A1004" }), silentLogger(), { baseDir: dir });
    await expect(again).rejects.toThrow("Pipeline 'default' already has a stored position (postgres at 2020-07-16T11:03:37.000Z): tributary positions import writes only where none is stored");
    expect(await storedPosition(url)).toBe(position.key);
    await expect(storeStartPosition(config, position, silentLogger(), { baseDir: dir, sinkName: "audit" })).rejects.toThrow("Pipeline 'default' has no sink named 'audit' (it has postgres)");
  });

  it("sync refuses --start-at on top of it, before connecting to MongoDB, and leaves it as it was", async () => {
    const result = await runCli(["sync", "--from", NO_MONGODB, "--to", url, "--start-at", "1700000000:1", "--log-level", "error"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "tributary: error: Pipeline 'default' already has a stored position (postgres at 2020-07-16T11:03:37.000Z): a start point (--start-at, source.startAt) applies only to a pipeline with none. " +
        "Leave --start-at out to continue from the stored position; to start over at the start point, give the pipeline another --name or delete its stored positions first (tributary status lists them) [TRIB_CONFIG_INVALID]\n",
    );
    expect(await storedPosition(url)).toBe(position.key);
  });
});

describe("tributary positions import on bad input: exit 2, nothing written", () => {
  it("needs the tool's file or collection, and names what is missing", async () => {
    const noFile = await runCli(["positions", "import", "--from", "mongo-connector", "--source", NO_MONGODB, "--to", postgresUrl()]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toBe("tributary: error: --from mongo-connector needs its progress file: tributary positions import --from mongo-connector <oplog.timestamp> [TRIB_CONFIG_INVALID]\n");
    const noCollection = await runCli(["positions", "import", "--from", "mongowatch", "--source", NO_MONGODB, "--to", postgresUrl()]);
    expect(noCollection.code).toBe(2);
    expect(noCollection.stderr).toContain("--from mongowatch reads its resume points from MongoDB: give --collection <db.collection>");
  });

  it("needs --from, one of the tools it reads", async () => {
    const none = await runCli(["positions", "import", "oplog.timestamp"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe("tributary: error: --from is required: the tool that stopped, mongo-connector or mongowatch [TRIB_CONFIG_INVALID]\n");
    const tool = await runCli(["positions", "import", "--from", "debezium"]);
    expect(tool.code).toBe(2);
    expect(tool.stderr).toContain("Allowed choices are mongo-connector, mongowatch");
  });

  it("names the settings it needs, and a file it cannot read, before connecting", async () => {
    const file = join(dir, "oplog.timestamp.ok");
    await writeFile(file, '["rs0", 7301444403200000005]');
    const noSource = await runCli(["positions", "import", "--from", "mongo-connector", file, "--to", postgresUrl()]);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toBe("tributary: error: Invalid configuration: source.uri is required (set it with --source or in a --config file) [TRIB_CONFIG_INVALID]\n");
    const missing = await runCli(["positions", "import", "--from", "mongo-connector", join(dir, "none"), "--source", NO_MONGODB, "--to", postgresUrl()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`tributary: error: Cannot read the start point file ${join(dir, "none")}: no such file [TRIB_CONFIG_FILE_UNREADABLE]\n`);
  });
});

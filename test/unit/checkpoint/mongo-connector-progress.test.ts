import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { mongoConnectorStart, parseMongoConnectorProgress, readMongoConnectorProgress } from "../../../src/checkpoint/mongo-connector-progress.js";

// Byte for byte what mongo-connector's FileProgressStore writes: Python's json.dumps of
// [name, bson_ts_to_long(ts)] (one replica set) or of a list of them (a sharded cluster).
const REPLICA_SET = '["rs0", 7301444403200000005]'; // Timestamp(1700000000, 5)
const SHARDED =
  "[[\"Collection(Database(MongoClient(host=['shard1a:27018'], document_class=dict, tz_aware=False, connect=True, replicaset='shard1'), 'local'), 'oplog.rs')\", 7301444403200000005], " +
  '["shard2", 7301444360250327057]]'; // Timestamp(1700000000, 5) and Timestamp(1699999990, 17)

describe("mongo-connector's oplog.timestamp", () => {
  it("reads a replica set's entry, every digit of the packed timestamp kept", () => {
    expect(parseMongoConnectorProgress(REPLICA_SET, "oplog.timestamp")).toEqual([{ oplog: "rs0", timestamp: new Timestamp({ t: 1_700_000_000, i: 5 }) }]);
    // Through a JavaScript number the increment would be lost: 7301444403200000005 is 7.3014444032e18.
    expect(Number("7301444403200000005") % 2 ** 32).not.toBe(5);
  });

  it("reads one entry per shard, names with brackets and digits left as they are, and starts at the earliest", () => {
    const entries = parseMongoConnectorProgress(SHARDED, "oplog.timestamp");
    expect(entries.map((entry) => entry.oplog)).toEqual([expect.stringContaining("replicaset='shard1'"), "shard2"]);
    expect(entries.map((entry) => entry.timestamp)).toEqual([new Timestamp({ t: 1_700_000_000, i: 5 }), new Timestamp({ t: 1_699_999_990, i: 17 })]);
    expect(mongoConnectorStart(entries)).toEqual(new Timestamp({ t: 1_699_999_990, i: 17 }));
  });

  it("refuses what mongo-connector does not write, naming the file", () => {
    const refusal = (text: string) => () => parseMongoConnectorProgress(text, "/srv/oplog.timestamp");
    expect(refusal("")).toThrow(/\/srv\/oplog.timestamp is not a mongo-connector progress file .*empty/);
    expect(refusal("rs0 123")).toThrow(/not JSON/);
    expect(refusal("[]")).toThrow(/no \[name, timestamp\] entry/);
    expect(refusal('["rs0", "7301444403200000005"]')).toThrow(/entry 1 is not \[name, timestamp as an integer\]/);
    expect(refusal('["rs0", 1.5e3]')).toThrow(/entry 1/);
    expect(refusal('["rs0", -5]')).toThrow(/entry 1/);
    expect(refusal('["rs0", 18446744073709551616]')).toThrow(/beyond 64 bits/);
  });

  it("reads the file, and names a missing one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mc-progress-"));
    await writeFile(join(dir, "oplog.timestamp"), REPLICA_SET);
    expect(await readMongoConnectorProgress(join(dir, "oplog.timestamp"))).toHaveLength(1);
    await expect(readMongoConnectorProgress(join(dir, "missing"))).rejects.toThrow(/Cannot read the start point file .*missing: no such file/);
  });
});

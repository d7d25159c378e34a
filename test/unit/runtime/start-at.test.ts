import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { silentLogger } from "../../../src/core/logger.js";
import { makePosition } from "../../../src/core/position.js";
import { recordOtherToolsCopy, startPointOfConfig, storeStartPosition } from "../../../src/runtime/start-at.js";
import { runSnapshot } from "../../../src/snapshot/snapshot-runner.js";
import type { Sink } from "../../../src/core/sink.js";
import { MemorySnapshotTarget } from "../../support/memory-snapshot-target.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

const source = { uri: "mongodb://127.0.0.1:1/?replicaSet=rs0" };

describe("a pipeline's start point", () => {
  it("reads the config's text, and mongo-connector's file relative to the base directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "start-at-"));
    await writeFile(join(dir, "oplog.timestamp"), '[["shard1", 7301444403200000005], ["shard2", 7301444360250327057]]');
    const config = (startAt?: string) => validateConfig({ source: { ...source, startAt }, sinks: [{ name: "log", use: "jsonl" }] });
    expect(await startPointOfConfig(config(), dir)).toBeUndefined();
    expect(await startPointOfConfig(config("1700000000:5"), dir)).toEqual(new Timestamp({ t: 1_700_000_000, i: 5 }));
    expect(await startPointOfConfig(config("oplog.timestamp"), dir)).toEqual(new Timestamp({ t: 1_699_999_990, i: 17 }));
    await expect(startPointOfConfig(config("other.timestamp"), dir)).rejects.toThrow(`Cannot read the start point file ${join(dir, "other.timestamp")}: no such file`);
  });

  it("is stored in a sink's own resume point store when it keeps its position apart from its data, once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "start-at-"));
    const file = join(dir, "log.json");
    const config = validateConfig({ source, sinks: [{ name: "log", use: "jsonl", options: { path: join(dir, "out.jsonl") }, positions: { file } }] });
    const position = makePosition(doubleIdToken());
    expect(await storeStartPosition(config, position, silentLogger(), { baseDir: dir })).toEqual(["log"]);
    expect(await readFile(file, "utf8")).toContain(position.resumeToken._data);
    await expect(storeStartPosition(config, position, silentLogger(), { baseDir: dir, sinkName: "log" })).rejects.toThrow(
      "Pipeline 'default' already has a stored position (log at 2020-07-16T11:03:37.000Z): tributary positions import writes only where none is stored",
    );
  });

  it("opens only the sink it is stored for, so that another sink's target is neither needed nor touched", async () => {
    const dir = await mkdtemp(join(tmpdir(), "start-at-"));
    const sink = (name: string) => ({ name, use: "jsonl", options: { path: join(dir, `${name}.jsonl`) }, positions: { file: join(dir, `${name}.json`) } });
    const config = validateConfig({ source, sinks: [sink("chosen"), sink("other")] });
    const position = makePosition(doubleIdToken());
    expect(await storeStartPosition(config, position, silentLogger(), { baseDir: dir, sinkName: "chosen" })).toEqual(["chosen"]);
    const files = await readdir(dir);
    expect(files).toContain("chosen.json");
    expect(files.filter((file) => file.startsWith("other"))).toEqual([]);
  });

  it("records the other tool's copy in a bulk-copying sink, so that a later initial snapshot copies only collections that appear later", async () => {
    const target = Object.assign(new MemorySnapshotTarget(), { close: () => Promise.resolve() });
    const sink = { name: "postgres", transactional: true, capabilities: { bulkSnapshot: { snapshotTarget: () => target } } } as unknown as Sink;
    const position = makePosition(doubleIdToken());
    await target.startSnapshot({ namespace: "shop.half", startedAt: position, estimated: 10, ranges: [] });
    await recordOtherToolsCopy([sink], new SyntheticSnapshotSource({ "shop.orders": [{ _id: 1 }], "shop.half": [{ _id: 2 }] }), position, 2);
    expect(target.states.get("shop.orders")).toMatchObject({ status: "done", startedAt: position, estimated: 0, ranges: [] });
    // A collection with a record of its own (here a copy under way) keeps it.
    expect(target.states.get("shop.half")?.status).toBe("copying");

    const later = new SyntheticSnapshotSource({ "shop.orders": [{ _id: 1 }], "shop.new": [{ _id: 3 }] });
    await runSnapshot(later, target, { mode: "initial", parallelism: 2, chunkSize: 10, rangeSize: 100, logger: silentLogger(), signal: new AbortController().signal });
    expect([...target.rows.keys()]).toEqual(["shop.new"]);
  });
});

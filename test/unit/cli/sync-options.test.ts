import { describe, expect, it } from "vitest";
import { configFromFlags } from "../../../src/cli/sync-options.js";

describe("--sink", () => {
  it("adds sinks without a PostgreSQL target", async () => {
    const config = await configFromFlags({ from: "mongodb://h/?replicaSet=rs0", sink: ["jsonl"] });
    expect(config.target).toBeUndefined();
    expect(config.sinks).toEqual([{ name: "jsonl", use: "jsonl", options: {} }]);
  });

  it("passes the options written after the sink to its config entry", async () => {
    const config = await configFromFlags({ from: "mongodb://h/?replicaSet=rs0", sink: ["jsonl:path=out.jsonl,format=canonical", "webhook:url=https://h.example/x,timeoutMs=5000"] });
    expect(config.sinks).toEqual([
      { name: "jsonl", use: "jsonl", options: { path: "out.jsonl", format: "canonical" } },
      { name: "webhook", use: "webhook", options: { url: "https://h.example/x", timeoutMs: 5000 } },
    ]);
  });
});

describe("snapshot flags", () => {
  const base = { from: "mongodb://h/?replicaSet=rs0", to: "postgres://u@h/db" };

  it("default to an initial snapshot with the documented settings", async () => {
    expect((await configFromFlags(base)).snapshot).toEqual({ mode: "initial", parallelism: 4, chunkSize: 5_000, rangeSize: 25_000, progressIntervalMs: 5_000 });
  });

  it("--snapshot and --snapshot-parallelism set the mode and the parallelism over the config file", async () => {
    const config = await configFromFlags({ ...base, snapshot: "only", snapshotParallelism: 8 });
    expect(config.snapshot).toMatchObject({ mode: "only", parallelism: 8, chunkSize: 5_000 });
  });

  it("takes a snapshot into any sink, and refuses settings out of range, naming the path", async () => {
    const toJsonl = await configFromFlags({ from: base.from, sink: ["jsonl"], snapshot: "only" });
    expect(toJsonl.snapshot.mode).toBe("only");
    expect(toJsonl.target).toBeUndefined();
    await expect(configFromFlags({ ...base, snapshotParallelism: 65 })).rejects.toThrow("snapshot.parallelism: Too big: expected number to be <=64");
  });
});

describe("PostgreSQL target flags", () => {
  it("--adopt-tables sets target.adoptTables, off by default; --to takes a libpq keyword/value string", async () => {
    const base = { from: "mongodb://h/?replicaSet=rs0", to: "host=db port=5433 dbname=shop user=app password='s e'" };
    expect((await configFromFlags(base)).target).toMatchObject({ url: base.to, adoptTables: false });
    expect((await configFromFlags({ ...base, adoptTables: true })).target).toMatchObject({ adoptTables: true });
  });
});

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mergeConfig, readConfigFile, validateConfig } from "../../../src/config/load-config.js";
import { ErrorCode } from "../../../src/core/error-codes.js";

const minimal = { source: { uri: "mongodb://localhost/?replicaSet=rs0" }, target: { url: "postgres://localhost/db" } };

describe("validateConfig", () => {
  it("fills every default", () => {
    const config = validateConfig(minimal);
    expect(config).toEqual({
      name: "default",
      source: { uri: minimal.source.uri, include: [], exclude: [], fullDocument: "updateLookup", serverSelectionTimeoutMs: 10_000, sampleSize: 1_000 },
      target: {
        url: minimal.target.url,
        schema: "public",
        checkpointSchema: "tributary",
        tables: {},
        inferMapping: false,
        adoptTables: false,
        strict: false,
        commands: { create: "create", drop: "drop", rename: "rename", dropDatabase: "drop" },
      },
      sinks: [],
      snapshot: { mode: "initial", parallelism: 4, chunkSize: 5_000, rangeSize: 25_000, progressIntervalMs: 5_000 },
      batch: { maxSize: 2_000, maxLatencyMs: 250, maxTransactionEvents: 50_000, maxBytes: 64 * 1024 * 1024, maxTransactionBytes: 1024 * 1024 * 1024 },
      checkpoint: { idleIntervalMs: 10_000 },
      retry: { initialDelayMs: 500, maxDelayMs: 30_000 },
      http: { readyMaxLagMs: 60_000, oplogRunwayWarnMs: 43_200_000 },
      verify: { collections: [], repair: false, maxDifferences: 1_000, parallelism: 1 },
      log: { level: "info" },
    });
  });

  it("takes sinks instead of a PostgreSQL target, with their defaults", () => {
    const config = validateConfig({ source: minimal.source, sinks: [{ name: "audit", use: "webhook", options: { url: "https://x" }, positions: { file: "audit.json" } }, { name: "log", use: "jsonl" }] });
    expect(config.target).toBeUndefined();
    expect(config.sinks).toEqual([
      { name: "audit", use: "webhook", options: { url: "https://x" }, positions: { file: "audit.json", schema: "tributary", database: "tributary", collection: "positions" } },
      { name: "log", use: "jsonl", options: {} },
    ]);
  });

  it("needs somewhere to write, unique sink names, and one place per sink's positions", () => {
    expect(() => validateConfig({ source: minimal.source })).toThrow("Invalid configuration: target: nowhere to write: set target.url (--to) for PostgreSQL, or list sinks (--sink)");
    expect(() => validateConfig({ ...minimal, sinks: [{ name: "a", use: "jsonl" }, { name: "a", use: "webhook" }] })).toThrow(
      "Invalid configuration: sinks: sink names must be unique, and 'postgres' is the target's",
    );
    expect(() => validateConfig({ ...minimal, sinks: [{ name: "postgres", use: "jsonl" }] })).toThrow("sinks: sink names must be unique, and 'postgres' is the target's");
    expect(() => validateConfig({ ...minimal, sinks: [{ name: "a", use: "jsonl", positions: { file: "x", postgres: "postgres://h/db" } }] })).toThrow(
      "Invalid configuration: sinks.0.positions: name exactly one place: file, postgres or mongodb",
    );
    expect(() => validateConfig({ ...minimal, sinks: [{ name: "a b", use: "" }] })).toThrow(
      "Invalid configuration: sinks.0.name: may contain letters, digits, '_' and '-'; sinks.0.use: Too small: expected string to have >=1 characters",
    );
  });

  it("names a wrong command policy by its path", () => {
    expect(() => validateConfig({ ...minimal, target: { ...minimal.target, commands: { drop: "explode" } } })).toThrow(
      'Invalid configuration: target.commands.drop: Invalid option: expected one of "drop"|"truncate"|"ignore"',
    );
  });

  it("names the path of every problem and the file it came from", () => {
    const raw = { ...minimal, batch: { maxSize: 0 }, source: { ...minimal.source, includ: ["x"] }, target: { url: "postgres://localhost/db", schema: "bad name" } };
    expect(() => validateConfig(raw, "tributary.yml")).toThrow(
      "Invalid configuration in tributary.yml: unknown setting source.includ; target.schema: must be a PostgreSQL identifier (letters, digits, _ and $; 63 characters at most); batch.maxSize: Too small: expected number to be >=1",
    );
  });

  it("says which required setting is missing, with a stable code and path", () => {
    try {
      validateConfig({ target: { url: "postgres://localhost/db" } });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe("Invalid configuration: source is required");
      expect(error).toMatchObject({ code: ErrorCode.ConfigInvalid, context: { configPath: "source" } });
    }
  });

  it("tells a wrong type from a missing setting", () => {
    expect(() => validateConfig({ ...minimal, batch: { maxSize: "many" } })).toThrow("Invalid configuration: batch.maxSize: Invalid input: expected number, received string");
  });

  it("rejects a table mapping key that is not db.collection", () => {
    expect(() => validateConfig({ ...minimal, target: { ...minimal.target, tables: { orders: "orders" } } })).toThrow("target.tables.orders: keys must be 'db.collection'");
  });

  it("takes the fault settings: target.queryTimeoutMs (at least 100 ms) and retry.startupAttempts (at least 1)", () => {
    const config = validateConfig({ ...minimal, target: { ...minimal.target, queryTimeoutMs: 60_000 }, retry: { startupAttempts: 5 } });
    expect(config.target?.queryTimeoutMs).toBe(60_000);
    expect(config.retry).toEqual({ initialDelayMs: 500, maxDelayMs: 30_000, startupAttempts: 5 });
    expect(() => validateConfig({ ...minimal, target: { ...minimal.target, queryTimeoutMs: 10 } })).toThrow("target.queryTimeoutMs: Too small");
    expect(() => validateConfig({ ...minimal, retry: { startupAttempts: 0 } })).toThrow("retry.startupAttempts: Too small");
  });
});

describe("readConfigFile", () => {
  async function file(name: string, content: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "tributary-config-"));
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  }

  it("reads YAML and JSON", async () => {
    expect(await readConfigFile(await file("a.yml", "name: shop\nsource:\n  include: [shop.*]\n"))).toEqual({ name: "shop", source: { include: ["shop.*"] } });
    expect(await readConfigFile(await file("a.json", '{"name":"shop"}'))).toEqual({ name: "shop" });
  });

  it("reports a missing file, bad syntax and a non-mapping with the file name", async () => {
    await expect(readConfigFile("/nonexistent/tributary.yml")).rejects.toThrow("Cannot read config file /nonexistent/tributary.yml: file not found");
    const broken = await file("b.json", "{ nope");
    await expect(readConfigFile(broken)).rejects.toThrow(`Config file ${broken} is not valid JSON`);
    const list = await file("c.yml", "- a\n- b\n");
    await expect(readConfigFile(list)).rejects.toThrow(`Config file ${list} must hold a mapping (key: value), not a list`);
  });
});

describe("mergeConfig", () => {
  it("lets later values win, deeply, and ignores undefined", () => {
    expect(mergeConfig({ a: { b: 1, c: 2 }, d: [1] }, { a: { b: 3, e: undefined }, d: [2] })).toEqual({ a: { b: 3, c: 2 }, d: [2] });
  });
});

describe("source.startAt in a YAML config", () => {
  it("keeps every start point form as written, a mapping read as its JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tributary-start-at-"));
    const path = join(dir, "t.yml");
    const startAtOf = async (yaml: string): Promise<unknown> => {
      await writeFile(path, `source:\n  uri: mongodb://localhost/?replicaSet=rs0\n  startAt: ${yaml}\ntarget:\n  url: postgres://localhost/db\n`);
      return validateConfig(await readConfigFile(path), path).source.startAt;
    };
    expect(await startAtOf("2026-12-01T09:59:00Z")).toBe("2026-12-01T09:59:00Z");
    expect(await startAtOf("1700000000:5")).toBe("1700000000:5");
    expect(await startAtOf("{ _data: 8265000000000000012B022C0100296E5A1004 }")).toBe('{"_data":"8265000000000000012B022C0100296E5A1004"}');
    expect(await startAtOf('{ $timestamp: { t: 1700000000, i: 5 } }')).toBe('{"$timestamp":{"t":1700000000,"i":5}}');
    expect(await startAtOf("./oplog.timestamp")).toBe("./oplog.timestamp");
    await expect(startAtOf("2026-12-01T09:59:00")).rejects.toThrow(`Invalid configuration in ${path}: source.startAt: "2026-12-01T09:59:00" is not a valid time`);
  });

  it("is refused with a snapshot that copies everything", () => {
    const config = { ...minimal, source: { ...minimal.source, startAt: "1700000000:5" } };
    expect(() => validateConfig({ ...config, snapshot: { mode: "always" } })).toThrow("source.startAt: a start point replaces the snapshot");
    expect(validateConfig({ ...config, snapshot: { mode: "never" } }).source.startAt).toBe("1700000000:5");
  });
});

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileResumePointStore } from "../../../src/index.js";
import {
  checkSinkConformance,
  createJsonlSink,
  isDataOp,
  keyText,
  silentLogger,
  SinkConformanceError,
  type Batch,
  type Position,
  type Sink,
  type SinkConformanceRule,
} from "../../../src/sink.js";
import type { Document } from "../../../src/core/bson.js";

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tributary-conformance-"));
  dirs.push(dir);
  return dir;
}

/** What a memory sink keeps between two sinks "over the same storage". */
interface MemoryStorage {
  position?: Position;
  readonly docs: Map<string, Document>;
}

type Flaw = "forgets-position" | "not-idempotent" | "mutates-batch" | "keeps-deleted" | "stale-content" | "hangs-on-open" | "rejects-snapshot" | "rejects-update-without-doc";

/** A correct in-memory sink with the readBack capability, or one with a flaw. */
function memorySink(storage: MemoryStorage, flaw?: Flaw): Sink {
  return {
    name: flaw ? `memory (${flaw})` : "memory",
    transactional: false,
    capabilities: { readBack: { read: async (_namespace, ids) => new Map(ids.flatMap((id) => {
      const doc = storage.docs.get(keyText(id));
      return doc ? [[keyText(id), { doc }] as const] : [];
    })) } },
    async open() {
      if (flaw === "hangs-on-open") await new Promise(() => undefined);
      return flaw === "forgets-position" ? undefined : storage.position;
    },
    async apply(batch: Batch) {
      for (const event of batch.events) {
        if (flaw === "rejects-snapshot" && event.source === "snapshot") throw new Error("snapshot events are not supported");
        if (!isDataOp(event.op)) continue;
        const key = keyText(event.key?._id);
        if (event.op === "delete") {
          if (flaw !== "keeps-deleted") storage.docs.delete(key);
          continue;
        }
        if (!event.doc) {
          if (flaw === "rejects-update-without-doc") throw new TypeError("Cannot read properties of undefined (reading '_id')");
          continue;
        }
        if (flaw === "not-idempotent" && event.op === "insert" && storage.docs.has(key)) throw new Error(`duplicate key ${key}`);
        if (flaw === "stale-content" && storage.docs.has(key)) continue;
        storage.docs.set(key, event.doc);
      }
      if (flaw === "mutates-batch") (batch.events as unknown[]).splice(0);
      if (batch.position) storage.position = batch.position;
    },
    async close() {},
  };
}

async function brokenRule(createSink: () => Sink, options: Parameters<typeof checkSinkConformance>[1] = {}): Promise<SinkConformanceRule> {
  const error = await checkSinkConformance(createSink, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SinkConformanceError);
  return (error as SinkConformanceError).rule;
}

describe("checkSinkConformance", () => {
  it("passes the built-in jsonl sink (no readBack: the read-back rules are skipped)", async () => {
    const dir = await tempDir();
    const positions = join(dir, "positions.json");
    const createSink = (): Sink => createJsonlSink({ path: "events.jsonl" }, { pipeline: "default", sinkName: "audit", logger: silentLogger(), baseDir: dir, positions: new FileResumePointStore(positions) }) as Sink;

    const report = await checkSinkConformance(createSink);

    expect(report).toEqual({
      sink: "audit",
      transactional: false,
      passed: ["shape", "open", "snapshot-batch", "change-batch", "replay", "position-only-batch", "batch-untouched", "close", "reopen-position"],
      skipped: [
        { rule: "read-back", reason: "the sink has no readBack capability" },
        { rule: "read-back-content", reason: "the sink has no readBack capability" },
      ],
    });
    const lines = (await readFile(join(dir, "events.jsonl"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { op: string; source: string });
    // 4 snapshot events, then the batch of 10 changes twice.
    expect(lines).toHaveLength(24);
    expect(lines.slice(0, 4).every((line) => line.source === "snapshot" && line.op === "insert")).toBe(true);
    expect(lines.slice(4, 14).map((line) => line.op)).toEqual(["insert", "update", "replace", "delete", "update", "insert", "update", "delete", "delete", "update"]);
  });

  it("passes a correct sink with readBack on every rule, a second run over the same storage too", async () => {
    const storage: MemoryStorage = { docs: new Map() };
    const report = await checkSinkConformance(() => memorySink(storage));
    expect(report.passed).toEqual(["shape", "open", "snapshot-batch", "change-batch", "replay", "position-only-batch", "batch-untouched", "close", "reopen-position", "read-back", "read-back-content"]);
    expect(report.skipped).toEqual([]);
    // Documents present: the four snapshot ones minus one deleted, plus one inserted.
    expect(storage.docs.size).toBe(4);

    const again = await checkSinkConformance(() => memorySink(storage), { now: new Date(Date.now() + 5_000) });
    expect(again.skipped).toEqual([]);
  });

  it.each<[Flaw, SinkConformanceRule]>([
    ["forgets-position", "reopen-position"],
    ["not-idempotent", "replay"],
    ["mutates-batch", "batch-untouched"],
    ["keeps-deleted", "read-back"],
    ["stale-content", "read-back-content"],
    ["rejects-snapshot", "snapshot-batch"],
    ["rejects-update-without-doc", "change-batch"],
  ])("reports a sink that %s as breaking '%s'", async (flaw, rule) => {
    const storage: MemoryStorage = { docs: new Map() };
    expect(await brokenRule(() => memorySink(storage, flaw))).toBe(rule);
  });

  it("says which rule, what happened and keeps the sink's error as the cause", async () => {
    const storage: MemoryStorage = { docs: new Map() };
    const error = (await checkSinkConformance(() => memorySink(storage, "not-idempotent")).catch((caught: unknown) => caught)) as SinkConformanceError;
    expect(error.message).toMatch(/^Sink 'memory \(not-idempotent\)' breaks rule 'replay' \(the same batch applied again is applied \(writes are idempotent\)\): it threw: duplicate key /);
    expect(error.sink).toBe("memory (not-idempotent)");
    expect((error.cause as Error).message).toMatch(/^duplicate key /);
  });

  it("reports a sink that keeps no position only when it does not say so", async () => {
    const storage: MemoryStorage = { docs: new Map() };
    const report = await checkSinkConformance(() => memorySink(storage, "forgets-position"), { keepsPosition: false });
    expect(report.skipped).toEqual([{ rule: "reopen-position", reason: "the sink keeps no position (keepsPosition: false)" }]);
  });

  it("reports a sink that hangs, and one without the methods of a sink", async () => {
    const storage: MemoryStorage = { docs: new Map() };
    expect(await brokenRule(() => memorySink(storage, "hangs-on-open"), { timeoutMs: 50 })).toBe("open");
    expect(await brokenRule(() => ({ ...memorySink(storage), close: undefined }) as unknown as Sink)).toBe("shape");
    expect(await brokenRule(() => ({ ...memorySink(storage), name: "" }))).toBe("shape");
    expect(await brokenRule(() => { throw new Error("bad options"); })).toBe("shape");
  });

  it("skips the read-back when told to", async () => {
    const storage: MemoryStorage = { docs: new Map() };
    const report = await checkSinkConformance(() => memorySink(storage, "stale-content"), { readBack: false });
    expect(report.skipped.map((each) => each.rule)).toEqual(["read-back", "read-back-content"]);
  });
});

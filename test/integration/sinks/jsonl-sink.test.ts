import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Decimal128, Int32, Long, ObjectId, type Document } from "mongodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResumePointStore } from "../../../src/core/resume-point-store.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createJsonlSink } from "../../../src/sinks/jsonl/jsonl-sink.js";
import { JsonlStreamWriter } from "../../../src/sinks/jsonl/jsonl-stream-writer.js";
import type { Sink } from "../../../src/core/sink.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { Position } from "../../../src/core/position.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { waitFor } from "../../support/wait-for.js";

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const T = 1_700_000_000;

/** A resume point store in memory that also records what the sink's file held at each save. */
class MemoryStore implements ResumePointStore {
  readonly description = "memory";
  readonly saves: { token: string; fileLines: number }[] = [];
  constructor(
    public position: Position | undefined = undefined,
    private readonly file?: string,
  ) {}
  async load(): Promise<Position | undefined> {
    return this.position;
  }
  async save(position: Position): Promise<void> {
    const fileLines = this.file ? (await readFile(this.file, "utf8")).split("\n").length - 1 : 0;
    this.saves.push({ token: position.resumeToken._data, fileLines });
    this.position = position;
  }
  async close(): Promise<void> {}
}

let dir: string;
const opened: Sink[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "tributary-jsonl-"));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((sink) => sink.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openSink(options: Record<string, unknown>, positions: ResumePointStore = new MemoryStore(), logger = silentLogger()): Promise<Sink> {
  const sink = await createJsonlSink(options, { pipeline: "shop", sinkName: "audit", logger, baseDir: dir, positions });
  opened.push(sink);
  await sink.open();
  return sink;
}

async function readLines(path: string): Promise<Document[]> {
  const text = await readFile(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Document);
}

function tokenOf(event: ChangeEvent): string {
  return event.position.resumeToken._data;
}

function clusterTimeOf(event: ChangeEvent): Document {
  return { $timestamp: { t: T, i: event.clusterTime.i } };
}

const oid = new ObjectId("65a1b2c3d4e5f60718293a4b");
const typedDoc = {
  _id: oid,
  qty: new Int32(7),
  big: Long.fromString("9007199254740993"),
  price: Decimal128.fromString("19.90"),
  at: new Date("2024-02-29T12:34:56.789Z"),
  ratio: 1.5,
};

describe("jsonl sink to a file", () => {
  it("writes one exact line per event, relaxed Extended JSON by default", async () => {
    const positions = new MemoryStore();
    const sink = await openSink({ path: "out/audit.jsonl" }, positions);
    const insert = makeEvent({ op: "insert", ns: "shop.orders", id: oid, doc: typedDoc, t: T });
    const update: ChangeEvent = {
      ...makeEvent({ op: "update", ns: "shop.orders", id: oid, doc: { _id: oid, qty: new Int32(8) }, t: T }),
      update: { updatedFields: { qty: new Int32(8) }, removedFields: ["ratio"], truncatedArrays: [{ field: "tags", newSize: 1 }] },
    };
    const remove = makeEvent({ op: "delete", ns: "shop.orders", id: oid, t: T });
    const drop = makeEvent({ op: "drop", ns: "shop.orders", t: T });
    const rename = makeEvent({ op: "rename", ns: "shop.carts", to: "shop.baskets", t: T });
    await sink.apply({ events: [insert, update, remove, drop, rename], position: rename.position });

    expect(await readLines(join(dir, "out", "audit.jsonl"))).toEqual([
      {
        op: "insert",
        ns: "shop.orders",
        key: { _id: { $oid: "65a1b2c3d4e5f60718293a4b" } },
        doc: {
          _id: { $oid: "65a1b2c3d4e5f60718293a4b" },
          qty: 7,
          // Relaxed: a plain JSON number, which cannot hold this Long exactly (use canonical).
          big: 9007199254740992,
          price: { $numberDecimal: "19.90" },
          at: { $date: "2024-02-29T12:34:56.789Z" },
          ratio: 1.5,
        },
        clusterTime: clusterTimeOf(insert),
        source: "stream",
        resumeToken: tokenOf(insert),
      },
      {
        op: "update",
        ns: "shop.orders",
        key: { _id: { $oid: "65a1b2c3d4e5f60718293a4b" } },
        doc: { _id: { $oid: "65a1b2c3d4e5f60718293a4b" }, qty: 8 },
        update: { updatedFields: { qty: 8 }, removedFields: ["ratio"], truncatedArrays: [{ field: "tags", newSize: 1 }] },
        clusterTime: clusterTimeOf(update),
        source: "stream",
        resumeToken: tokenOf(update),
      },
      {
        op: "delete",
        ns: "shop.orders",
        key: { _id: { $oid: "65a1b2c3d4e5f60718293a4b" } },
        clusterTime: clusterTimeOf(remove),
        source: "stream",
        resumeToken: tokenOf(remove),
      },
      { op: "drop", ns: "shop.orders", clusterTime: clusterTimeOf(drop), source: "stream", resumeToken: tokenOf(drop) },
      { op: "rename", ns: "shop.carts", to: "shop.baskets", clusterTime: clusterTimeOf(rename), source: "stream", resumeToken: tokenOf(rename) },
    ]);
    expect(positions.position?.key).toBe(rename.position.key);
  });

  it("writes canonical Extended JSON when asked: every number keeps its BSON type", async () => {
    const sink = await openSink({ path: "audit.jsonl", format: "canonical" });
    const insert = makeEvent({ op: "insert", ns: "shop.orders", id: oid, doc: typedDoc, t: T });
    await sink.apply({ events: [insert], position: insert.position });

    expect(await readLines(join(dir, "audit.jsonl"))).toEqual([
      {
        op: "insert",
        ns: "shop.orders",
        key: { _id: { $oid: "65a1b2c3d4e5f60718293a4b" } },
        doc: {
          _id: { $oid: "65a1b2c3d4e5f60718293a4b" },
          qty: { $numberInt: "7" },
          big: { $numberLong: "9007199254740993" },
          price: { $numberDecimal: "19.90" },
          at: { $date: { $numberLong: "1709210096789" } },
          ratio: { $numberDouble: "1.5" },
        },
        clusterTime: clusterTimeOf(insert),
        source: "stream",
        resumeToken: tokenOf(insert),
      },
    ]);
  });

  it("appends across runs, resuming from the stored position", async () => {
    const positions = new MemoryStore();
    const first = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 }, t: T });
    const firstSink = await openSink({ path: "audit.jsonl" }, positions);
    await firstSink.apply({ events: [first], position: first.position });
    await firstSink.close();

    const second = makeEvent({ op: "delete", ns: "shop.orders", id: 1, t: T });
    const secondSink = await openSink({ path: "audit.jsonl" }, positions);
    await secondSink.apply({ events: [second], position: second.position });
    await secondSink.close();

    expect((await readLines(join(dir, "audit.jsonl"))).map((line) => [line.op, line.resumeToken])).toEqual([
      ["insert", tokenOf(first)],
      ["delete", tokenOf(second)],
    ]);
  });

  it("returns the stored position from open() and saves each batch's position only after its lines are in the file", async () => {
    const path = join(dir, "audit.jsonl");
    const stored = makeEvent({ op: "insert", ns: "shop.orders", id: 0, t: T }).position;
    const positions = new MemoryStore(stored, path);
    const sink = createJsonlSink({ path }, { pipeline: "shop", sinkName: "audit", logger: silentLogger(), baseDir: dir, positions }) as Sink;
    opened.push(sink);
    expect((await sink.open())?.key).toBe(stored.key);

    const a = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 }, t: T });
    const b = makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 }, t: T });
    const c = makeEvent({ op: "delete", ns: "shop.orders", id: 1, t: T });
    await sink.apply({ events: [a, b], position: b.position });
    await sink.apply({ events: [c], position: c.position });
    const quiet = makeEvent({ op: "insert", ns: "shop.other", t: T }).position;
    await sink.apply({ events: [], position: quiet });

    expect(positions.saves).toEqual([
      { token: tokenOf(b), fileLines: 2 },
      { token: tokenOf(c), fileLines: 3 },
      { token: quiet.resumeToken._data, fileLines: 3 },
    ]);
  });

  it("cuts off a half-written last line left by a crash before appending", async () => {
    const path = join(dir, "audit.jsonl");
    await writeFile(path, '{"op":"insert","ns":"shop.orders"}\n{"op":"ins');
    const { logger, lines } = capturingLogger();
    const event = makeEvent({ op: "delete", ns: "shop.orders", id: 1, t: T });
    const sink = await openSink({ path }, new MemoryStore(), logger);
    await sink.apply({ events: [event], position: event.position });

    expect(await readLines(path)).toEqual([
      { op: "insert", ns: "shop.orders" },
      { op: "delete", ns: "shop.orders", key: { _id: 1 }, clusterTime: clusterTimeOf(event), source: "stream", resumeToken: tokenOf(event) },
    ]);
    expect(lines.map((line) => [line.level, line.msg, line.droppedBytes])).toEqual([
      [40, "the file ends in an incomplete line (a write was interrupted); removed it, its changes are written again", 10],
    ]);
  });

  it("fails to open a path that is a directory with SinkFailed naming the path", async () => {
    await mkdir(join(dir, "taken"));
    const sink = createJsonlSink({ path: "taken" }, { pipeline: "shop", sinkName: "audit", logger: silentLogger(), baseDir: dir, positions: new MemoryStore() }) as Sink;
    const error = await sink.open().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TributaryError);
    expect(error).toMatchObject({
      code: ErrorCode.SinkFailed,
      message: `Sink 'audit' cannot open ${join(dir, "taken")}: EISDIR: illegal operation on a directory, open '${join(dir, "taken")}'`,
      context: { sink: "audit", path: join(dir, "taken") },
    });
  });

  it.skipIf(!existsSync("/dev/full"))("reports a write error with SinkFailed and does not save the position", async () => {
    const positions = new MemoryStore();
    const sink = await openSink({ path: "/dev/full" }, positions);
    const event = makeEvent({ op: "delete", ns: "shop.orders", id: 1, t: T });
    const error = await sink.apply({ events: [event], position: event.position }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: ErrorCode.SinkFailed,
      message: "Sink 'audit' cannot write to /dev/full: ENOSPC: no space left on device, write",
      context: { sink: "audit", path: "/dev/full" },
    });
    expect(positions.saves).toEqual([]);
  });
});

describe("jsonl sink options", () => {
  const attempt = (options: Record<string, unknown>): unknown => {
    try {
      createJsonlSink(options, { pipeline: "shop", sinkName: "audit", logger: silentLogger(), baseDir: dir, positions: new MemoryStore() });
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it("rejects an unknown format naming the option", () => {
    expect(attempt({ format: "pretty" })).toMatchObject({
      code: ErrorCode.SinkInvalid,
      message: `Invalid options for jsonl sink 'audit': sinks.audit.options.format: Invalid option: expected one of "relaxed"|"canonical"`,
      context: { configPath: "sinks.audit.options.format" },
    });
  });

  it("rejects an unknown option and a path of the wrong type together", () => {
    expect(attempt({ path: 5, colour: true })).toMatchObject({
      code: ErrorCode.SinkInvalid,
      message: "Invalid options for jsonl sink 'audit': sinks.audit.options.path: Invalid input: expected string, received number; unknown option sinks.audit.options.colour",
      context: { configPath: "sinks.audit.options.path" },
    });
  });

  it("rejects an empty path", () => {
    expect(attempt({ path: "" })).toMatchObject({
      code: ErrorCode.SinkInvalid,
      message: "Invalid options for jsonl sink 'audit': sinks.audit.options.path: must name a file, or - for standard output",
    });
  });
});

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runStdoutScript(...args: string[]): Promise<ChildResult> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/jsonl-stdout-script.ts", ...args], { cwd: REPOSITORY_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once("error", reject);
    child.once("close", resolveExit);
  });
  return { code, stdout, stderr };
}

describe("jsonl sink to standard output", () => {
  // In a fresh process the events' sequence numbers start at 1: tokens and times are fixed.
  const token = (i: number): string => tokenAt(T, i)._data;

  it("writes exact lines to stdout and saves the position after them", async () => {
    const result = await runStdoutScript("relaxed", "0");
    expect(result).toEqual({
      code: 0,
      stdout:
        `{"op":"insert","ns":"shop.orders","key":{"_id":1},"doc":{"_id":1,"qty":2},"clusterTime":{"$timestamp":{"t":${T},"i":1}},"source":"stream","resumeToken":"${token(1)}"}\n` +
        `{"op":"delete","ns":"shop.orders","key":{"_id":1},"clusterTime":{"$timestamp":{"t":${T},"i":2}},"source":"stream","resumeToken":"${token(2)}"}\n`,
      stderr: `saved ${token(2)}\n`,
    });
  });

  it("writes canonical Extended JSON to stdout", async () => {
    const result = await runStdoutScript("canonical", "0");
    expect(result.stdout.split("\n")[0]).toBe(
      `{"op":"insert","ns":"shop.orders","key":{"_id":{"$numberInt":"1"}},"doc":{"_id":{"$numberInt":"1"},"qty":{"$numberInt":"2"}},"clusterTime":{"$timestamp":{"t":${T},"i":1}},"source":"stream","resumeToken":"${token(1)}"}`,
    );
  });

  it("delivers every line of a batch larger than the pipe's buffer", async () => {
    const bulk = 2_000;
    const result = await runStdoutScript("relaxed", String(bulk));
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(2 + bulk);
    const ids = lines.slice(2).map((line) => (JSON.parse(line) as { key: { _id: number } }).key._id);
    expect(ids).toEqual(Array.from({ length: bulk }, (_, n) => n));
    expect(result.stderr).toBe(`saved ${token(2)}\nsaved ${token(2 + bulk)}\n`);
  });
});

describe("jsonl stream writer", () => {
  it("resolves only once a full stream has taken the lines and drained", async () => {
    const pending: (() => void)[] = [];
    const received: string[] = [];
    const slow = new Writable({
      highWaterMark: 8,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString("utf8"));
        pending.push(done);
      },
    });
    const writer = new JsonlStreamWriter(slow, "slow stream", "audit");
    writer.open();
    let settled = false;
    const written = writer.write('{"op":"drop"}\n').then(() => (settled = true));
    await waitFor(() => received.length === 1, "the stream to receive the line");
    await new Promise((resolveSoon) => setImmediate(resolveSoon));
    expect(settled).toBe(false);
    pending.shift()?.();
    await written;
    expect(received).toEqual(['{"op":"drop"}\n']);
    writer.close();
    expect(slow.listenerCount("error")).toBe(0);
    expect(slow.listenerCount("drain")).toBe(0);
  });

  it("turns a stream error (the reader went away) into SinkFailed, now and on later writes", async () => {
    const broken = new Writable({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    const writer = new JsonlStreamWriter(broken, "standard output", "audit");
    writer.open();
    const expected = { code: ErrorCode.SinkFailed, message: "Sink 'audit' cannot write to standard output: write EPIPE", context: { sink: "audit", path: "standard output" } };
    await expect(writer.write("{}\n")).rejects.toMatchObject(expected);
    await expect(writer.write("{}\n")).rejects.toMatchObject(expected);
    writer.close();
  });
});

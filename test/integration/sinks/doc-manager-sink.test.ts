import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Binary, BSONRegExp, Decimal128, Double, Int32, Long, ObjectId, UUID, type Document } from "mongodb";
import { BSON } from "../../../src/core/bson.js";
import { LOSSLESS_BSON_OPTIONS } from "../../../src/source/mongo-connection.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { silentLogger } from "../../../src/core/logger.js";
import { docManagerSink } from "../../../src/sinks/docmanager/doc-manager-sink.js";
import type { DocManager } from "../../../src/sinks/docmanager/doc-manager.js";
import { buildSink } from "../../../src/runtime/sink-resolver.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { Sink } from "../../../src/core/sink.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent } from "../../support/events.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";

/** A DocManager that writes down every call, so the order of calls can be asserted. */
function recordingDocManager(calls: string[], overrides: Partial<DocManager> = {}): DocManager {
  return {
    upsert: (doc, namespace) => void calls.push(`upsert ${namespace} ${String(doc._id)}`),
    bulkUpsert: (docs, namespace) => void calls.push(`bulkUpsert ${namespace} ${docs.map((doc) => String(doc._id)).join(",")}`),
    update: (id, spec, namespace) => void calls.push(`update ${namespace} ${String(id)} ${JSON.stringify(spec)}`),
    remove: (id, namespace) => void calls.push(`remove ${namespace} ${String(id)}`),
    handleCommand: (command, namespace) => void calls.push(`command ${namespace} ${JSON.stringify(command)}`),
    commit: () => void calls.push("commit"),
    stop: () => void calls.push("stop"),
    ...overrides,
  };
}

function update(id: number, fields: Document): ChangeEvent {
  return { ...makeEvent({ op: "update", ns: "shop.orders", id, doc: { _id: id, ...fields } }), update: { updatedFields: fields, removedFields: [], truncatedArrays: [] } };
}

describe("a DocManager as a sink", () => {
  it("calls the DocManager in stream order, commits, and only then saves the position", async () => {
    const calls: string[] = [];
    const positions = new MemoryResumePointStore();
    const save = positions.save.bind(positions);
    positions.save = async (position) => {
      calls.push("save");
      await save(position);
    };
    const sink = docManagerSink("dm", recordingDocManager(calls), { positions, logger: silentLogger() });
    await sink.open();
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } }),
      update(1, { total: 5 }),
      makeEvent({ op: "delete", ns: "shop.orders", id: 2 }),
      makeEvent({ op: "drop", ns: "shop.orders" }),
    ];
    await sink.apply({ events, position: events[4]!.position });
    await sink.close();
    expect(calls).toEqual([
      "bulkUpsert shop.orders 1,2",
      'update shop.orders 1 {"$set":{"total":5}}',
      "remove shop.orders 2",
      'command shop.$cmd {"drop":"orders"}',
      "commit",
      "save",
      "stop",
    ]);
    expect(positions.saved).toEqual([events[4]!.position]);
  });

  it("commits after every operation with autoCommitInterval 0", async () => {
    const calls: string[] = [];
    const sink = docManagerSink("dm", recordingDocManager(calls), { autoCommitInterval: 0, positions: new MemoryResumePointStore(), logger: silentLogger() });
    await sink.open();
    const events = [makeEvent({ op: "delete", ns: "a.b", id: 1 }), makeEvent({ op: "delete", ns: "a.b", id: 2 })];
    await sink.apply({ events, position: events[1]!.position });
    expect(calls).toEqual(["remove a.b 1", "commit", "remove a.b 2", "commit", "commit"]);
  });

  it("reports a failing call with the sink, method and namespace, and saves no position", async () => {
    const positions = new MemoryResumePointStore();
    const failing = recordingDocManager([], {
      remove: () => {
        throw new Error("index is read-only");
      },
    });
    const sink = docManagerSink("search", failing, { positions, logger: silentLogger() });
    await sink.open();
    const event = makeEvent({ op: "delete", ns: "shop.orders", id: 7 });
    const error = await sink.apply({ events: [event], position: event.position }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ErrorCode.SinkFailed, message: "Sink 'search': the DocManager's remove failed on shop.orders: index is read-only", context: { sink: "search", namespace: "shop.orders" } });
    expect(positions.saved).toEqual([]);
  });

  it("warns when the target holds documents but no position is stored", async () => {
    const { logger, lines } = capturingLogger();
    const sink = docManagerSink("dm", recordingDocManager([], { getLastDoc: () => ({ _id: "last-one" }) }), { positions: new MemoryResumePointStore(), logger });
    await sink.open();
    expect(lines.filter((line) => line.level === 40)).toMatchObject([{ sink: "dm", lastDocumentId: "last-one", msg: "the target already holds documents but no position is stored: changes made before now are not replayed into it" }]);
  });

  it("refuses an object without upsert and remove", () => {
    expect(() => docManagerSink("dm", {} as DocManager, { positions: new MemoryResumePointStore(), logger: silentLogger() })).toThrow("Sink 'dm': a DocManager needs the methods upsert and remove");
  });
});

describe("the example DocManager (examples/docmanager-sink)", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tributary-docmanager-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `work` on an opened example sink writing to a fresh directory, removed afterwards. */
  async function withExampleSink(options: Document, work: (sink: Sink, out: string) => Promise<void>): Promise<void> {
    const out = await mkdtemp(join(tmpdir(), "tributary-docmanager-example-"));
    try {
      const context = { pipeline: "p", sinkName: "files", logger: silentLogger(), baseDir: resolve("."), positions: new MemoryResumePointStore() };
      const sink = await buildSink("./examples/docmanager-sink", { dir: out, values: "plain", ...options }, context, "sinks.files");
      await sink.open();
      await work(sink, out);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }

  it("applies updates as $set/$unset (a shrunk array set whole), removes, renames and drops, and resumes from its saved position", async () => {
    const positions = new MemoryResumePointStore();
    const context = { pipeline: "p", sinkName: "files", logger: silentLogger(), baseDir: resolve("."), positions };
    const open = async () => {
      const sink = await buildSink("./examples/docmanager-sink", { dir, values: "plain" }, context, "sinks.files");
      return { sink, from: await sink.open() };
    };
    const first = await open();
    expect(first.from).toBeUndefined();
    const inserts = [
      makeEvent({ op: "insert", ns: "app.users", id: "ann", doc: { _id: "ann", name: "Ann", tags: ["a", "b", "c"], address: { city: "Oslo" }, note: "x" } }),
      makeEvent({ op: "insert", ns: "app.users", id: "bob", doc: { _id: "bob", name: "Bob" } }),
    ];
    await first.sink.apply({ events: inserts, position: inserts[1]!.position });
    await first.sink.close();

    const second = await open();
    expect(second.from).toEqual(inserts[1]!.position);
    const changed: ChangeEvent = {
      // With the document as looked up (fullDocument: updateLookup): the shrunk array comes from it.
      ...makeEvent({ op: "update", ns: "app.users", id: "ann", doc: { _id: "ann", name: "Ann", tags: ["a"], address: { city: "Bergen" } } }),
      update: { updatedFields: { "address.city": "Bergen" }, removedFields: ["note"], truncatedArrays: [{ field: "tags", newSize: 1 }] },
    };
    const later = [changed, makeEvent({ op: "delete", ns: "app.users", id: "bob" }), makeEvent({ op: "rename", ns: "app.users", to: "app.people" })];
    await second.sink.apply({ events: later, position: later[2]!.position });
    await second.sink.close();
    expect(JSON.parse(await readFile(join(dir, "app.people.json"), "utf8"))).toEqual({ '"ann"': { _id: "ann", name: "Ann", tags: ["a"], address: { city: "Bergen" } } });
    await expect(readFile(join(dir, "app.users.json"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });

    const third = await open();
    const drop = makeEvent({ op: "drop", ns: "app.people" });
    await third.sink.apply({ events: [drop], position: drop.position });
    await third.sink.close();
    await expect(readFile(join(dir, "app.people.json"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });
  it("writes the values of a driver-decoded document as correct JSON", async () => {
    await withExampleSink({}, async (sink, out) => {
      const id = new ObjectId("65f1c0ffee00000000abcdef");
      const doc = BSON.deserialize(
        BSON.serialize({
          _id: id,
          qty: new Int32(5),
          price: new Double(9.5),
          views: Long.fromNumber(12),
          huge: Long.fromString("9223372036854775807"),
          total: Decimal128.fromString("19.90"),
          at: new Date("2024-05-01T12:00:00.000Z"),
          token: new UUID("0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44"),
          bytes: new Binary(Buffer.from([1, 2, 3])),
          pattern: new BSONRegExp("^a", "i"),
          tags: [new Int32(1), { n: Long.fromNumber(2) }],
        }),
        LOSSLESS_BSON_OPTIONS,
      );
      const insert = makeEvent({ op: "insert", ns: "app.things", id: doc._id, doc });
      await sink.apply({ events: [insert], position: insert.position });
      await sink.close();
      expect(JSON.parse(await readFile(join(out, "app.things.json"), "utf8"))).toEqual({
        [JSON.stringify(id.toHexString())]: {
          _id: id.toHexString(),
          qty: 5,
          price: 9.5,
          views: 12,
          huge: "9223372036854775807",
          total: "19.90",
          at: "2024-05-01T12:00:00.000Z",
          token: "0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44",
          bytes: "AQID",
          pattern: "/^a/i",
          tags: [1, { n: 2 }],
        },
    });
    });
  });

  it("keys documents whose _id is a Long beyond 2^53 - 1 (a bigint in plain values) by its digits, and removes them by it", async () => {
    await withExampleSink({}, async (sink, out) => {
      // A snowflake-style id, as the driver decodes it with Tributary's options (a Long).
      const snowflake = Long.fromString("1790000000000000001");
      const other = Long.fromString("1790000000000000002");
      const inserts = [snowflake, other].map((id) => makeEvent({ op: "insert", ns: "app.posts", id, doc: { _id: id, text: "hi" } }));
      const removal = makeEvent({ op: "delete", ns: "app.posts", id: other });
      await sink.apply({ events: [...inserts, removal], position: removal.position });
      await sink.close();
      expect(JSON.parse(await readFile(join(out, "app.posts.json"), "utf8"))).toEqual({ '"1790000000000000001"': { _id: "1790000000000000001", text: "hi" } });
    });
  });

  it("writes mapped collections under their target names and drops them by the source's commands", async () => {
    await withExampleSink({ namespaces: { "app.*": "copy.app_*" } }, async (sink, out) => {
      const events = [makeEvent({ op: "insert", ns: "app.users", id: "ann", doc: { _id: "ann" } }), makeEvent({ op: "insert", ns: "app.orders", id: 1, doc: { _id: 1 } })];
      await sink.apply({ events, position: events[1]!.position });
      expect(JSON.parse(await readFile(join(out, "copy.app_users.json"), "utf8"))).toEqual({ '"ann"': { _id: "ann" } });
      const drop = makeEvent({ op: "drop", ns: "app.users" });
      await sink.apply({ events: [drop], position: drop.position });
      await sink.close();
      await expect(readFile(join(out, "copy.app_users.json"), "utf8")).rejects.toMatchObject({ code: "ENOENT" });
      expect(JSON.parse(await readFile(join(out, "copy.app_orders.json"), "utf8"))).toEqual({ "1": { _id: 1 } });
    });
  });

  it("refuses to start without plain values, and the adapter refuses a bad option by its path", async () => {
    const context = { pipeline: "p", sinkName: "files", logger: silentLogger(), baseDir: resolve("."), positions: new MemoryResumePointStore() };
    await expect(buildSink("./examples/docmanager-sink", { dir }, context, "sinks.files")).rejects.toThrow("sinks.files.options.values: this DocManager writes JSON and needs plain values: set values: plain");
    await expect(buildSink("./examples/docmanager-sink", { dir, values: "json" }, context, "sinks.files")).rejects.toMatchObject({
      code: ErrorCode.SinkInvalid,
      context: { configPath: "sinks.files.options.values" },
    });
  });
});

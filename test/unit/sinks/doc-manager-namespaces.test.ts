import { Int32, Long, ObjectId, type Document, type Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.js";
import { docManagerSink } from "../../../src/sinks/docmanager/doc-manager-sink.js";
import type { CommandDetails, DocManager } from "../../../src/sinks/docmanager/doc-manager.js";
import { namespaceEntryProblem, namespaceMap } from "../../../src/sinks/docmanager/namespace-mapping.js";
import { BSON } from "../../../src/core/bson.js";
import { LOSSLESS_BSON_OPTIONS } from "../../../src/source/mongo-connection.js";
import { makeEvent } from "../../support/events.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";

describe("namespaceMap", () => {
  const map = namespaceMap({ "shop.*": "archive.*", "shop.orders": "sales.orders", "*.logs": "logs.*", "shop.log*": "old.log*", "a.*": "b.$&_*" });

  it("maps an exact entry before any wildcard", () => {
    expect(map("shop.orders")).toBe("sales.orders");
  });

  it("puts the text the * matched into the target's *, the most literal wildcard first", () => {
    expect(map("shop.users")).toBe("archive.users");
    expect(map("shop.users.v2")).toBe("archive.users.v2");
    expect(map("shop.logbook")).toBe("old.logbook");
    expect(map("app.logs")).toBe("logs.app");
    expect(map("a.x$1")).toBe("b.$&_x$1");
  });

  it("leaves a namespace no entry matches as it is; * matches at least one character", () => {
    expect(map("other.things")).toBe("other.things");
    expect(map("shop.")).toBe("shop.");
  });

  it("refuses entries that cannot be applied", () => {
    expect(namespaceEntryProblem("shop.*", "archive.all")).toBe("a source with * needs a target with * (many collections cannot share one name)");
    expect(namespaceEntryProblem("shop.orders", "archive.*")).toBe("a target with * needs a source with *");
    expect(namespaceEntryProblem("*.*", "a.*")).toBe("at most one * on each side");
    expect(namespaceEntryProblem("shop.orders", "")).toBe("the source and the target must be non-empty");
    expect(namespaceEntryProblem("shop.*", "archive.*")).toBeUndefined();
  });
});

interface Call {
  readonly method: string;
  readonly namespace: string;
  readonly value: unknown;
  readonly details?: CommandDetails;
}

function recorder(calls: Call[]): DocManager {
  return {
    upsert: (doc: Document, namespace: string) => void calls.push({ method: "upsert", namespace, value: doc }),
    update: (id: unknown, spec: Document, namespace: string) => void calls.push({ method: "update", namespace, value: { id, spec } }),
    remove: (id: unknown, namespace: string) => void calls.push({ method: "remove", namespace, value: id }),
    handleCommand: (command: Document, namespace: string, _timestamp: Timestamp, details: CommandDetails) => void calls.push({ method: "handleCommand", namespace, value: command, details }),
  };
}

/** A document as the driver decodes it. */
const decoded = (doc: Document): Document => BSON.deserialize(BSON.serialize(doc), LOSSLESS_BSON_OPTIONS);

describe("a DocManager sink with namespaces and values", () => {
  const id = new ObjectId("65f1c0ffee00000000abcdef");

  it("calls data methods with the target name and commands with the source's, mapNamespace at hand", async () => {
    const calls: Call[] = [];
    const sink = docManagerSink("dm", recorder(calls), { namespaces: { "shop.*": "archive.*" }, positions: new MemoryResumePointStore(), logger: silentLogger() });
    await sink.open();
    const events = [makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }), makeEvent({ op: "delete", ns: "shop.orders", id: 1 }), makeEvent({ op: "drop", ns: "shop.orders" })];
    await sink.apply({ events, position: events[2]!.position });
    expect(calls.map(({ method, namespace }) => `${method} ${namespace}`)).toEqual(["upsert archive.orders", "remove archive.orders", "handleCommand shop.$cmd"]);
    expect(calls[2]!.value).toEqual({ drop: "orders" });
    expect(calls[2]!.details?.event).toBe(events[2]);
    expect(calls[2]!.details?.mapNamespace("shop.orders")).toBe("archive.orders");
  });

  it("refuses two entries with one target, as mongo-connector does: their documents would overwrite each other's", () => {
    const options = { positions: new MemoryResumePointStore(), logger: silentLogger() };
    expect(() => docManagerSink("dm", recorder([]), { ...options, namespaces: { "shop.orders": "all.orders", "old.orders": "all.orders" } })).toThrow(
      `Sink 'dm': namespaces "old.orders" and "shop.orders" both map to "all.orders" (many collections cannot share one name)`,
    );
    expect(() => docManagerSink("dm", recorder([]), { ...options, namespaces: { "a.*": "x.*", "b.*": "x.*" } })).toThrow(`namespaces "a.*" and "b.*" both map to "x.*"`);
  });

  it("refuses a namespace entry it cannot apply, naming the sink and the entry", () => {
    expect(() => docManagerSink("dm", recorder([]), { namespaces: { "shop.*": "archive" }, positions: new MemoryResumePointStore(), logger: silentLogger() })).toThrow(
      `Sink 'dm': namespaces "shop.*": "archive": a source with * needs a target with * (many collections cannot share one name)`,
    );
  });

  it("delivers BSON values by default and plain ones with values: plain", async () => {
    const doc = decoded({ _id: id, qty: new Int32(5), views: Long.fromString("9007199254740993") });
    const update = { ...makeEvent({ op: "update", ns: "a.b", id, doc }), key: decoded({ _id: id }), update: { updatedFields: decoded({ qty: new Int32(6) }), removedFields: [], truncatedArrays: [] } };
    const events = [makeEvent({ op: "insert", ns: "a.b", doc }), update];
    const deliver = async (options: { values?: "plain" | "bson"; largeLongs?: "string" }): Promise<Call[]> => {
      const calls: Call[] = [];
      const sink = docManagerSink("dm", recorder(calls), { ...options, positions: new MemoryResumePointStore(), logger: silentLogger() });
      await sink.open();
      await sink.apply({ events, position: update.position });
      return calls;
    };
    const bson = await deliver({});
    expect(bson[0]!.value).toBe(doc);
    expect((bson[0]!.value as Document).qty).toBeInstanceOf(Int32);
    const plain = await deliver({ values: "plain" });
    expect(plain.map((call) => call.value)).toEqual([
      { _id: id.toHexString(), qty: 5, views: 9007199254740993n },
      { id: id.toHexString(), spec: { $set: { qty: 6 } } },
    ]);
    expect((await deliver({ values: "plain", largeLongs: "string" }))[0]!.value).toEqual({ _id: id.toHexString(), qty: 5, views: "9007199254740993" });
    expect((doc.qty as Int32) instanceof Int32).toBe(true);
  });
});

import { Int32, Long, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { commandDocument } from "../../../src/sinks/docmanager/doc-manager-commands.js";
import { planDocManagerOperations } from "../../../src/sinks/docmanager/doc-manager-operations.js";
import { normalizeChange } from "../../../src/source/normalize-change.js";
import { RESHARD_UUID, TARGET_UUID, serverCommandEvents } from "../../support/command-change-events.js";

const int = (n: number): Int32 => new Int32(n);
const indexSpec = { v: int(2), key: { sku: int(1) }, name: "sku_1", unique: true };

function normalized(raw: Document): ChangeEvent {
  const event = normalizeChange(raw);
  if (!event) throw new Error(`normalizeChange left out ${String(raw.operationType)}`);
  return event;
}

describe("command events for a DocManager", () => {
  it("keeps the server's operationDescription and stateBeforeChange on the normalized event", () => {
    const event = normalized(serverCommandEvents.modifyIndex());
    expect(event).toMatchObject({ op: "modify", ns: { db: "shop", coll: "orders" }, description: { index: { name: "sku_1", hidden: true } }, stateBeforeChange: { indexOptions: { hidden: false } } });
    expect(normalized(serverCommandEvents.drop()).description).toBeUndefined();
  });

  it.each<[keyof typeof serverCommandEvents, Document]>([
    ["create", { create: "orders", idIndex: { v: int(2), key: { _id: int(1) }, name: "_id_" } }],
    ["createIndexes", { createIndexes: "orders", indexes: [indexSpec] }],
    ["dropIndexes", { dropIndexes: "orders", index: ["sku_1"] }],
    ["modifyIndex", { collMod: "orders", index: { name: "sku_1", hidden: true } }],
    ["modifyValidator", { collMod: "orders", validator: { qty: { $gte: int(0) } }, validationLevel: "strict", validationAction: "error" }],
    ["rename", { renameCollection: "shop.orders", to: "shop.archive", dropTarget: TARGET_UUID }],
    ["drop", { drop: "orders" }],
    ["dropDatabase", { dropDatabase: 1 }],
    ["shardCollection", { shardCollection: "shop.orders", key: { region: int(1) }, unique: false, numInitialChunks: Long.fromNumber(0), presplitHashedZones: false }],
    [
      "reshardCollection",
      { reshardCollection: "shop.orders", key: { sku: "hashed" }, reshardUUID: RESHARD_UUID, oldShardKey: { region: int(1) }, unique: false, numInitialChunks: Long.fromNumber(0), collation: { locale: "simple" }, zones: [] },
    ],
    ["refineCollectionShardKey", { refineCollectionShardKey: "shop.orders", key: { region: int(1), sku: int(1) }, oldShardKey: { region: int(1) } }],
  ])("spells %s as the oplog or the command does", (name, expected) => {
    const command = commandDocument(normalized(serverCommandEvents[name]()));
    expect(command).toEqual(expected);
    expect(Object.keys(command ?? {})[0]).toBe(Object.keys(expected)[0]);
  });

  it("sends every command event, on db.$cmd and unmapped, with the event as it came", () => {
    const events = Object.values(serverCommandEvents).map((make) => normalized(make()));
    const abilities = { update: true, uniqueKey: "_id", chunkSize: 10, mapNamespace: (namespace: string) => `mapped.${namespace}` };
    const plan = planDocManagerOperations(events, abilities);
    expect(plan).toHaveLength(events.length);
    plan.forEach((operation, index) => {
      expect(operation).toMatchObject({ kind: "command", namespace: "shop.$cmd", event: events[index], timestamp: events[index]!.clusterTime });
    });
    expect(plan.map((operation) => (operation.kind === "command" ? operation.event.op : undefined))).toEqual([
      "create",
      "createIndexes",
      "dropIndexes",
      "modify",
      "modify",
      "rename",
      "drop",
      "dropDatabase",
      "shardCollection",
      "reshardCollection",
      "refineCollectionShardKey",
    ]);
    expect(events[0]!.description).toMatchObject({ idIndex: { name: "_id_" } });
  });
});

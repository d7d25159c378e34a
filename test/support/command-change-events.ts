import { Long, Timestamp, UUID, type Document } from "mongodb";
import { BSON } from "../../src/core/bson.js";
import { LOSSLESS_BSON_OPTIONS } from "../../src/source/mongo-connection.js";
import { tokenAt } from "./events.js";

const COLLECTION_UUID = new UUID("5b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b");
const TARGET_UUID = new UUID("0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44");
const RESHARD_UUID = new UUID("a1b2c3d4-e5f6-4718-9a0b-1c2d3e4f5a6b");

let sequence = 0;

/**
 * A command event as a MongoDB 7.0 change stream opened with `showExpandedEvents: true` sends it,
 * decoded by the driver's BSON with Tributary's options. The `operationDescription` and
 * `stateBeforeChange` of each are made the way mongodb/mongo
 * src/mongo/db/pipeline/change_stream_event_transform.cpp makes them from the oplog entry, and as
 * the change events reference pages show them.
 */
function serverEvent(operationType: string, ns: Document, fields: Document = {}): Document {
  sequence += 1;
  const raw: Document = {
    _id: tokenAt(1_714_564_800, sequence),
    operationType,
    clusterTime: new Timestamp({ t: 1_714_564_800, i: sequence }),
    ...(operationType === "dropDatabase" ? {} : { collectionUUID: COLLECTION_UUID }),
    wallTime: new Date("2024-05-01T12:00:00.000Z"),
    ns,
    ...fields,
  };
  return BSON.deserialize(BSON.serialize(raw), LOSSLESS_BSON_OPTIONS);
}

const orders = { db: "shop", coll: "orders" };
const index = { v: 2, key: { sku: 1 }, name: "sku_1", unique: true };

/** Every command event type, as the server sends it. */
export const serverCommandEvents = {
  create: () => serverEvent("create", orders, { operationDescription: { idIndex: { v: 2, key: { _id: 1 }, name: "_id_" } } }),
  createIndexes: () => serverEvent("createIndexes", orders, { operationDescription: { indexes: [index] } }),
  dropIndexes: () => serverEvent("dropIndexes", orders, { operationDescription: { indexes: [index] } }),
  modifyIndex: () => serverEvent("modify", orders, { operationDescription: { index: { name: "sku_1", hidden: true } }, stateBeforeChange: { indexOptions: { hidden: false } } }),
  modifyValidator: () =>
    serverEvent("modify", orders, {
      operationDescription: { validator: { qty: { $gte: 0 } }, validationLevel: "strict", validationAction: "error" },
      stateBeforeChange: { collectionOptions: { uuid: COLLECTION_UUID } },
    }),
  rename: () => serverEvent("rename", orders, { to: { db: "shop", coll: "archive" }, operationDescription: { to: { db: "shop", coll: "archive" }, dropTarget: TARGET_UUID } }),
  drop: () => serverEvent("drop", orders),
  dropDatabase: () => serverEvent("dropDatabase", { db: "shop" }),
  shardCollection: () =>
    serverEvent("shardCollection", orders, { operationDescription: { shardKey: { region: 1 }, unique: false, numInitialChunks: Long.fromNumber(0), presplitHashedZones: false } }),
  reshardCollection: () =>
    serverEvent("reshardCollection", orders, {
      operationDescription: { reshardUUID: RESHARD_UUID, shardKey: { sku: "hashed" }, oldShardKey: { region: 1 }, unique: false, numInitialChunks: Long.fromNumber(0), collation: { locale: "simple" }, zones: [] },
    }),
  refineCollectionShardKey: () => serverEvent("refineCollectionShardKey", orders, { operationDescription: { shardKey: { region: 1, sku: 1 }, oldShardKey: { region: 1 } } }),
} as const;

export { TARGET_UUID, RESHARD_UUID };

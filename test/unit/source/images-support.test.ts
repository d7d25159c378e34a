import { Long, ObjectId, Timestamp, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { BSON } from "../../../src/core/bson.js";
import { imagesSupport } from "../../../src/source/images-support.js";
import { LOSSLESS_BSON_OPTIONS } from "../../../src/source/mongo-connection.js";

/** A reply as the driver hands it over: read back from BSON (Int32 and Long wrappers kept, as Tributary reads). */
const reply = (doc: Document): Document => BSON.deserialize(BSON.serialize(doc), LOSSLESS_BSON_OPTIONS);

/** `buildInfo` as a mongod of this release answers it (fields as the server sends them, trimmed of build details). */
function buildInfo(version: string): Document {
  const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
  return reply({
    version,
    gitVersion: "0b4f1ea980b5380a66425a90b414106a191365f4",
    modules: [],
    allocator: "tcmalloc",
    javascriptEngine: "mozjs",
    sysInfo: "deprecated",
    versionArray: [major, minor, patch, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16777216,
    storageEngines: ["devnull", "wiredTiger"],
    ok: 1,
    $clusterTime: { clusterTime: new Timestamp({ t: 1714564800, i: 1 }), signature: { hash: Buffer.alloc(20), keyId: Long.fromNumber(0) } },
    operationTime: new Timestamp({ t: 1714564800, i: 1 }),
  });
}

/** `hello` as a replica set primary answers it. */
function hello(maxWireVersion: number): Document {
  return reply({
    topologyVersion: { processId: new ObjectId("65f1c0ffee00000000abcdef"), counter: Long.fromNumber(6) },
    hosts: ["localhost:27017"],
    setName: "rs0",
    setVersion: 1,
    isWritablePrimary: true,
    secondary: false,
    primary: "localhost:27017",
    me: "localhost:27017",
    maxBsonObjectSize: 16777216,
    maxMessageSizeBytes: 48000000,
    maxWriteBatchSize: 100000,
    localTime: new Date("2024-05-01T12:00:00Z"),
    logicalSessionTimeoutMinutes: 30,
    connectionId: 12,
    minWireVersion: 0,
    maxWireVersion,
    readOnly: false,
    ok: 1,
  });
}

describe("imagesSupport: which images a deployment keeps", () => {
  it("changeStreamPreAndPostImages on 6.0 and later at a 6.0+ featureCompatibilityVersion", () => {
    expect(imagesSupport({ buildInfo: buildInfo("6.0.15"), hello: hello(17), featureCompatibilityVersion: "6.0" })).toEqual({ kind: "changeStreamPreAndPostImages", version: "6.0.15, featureCompatibilityVersion 6.0" });
    expect(imagesSupport({ buildInfo: buildInfo("8.0.4"), hello: hello(25), featureCompatibilityVersion: "7.0" })).toMatchObject({ kind: "changeStreamPreAndPostImages" });
    expect(imagesSupport({ buildInfo: buildInfo("7.0.12"), hello: hello(21) })).toEqual({ kind: "changeStreamPreAndPostImages", version: "7.0.12" });
  });

  it("nothing on a 6.0 server still at featureCompatibilityVersion 5.0: it says to raise it (recordPreImages is not read there)", () => {
    const support = imagesSupport({ buildInfo: buildInfo("6.0.15"), hello: hello(17), featureCompatibilityVersion: "5.0" });
    expect(support).toEqual({
      kind: "none",
      version: "6.0.15, featureCompatibilityVersion 5.0",
      reason:
        'change stream pre- and post-images need MongoDB 6.0 or later with featureCompatibilityVersion 6.0 or later: raise it first (db.adminCommand({ setFeatureCompatibilityVersion: "6.0" }), see the MongoDB upgrade notes), then run this again',
    });
  });

  it("recordPreImages on 4.4 and 5.x", () => {
    expect(imagesSupport({ buildInfo: buildInfo("5.0.26"), hello: hello(13), featureCompatibilityVersion: "5.0" })).toEqual({ kind: "recordPreImages", version: "5.0.26, featureCompatibilityVersion 5.0" });
    expect(imagesSupport({ buildInfo: buildInfo("4.4.29"), hello: hello(9) })).toEqual({ kind: "recordPreImages", version: "4.4.29" });
    expect(imagesSupport({ buildInfo: buildInfo("5.3.2"), hello: hello(16) })).toMatchObject({ kind: "recordPreImages" });
  });

  it("nothing on a 4.4 server still at featureCompatibilityVersion 4.2: recordPreImages needs 4.4, so it says to raise it", () => {
    // The server's own test of the option (mongodb/mongo, r4.4): "we require the FCV to be 4.4"; at 4.2, create and collMod answer InvalidOptions.
    expect(imagesSupport({ buildInfo: buildInfo("4.4.29"), hello: hello(9), featureCompatibilityVersion: "4.2" })).toEqual({
      kind: "none",
      version: "4.4.29, featureCompatibilityVersion 4.2",
      reason:
        'the recordPreImages collection option (pre-images only, 4.4 and 5.x) needs featureCompatibilityVersion 4.4 or later: raise it first (db.adminCommand({ setFeatureCompatibilityVersion: "4.4" }), see the MongoDB upgrade notes), then run this again',
    });
    expect(imagesSupport({ buildInfo: buildInfo("5.0.26"), hello: hello(13), featureCompatibilityVersion: "4.4" })).toMatchObject({ kind: "recordPreImages" });
  });

  it("nothing before 4.4, saying what to keep", () => {
    expect(imagesSupport({ buildInfo: buildInfo("4.2.25"), hello: hello(8) })).toEqual({
      kind: "none",
      version: "4.2.25",
      reason:
        "change stream pre- and post-images need MongoDB 6.0 or later (4.4 and 5.x have the recordPreImages collection option, for pre-images only); before that there are none: keep source.fullDocument: updateLookup and source.fullDocumentBeforeChange: off",
    });
  });

  it("reads the release from hello's wire version when buildInfo is refused, and from versionArray when version is missing", () => {
    expect(imagesSupport({ hello: hello(13) })).toEqual({ kind: "recordPreImages", version: "5.x (wire version 13)" });
    expect(imagesSupport({ hello: hello(21), featureCompatibilityVersion: "7.0" })).toMatchObject({ kind: "changeStreamPreAndPostImages", version: "6.0 or later (wire version 21), featureCompatibilityVersion 7.0" });
    expect(imagesSupport({ hello: hello(8) })).toMatchObject({ kind: "none", version: "4.2 or older (wire version 8)" });
    const withoutVersion = buildInfo("4.4.29");
    delete withoutVersion.version;
    expect(imagesSupport({ buildInfo: withoutVersion, hello: hello(9) })).toEqual({ kind: "recordPreImages", version: "4.4.29" });
  });

  it("nothing on a sharded cluster before 6.0: its shards refuse recordPreImages", () => {
    // The server's test of the option: accepted "only if the node is a member of a replica set that is not a shard/config server".
    const mongos = reply({ ismaster: true, msg: "isdbgrid", maxBsonObjectSize: 16777216, localTime: new Date(), maxWireVersion: 13, minWireVersion: 0, ok: 1 });
    expect(imagesSupport({ buildInfo: buildInfo("5.0.26"), hello: mongos, featureCompatibilityVersion: "5.0" })).toEqual({
      kind: "none",
      version: "5.0.26, featureCompatibilityVersion 5.0",
      reason:
        "change stream pre-images on a sharded cluster need MongoDB 6.0 or later (changeStreamPreAndPostImages): the shards of 4.4 and 5.x refuse the recordPreImages collection option, which only a replica set that is not a shard takes",
    });
  });

  it("reads a mongos's hello the same way", () => {
    const mongos = reply({ isWritablePrimary: true, msg: "isdbgrid", maxBsonObjectSize: 16777216, localTime: new Date(), maxWireVersion: 17, minWireVersion: 0, ok: 1 });
    expect(imagesSupport({ hello: mongos, featureCompatibilityVersion: "6.0" })).toMatchObject({ kind: "changeStreamPreAndPostImages" });
  });
});

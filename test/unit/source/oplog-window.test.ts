// readOplogWindow against scripted replies shaped as the server sends them: `hello` from a replica
// set member, a mongos (msg "isdbgrid", mongo/s/commands/cluster_hello_cmd.cpp) and a standalone;
// oplog entries as the server writes them (a no-op entry: ts, t, v, op "n", ns "", wall, o.msg),
// projected to ts; $collStats on local.oplog.rs as a 7.0 member answers it (storageStats size,
// capped, maxSize); the refusal of `local` through an older mongos (IllegalOperation 20, "Can't
// use 'local' database through mongos", s/commands/strategy.cpp); an unauthorized read (13).
import { Long, MongoServerError, Timestamp, type Document, type MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { readOplogWindow } from "../../../src/source/oplog-window.js";

const MEMBER_HELLO = {
  topologyVersion: { processId: "6745a1f2c3d4e5f601234567", counter: Long.fromNumber(6) },
  hosts: ["mongo-0:27017", "mongo-1:27017", "mongo-2:27017"],
  setName: "rs0",
  setVersion: 1,
  isWritablePrimary: true,
  secondary: false,
  primary: "mongo-0:27017",
  me: "mongo-0:27017",
  maxBsonObjectSize: 16777216,
  maxMessageSizeBytes: 48000000,
  maxWriteBatchSize: 100000,
  localTime: new Date("2027-01-15T18:00:00Z"),
  logicalSessionTimeoutMinutes: 30,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
  ok: 1,
};
const MONGOS_HELLO = {
  isWritablePrimary: true,
  msg: "isdbgrid",
  topologyVersion: { processId: "6745a1f2c3d4e5f601234568", counter: Long.fromNumber(0) },
  maxBsonObjectSize: 16777216,
  maxMessageSizeBytes: 48000000,
  maxWriteBatchSize: 100000,
  localTime: new Date("2027-01-15T18:00:00Z"),
  logicalSessionTimeoutMinutes: 30,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
  ok: 1,
};
const STANDALONE_HELLO = { isWritablePrimary: true, topologyVersion: MEMBER_HELLO.topologyVersion, maxBsonObjectSize: 16777216, minWireVersion: 0, maxWireVersion: 21, readOnly: false, ok: 1 };

// The oldest and newest entries, projected to { ts } as the reader asks.
const OLDEST = { ts: new Timestamp({ t: 1_736_928_000, i: 1 }) };
const NEWEST = { ts: new Timestamp({ t: 1_736_964_000, i: 3 }) };
const COLL_STATS = {
  ns: "local.oplog.rs",
  host: "mongo-0:27017",
  localTime: new Date("2027-01-15T18:00:00Z"),
  storageStats: { size: 907806, count: 4341, avgObjSize: 209, storageSize: 196608, capped: true, max: 10, maxSize: 16777216, sleepCount: 0, sleepMS: 0, nindexes: 0, totalIndexSize: 0, totalSize: 196608, indexSizes: {}, scaleFactor: 1 },
};

interface Script {
  readonly hello: Document | Error;
  readonly entries?: readonly [Document | null, Document | null] | Error;
  readonly stats?: Document;
}

/** A client answering `hello`, the two natural-order finds on local.oplog.rs and the $collStats aggregate. */
function scriptedClient(script: Script): { client: MongoClient; asked: string[] } {
  const asked: string[] = [];
  const client = {
    db(name: string) {
      return {
        command(command: Document) {
          asked.push(`${name}.${Object.keys(command)[0]}`);
          return script.hello instanceof Error ? Promise.reject(script.hello) : Promise.resolve(script.hello);
        },
        collection(coll: string) {
          return {
            find(_filter: Document, options: { sort: { $natural: 1 | -1 } }) {
              asked.push(`${name}.${coll} find $natural ${options.sort.$natural}`);
              const { entries } = script;
              return { next: () => (entries instanceof Error ? Promise.reject(entries) : Promise.resolve(entries?.[options.sort.$natural === 1 ? 0 : 1] ?? null)) };
            },
            aggregate(pipeline: Document[]) {
              asked.push(`${name}.${coll} aggregate ${Object.keys(pipeline[0] ?? {})[0]}`);
              return { toArray: () => Promise.resolve(script.stats ? [script.stats] : []) };
            },
          };
        },
      };
    },
  };
  return { client: client as unknown as MongoClient, asked };
}

describe("readOplogWindow", () => {
  it("reads a replica set member's oldest and newest entries and the oplog's size and capped maximum", async () => {
    const { client, asked } = scriptedClient({ hello: MEMBER_HELLO, entries: [OLDEST, NEWEST], stats: COLL_STATS });
    expect(await readOplogWindow(client)).toEqual({ oldestSeconds: 1_736_928_000, newestSeconds: 1_736_964_000, sizeBytes: 907806, maxSizeBytes: 16777216 });
    expect(asked).toEqual(["admin.hello", "local.oplog.rs find $natural 1", "local.oplog.rs find $natural -1", "local.oplog.rs aggregate $collStats"]);
  });

  it("says clearly that a mongos is not measured, without touching local", async () => {
    const { client, asked } = scriptedClient({ hello: MONGOS_HELLO });
    const window = await readOplogWindow(client);
    expect(window).toEqual({ sharded: true, unavailable: expect.stringMatching(/^not measured on a sharded cluster: a mongos has no oplog, each shard's replica set has its own/) });
    expect(asked).toEqual(["admin.hello"]);
  });

  it("takes the mongos' refusal of local (IllegalOperation) for a sharded cluster too", async () => {
    const refused = new MongoServerError({ ok: 0, code: 20, codeName: "IllegalOperation", errmsg: "Can't use 'local' database through mongos" });
    const { client } = scriptedClient({ hello: MEMBER_HELLO, entries: refused });
    expect(await readOplogWindow(client)).toMatchObject({ sharded: true, unavailable: expect.stringContaining("not measured on a sharded cluster") });
  });

  it("says why otherwise: a standalone, an empty oplog, no read access to local", async () => {
    expect(await readOplogWindow(scriptedClient({ hello: STANDALONE_HELLO }).client)).toEqual({ unavailable: "not measured: a standalone server has no oplog (and no change stream)" });
    expect(await readOplogWindow(scriptedClient({ hello: MEMBER_HELLO, entries: [null, null], stats: COLL_STATS }).client)).toEqual({ unavailable: "not measured: local.oplog.rs holds no entry" });
    const unauthorized = new MongoServerError({ ok: 0, code: 13, codeName: "Unauthorized", errmsg: 'not authorized on local to execute command { find: "oplog.rs", filter: {}, sort: { $natural: 1 }, limit: 1, $db: "local" }' });
    const denied = await readOplogWindow(scriptedClient({ hello: MEMBER_HELLO, entries: unauthorized }).client);
    expect(denied).toEqual({ unavailable: expect.stringMatching(/^not measured: cannot read local\.oplog\.rs: not authorized on local/) });
  });
});

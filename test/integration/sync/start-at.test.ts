import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Collection, Timestamp } from "mongodb";
import { beforeAll, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";
import { startSync, storedPosition, useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";
import { watch } from "../../../src/watch/watch.js";

type Doc = { _id: string };

/** The `_id`s a raw table holds, sorted; none while the table does not exist. */
async function ids(url: string, table: string): Promise<string[]> {
  const rows = await query<{ _id: string }>(url, `SELECT _id FROM ${table} ORDER BY _id`).catch(() => []);
  return rows.map((row) => row._id);
}

/** Inserts a document and returns the cluster time of its write (the session's operationTime). */
async function insertAt(coll: Collection<Doc>, id: string): Promise<Timestamp> {
  const session = coll.db.client.startSession();
  try {
    await coll.insertOne({ _id: id }, { session });
    return session.operationTime!;
  } finally {
    await session.endSession();
  }
}

/** The resume token of the first insert the server reports on `coll` after `write` runs. */
async function tokenOfInsert(coll: Collection<Doc>, write: () => Promise<unknown>): Promise<{ _data: string }> {
  const stream = coll.watch([{ $match: { operationType: "insert" } }]);
  try {
    await stream.tryNext(); // opens the stream before the write
    await write();
    const event = await waitFor(async () => (await stream.tryNext()) ?? undefined, "the insert's change event");
    return event._id as { _data: string };
  } finally {
    await stream.close();
  }
}

describeWithMongo("sync: a cutover's start point", () => {
  const mongo = useMongoClient();
  let dir: string;

  beforeAll(async () => {
    await mongo.client().db("startat").dropDatabase();
    await mongo.client().db("startat_mw").dropDatabase();
    dir = await mkdtemp(join(tmpdir(), "tributary-start-at-"));
  });

  it("--start-at a Timestamp streams the changes from then on, and copies nothing before them", async () => {
    const url = await createDatabase(postgresUrl(), "start_at_time");
    const coll = mongo.client().db("startat").collection<Doc>("time");
    const before = await insertAt(coll, "a-before");
    await coll.insertMany([{ _id: "b" }, { _id: "c" }]);
    // Just after "a-before": a snapshot (asked for, and replaced by the start point) would have copied it.
    const sync = startSync({ source: { uri: mongo.uri(), include: ["startat.time"], startAt: `${before.t}:${before.i + 1}` }, target: { url }, snapshot: { mode: "initial" } });
    try {
      await waitFor(async () => (await ids(url, "startat_time")).length >= 2 || undefined, "b and c");
      expect(await ids(url, "startat_time")).toEqual(["b", "c"]);
      await coll.insertOne({ _id: "d" });
      await waitFor(async () => (await ids(url, "startat_time")).includes("d") || undefined, "d, streamed");
    } finally {
      await sync.stop();
    }
    expect(await storedPosition(url)).toBeDefined();
    // Restarted without the start point, with the default snapshot mode: the other tool's copy
    // was recorded, so nothing is copied ("a-before" stays out) and the stream continues.
    const restarted = startSync({ source: { uri: mongo.uri(), include: ["startat.time"] }, target: { url }, snapshot: { mode: "initial" } });
    try {
      await coll.insertOne({ _id: "e" });
      await waitFor(async () => (await ids(url, "startat_time")).includes("e") || undefined, "e, streamed after the restart");
      expect(await ids(url, "startat_time")).toEqual(["b", "c", "d", "e"]);
    } finally {
      await restarted.stop();
    }
  });

  it("--start-at a resume token continues after that event, as the driver's startAfter does", async () => {
    const url = await createDatabase(postgresUrl(), "start_at_token");
    const coll = mongo.client().db("startat").collection<Doc>("token");
    const token = await tokenOfInsert(coll, () => coll.insertOne({ _id: "x-applied" }));
    await coll.insertOne({ _id: "y" });
    const sync = startSync({ source: { uri: mongo.uri(), include: ["startat.token"], startAt: JSON.stringify(token) }, target: { url } });
    try {
      await waitFor(async () => (await ids(url, "startat_token")).includes("y") || undefined, "y");
      expect(await ids(url, "startat_token")).toEqual(["y"]);
    } finally {
      await sync.stop();
    }
  });

  it("--start-at mongo-connector's oplog.timestamp starts at its last applied entry (applied again) and includes what followed", async () => {
    const url = await createDatabase(postgresUrl(), "start_at_mongo_connector");
    const coll = mongo.client().db("startat").collection<Doc>("mc");
    await coll.insertOne({ _id: "earlier" });
    const last = await insertAt(coll, "last-applied");
    await coll.insertOne({ _id: "missed" });
    const hello = await mongo.client().db("admin").command({ hello: 1 });
    const file = join(dir, "oplog.timestamp");
    // As mongo-connector writes it: json.dumps([name, ts.time << 32 | ts.inc]).
    await writeFile(file, `["${String(hello.setName)}", ${((BigInt(last.t) << 32n) | BigInt(last.i)).toString()}]`);
    const sync = startSync({ source: { uri: mongo.uri(), include: ["startat.mc"], startAt: file }, target: { url } });
    try {
      await waitFor(async () => (await ids(url, "startat_mc")).length >= 2 || undefined, "last-applied and missed");
      expect(await ids(url, "startat_mc")).toEqual(["last-applied", "missed"]);
    } finally {
      await sync.stop();
    }
  });

  it("watch() takes the same start points: a token's _data as text, and a time older than the oplog is refused", async () => {
    const coll = mongo.client().db("startat").collection<Doc>("watched");
    const token = await tokenOfInsert(coll, () => coll.insertOne({ _id: "seen" }));
    await coll.insertOne({ _id: "next" });
    const watcher = watch(mongo.uri(), { include: ["startat.watched"], operations: ["insert"], startAt: token._data });
    for await (const event of watcher) {
      expect(event.key?._id).toBe("next");
      break;
    }
    const tooOld = watch(mongo.uri(), { include: ["startat.watched"], startAt: "2001-01-01T00:00:00Z" });
    await expect(tooOld.start()).rejects.toThrow(/^The start point 2001-01-01T00:00:00\.000Z .* is older than the oldest change the oplog of .+ still holds, \d{4}-/);
    await tooOld.stop().catch(() => undefined);
  });

  it("refuses a start point older than the oplog, naming the oldest time it holds, and stores nothing", async () => {
    const url = await createDatabase(postgresUrl(), "start_at_too_old");
    const sync = startSync({ source: { uri: mongo.uri(), include: ["startat.old"], startAt: "2001-01-01T00:00:00Z" }, target: { url } });
    const error = (await sync.done.catch((caught: unknown) => caught)) as { code?: string; message?: string };
    expect(error.code).toBe("TRIB_CHANGE_STREAM_HISTORY_LOST");
    expect(error.message).toMatch(/^The start point 2001-01-01T00:00:00\.000Z \(Timestamp\(978307200, 1\)\) is older than the oldest change the oplog of .+ still holds, \d{4}-\d\d-\d\dT/);
    expect(await storedPosition(url)).toBeUndefined();
  });

  it("positions import --from mongo-connector stores its point for the next sync, and refuses one the oplog no longer holds", async () => {
    const url = await createDatabase(postgresUrl(), "start_at_import_mc");
    const coll = mongo.client().db("startat").collection<Doc>("imc");
    await coll.insertOne({ _id: "earlier" });
    const last = await insertAt(coll, "last-applied");
    await coll.insertOne({ _id: "missed" });
    const file = join(dir, "import.timestamp");
    const args = ["positions", "import", "--from", "mongo-connector", file, "--source", mongo.uri(), "--to", url, "--log-level", "error"];
    // 2001-01-01T00:00:00Z, increment 1: long gone from any test oplog.
    await writeFile(file, `["rs0", ${((978_307_200n << 32n) | 1n).toString()}]`);
    const old = await runCli(args);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/^tributary: error: The start point 2001-01-01T00:00:00\.000Z \(Timestamp\(978307200, 1\)\) is older than the oldest change the oplog of .+ still holds, \d{4}-.+ \[TRIB_CHANGE_STREAM_HISTORY_LOST\]\n$/);
    expect(await storedPosition(url)).toBeUndefined();
    await writeFile(file, `["rs0", ${((BigInt(last.t) << 32n) | BigInt(last.i)).toString()}]`);
    const imported = await runCli(args);
    expect(imported.stdout).toMatch(/^stored for pipeline 'default' \(postgres\): the position at /);
    // As docs/cutover.md says: after an import, the pipeline runs with snapshot.mode never.
    const sync = startSync({ source: { uri: mongo.uri(), include: ["startat.imc"] }, target: { url }, snapshot: { mode: "never" } });
    try {
      await waitFor(async () => (await ids(url, "startat_imc")).length >= 2 || undefined, "last-applied and missed");
      // The stream from mongo-connector's point ("earlier" is not there).
      expect(await ids(url, "startat_imc")).toEqual(["last-applied", "missed"]);
    } finally {
      await sync.stop();
    }
  });

  it("positions import --from mongowatch stores where mongowatch would resume; the next sync streams from there", async () => {
    const url = await createDatabase(postgresUrl(), "start_at_mongowatch");
    const client = mongo.client();
    const coll = client.db("startat").collection<Doc>("mw");
    await coll.insertOne({ _id: "handled-long-ago" });
    let time: Timestamp | undefined;
    const token = await tokenOfInsert(coll, async () => (time = await insertAt(coll, "last-saved")));
    await coll.insertOne({ _id: "after" });
    // mongowatch's ResumeRepository document: the event's resume token as _id, its cluster time as timestamp.
    await client.db("startat_mw").collection("resume_points").insertOne({ _id: token, timestamp: time, operationType: "insert", fullDocument: { _id: "last-saved" } } as never);
    const args = ["positions", "import", "--from", "mongowatch", "--collection", "startat_mw.resume_points", "--source", mongo.uri(), "--to", url, "--log-level", "error"];
    const dry = await runCli([...args, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would store for pipeline 'default' \(every sink\): the position at .+, resume token 82/);
    expect(await storedPosition(url)).toBeUndefined();
    const imported = await runCli(args);
    expect(imported.stderr).toBe("");
    expect(imported.stdout).toMatch(/^stored for pipeline 'default' \(postgres\): the position at .+; the next sync streams from there\n$/);
    const sync = startSync({ source: { uri: mongo.uri(), include: ["startat.mw"] }, target: { url } });
    try {
      await waitFor(async () => (await ids(url, "startat_mw")).length >= 2 || undefined, "last-saved and after");
      // mongowatch handles its last saved event again on resume (startAtOperationTime); so does the sync.
      expect(await ids(url, "startat_mw")).toEqual(["after", "last-saved"]);
    } finally {
      await sync.stop();
    }
  });
});

// The cutover of docs/migrating/mongowatch.md: mongowatch's resume point collection holds the
// event it was handling when it stopped, exactly as it saves one (`{ _id: <resume token>,
// timestamp, fullDocument, operationType }`, from a real change stream event); Tributary takes
// over there, through the guide's tributary.yml and commands, and through watch() as the guide's
// snippet does. Both need a replica set; the guide's file passes config check here.

import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChangeStreamInsertDocument, Collection, MongoClient, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { MongoResumePointStore } from "../../../src/checkpoint/mongodb-resume-point-store.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { watch } from "../../../src/watch/watch.js";
import { guideCommand, readGuide, writeGuideFiles } from "../../support/guide-walkthrough.js";
import { describeWithMongo } from "../../support/requirements.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

const guide = readGuide("mongowatch");

type User = { _id: string; name: string };

/**
 * mongowatch stopped while handling the insert of u2: it had handled u1's (and deleted that
 * resume point), and saved u2's before running its handlers. Then, while switching tools, u1 is
 * renamed and u3 inserted. Returns the resume point collection.
 */
async function stopMongowatchWhileHandlingU2(client: MongoClient): Promise<{ users: Collection<User>; points: Collection }> {
  await client.db("crm").dropDatabase();
  const users = client.db("crm").collection<User>("users");
  const points = client.db("crm").collection("resume_points");
  const stream = users.watch<User, ChangeStreamInsertDocument<User>>([], { fullDocument: "updateLookup" });
  try {
    await stream.tryNext(); // the stream is open (its aggregate ran) before the writes it must see
    await users.insertOne({ _id: "u1", name: "Ann" });
    await users.insertOne({ _id: "u2", name: "Bo" });
    await stream.next();
    const handling = await stream.next();
    // ChangeStreamResumePoint as mongowatch's SaveResumePoint writes it (bson tags _id, timestamp, fullDocument, operationType).
    await points.insertOne({ _id: handling._id as never, timestamp: handling.clusterTime as Timestamp, fullDocument: handling.fullDocument, operationType: handling.operationType });
  } finally {
    await stream.close();
  }
  await users.updateOne({ _id: "u1" }, { $set: { name: "Ann B." } });
  await users.insertOne({ _id: "u3", name: "Cy" });
  return { users, points };
}

describe("the mongowatch cutover's file", () => {
  it("passes tributary config check as the guide runs it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tributary-mongowatch-config-"));
    await writeGuideFiles(guide, dir);
    const env = { TRIBUTARY_MONGODB_URI: "mongodb://mongo1.internal:27017/?replicaSet=rs0" };
    const checked = await runCli(guideCommand(guide, "config check", env), env, dir);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain("use: jsonl");
  });
});

describeWithMongo("the mongowatch cutover with a replica set, as docs/migrating/mongowatch.md walks through it", () => {
  const mongo = useMongoClient();

  it("positions import --from mongowatch, then sync: the event mongowatch was handling comes again, then every later change", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tributary-mongowatch-cutover-"));
    await writeGuideFiles(guide, dir);
    const env = { TRIBUTARY_MONGODB_URI: mongo.uri() };
    await stopMongowatchWhileHandlingU2(mongo.client());

    const imported = await runCli(guideCommand(guide, "positions import", env), env, dir);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("stored for pipeline 'users-feed' (feed)");

    const sync = startCli(guideCommand(guide, "sync", env), env, dir);
    const exited = finished(sync);
    const lines = async (): Promise<{ op: string; key: { _id: string } }[]> =>
      (await readFile(join(dir, "changes.jsonl"), "utf8").catch(() => ""))
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as { op: string; key: { _id: string } });
    try {
      await waitFor(async () => (await lines()).length >= 3, "three changes in changes.jsonl", 60_000);
    } finally {
      sync.kill("SIGTERM");
    }
    const stopped = await exited;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await lines()).map((line) => `${line.op} ${line.key._id}`)).toEqual(["insert u2", "update u1", "insert u3"]);
  });

  it("watch() started as the guide's snippet starts it takes over at the same event, then continues from its own store", async () => {
    const client = mongo.client();
    const { users, points } = await stopMongowatchWhileHandlingU2(client);
    await client.db("crm").collection("tributary_positions").deleteMany({});
    const start = async (): Promise<ChangeEvent[]> => {
      // The guide's snippet, word for word but for the collected events.
      const last = await client.db("crm").collection("resume_points").find().sort({ timestamp: -1 }).limit(1).next();
      const watcher = watch(client, {
        include: ["crm.users"],
        startAt: last?.operationType === "invalidate" ? last._id : last?.timestamp ?? "now",
        resumePoints: new MongoResumePointStore({ client, database: "crm", collection: "tributary_positions", key: "users-feed" }),
      });
      const seen: ChangeEvent[] = [];
      watcher.on("change", (event) => void seen.push(event));
      await watcher.start();
      await waitFor(() => seen.length >= 3 || (seen.length >= 1 && seen.at(-1)?.key?._id === "u4"), "the changes after the resume point", 60_000);
      await watcher.stop();
      return seen;
    };
    expect((await start()).map((event) => `${event.op} ${String(event.key?._id)}`)).toEqual(["insert u2", "update u1", "insert u3"]);
    expect(await points.countDocuments()).toBe(1);
    await users.insertOne({ _id: "u4", name: "Di" });
    // The store holds a position now: startAt is ignored, and only what came after is delivered.
    expect((await start()).map((event) => `${event.op} ${String(event.key?._id)}`)).toEqual(["insert u4"]);
  });
});

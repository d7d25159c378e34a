// The watch() cutovers of docs/migrating/gtm.md and docs/migrating/superduperdb.md, as their
// snippets start the watcher: gtm's last finished op.Timestamp as startAt (that change again,
// then every later one), superduperdb's stop time a minute early as startAt with id batches;
// both with a file store, so that a restarted watcher continues from it. They need a replica set.

import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Timestamp, type ClientSession, type MongoClient } from "mongodb";
import { expect, it } from "vitest";
import { FileResumePointStore } from "../../../src/checkpoint/file-resume-point-store.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { IdGroup } from "../../../src/watch/id-batcher.js";
import { watch } from "../../../src/watch/watch.js";
import { describeWithMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

async function lastOperationTime(client: MongoClient, write: (session: ClientSession) => Promise<unknown>): Promise<Timestamp> {
  const session = client.startSession();
  try {
    await write(session);
    const time = session.operationTime;
    if (!time) throw new Error("the replica set reported no operationTime");
    return new Timestamp({ t: time.t, i: time.i });
  } finally {
    await session.endSession();
  }
}

describeWithMongo("watch() cutovers, as the gtm and superduperdb guides start the watcher", () => {
  const mongo = useMongoClient();

  it("gtm: startAt the last finished op.Timestamp delivers that change again and every later one; a restart continues from the store", async () => {
    const client = mongo.client();
    await client.db("billing").dropDatabase();
    const invoices = client.db("billing").collection<{ _id: string; total: number }>("invoices");
    await invoices.insertOne({ _id: "a", total: 1 });
    // The Go program finished the insert of b, then stopped; a and c change while switching.
    const finished = await lastOperationTime(client, (session) => invoices.insertOne({ _id: "b", total: 2 }, { session }));
    await invoices.updateOne({ _id: "a" }, { $set: { total: 5 } });
    await invoices.insertOne({ _id: "c", total: 3 });
    const positions = join(await mkdtemp(join(tmpdir(), "tributary-gtm-cutover-")), "invoices.json");

    const run = async (until: (seen: ChangeEvent[]) => boolean): Promise<string[]> => {
      const watcher = watch(mongo.uri(), {
        include: ["billing.invoices"],
        startAt: new Timestamp({ t: finished.t, i: finished.i }), // the last op.Timestamp gtm finished
        resumePoints: new FileResumePointStore(positions),
      });
      const seen: ChangeEvent[] = [];
      watcher.on("change", (event) => void seen.push(event));
      await watcher.start();
      await waitFor(() => until(seen), "the changes after the start point", 60_000);
      await watcher.stop();
      return seen.map((event) => `${event.op} ${String(event.key?._id)}`);
    };
    expect(await run((seen) => seen.length >= 3)).toEqual(["insert b", "update a", "insert c"]);
    await invoices.insertOne({ _id: "d", total: 4 });
    expect(await run((seen) => seen.some((event) => event.key?._id === "d"))).toEqual(["insert d"]);
  });

  it("superduperdb: startAt a minute before the CDC service stopped hands every change since as id groups, each document's in order; a restart continues from the store", async () => {
    const client = mongo.client();
    const documents = client.db("docs").collection<{ _id: string; body: string }>("documents");
    // Ids of this run only: a minute back may reach an earlier run's changes.
    const run = Date.now().toString(36);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => `${name}-${run}`) as [string, string, string, string];
    await documents.insertMany([{ _id: a, body: "one" }, { _id: b, body: "two" }]);
    const stopped = new Date();
    await documents.updateOne({ _id: a }, { $set: { body: "one, edited" } });
    await documents.deleteOne({ _id: b });
    await documents.insertOne({ _id: c, body: "three" });
    const positions = join(await mkdtemp(join(tmpdir(), "tributary-superduperdb-cutover-")), "cdc.json");

    /** Each id of this run and the operations of the groups it appeared in, in order. */
    const start = async (last: string): Promise<Record<string, string[]>> => {
      const watcher = watch(mongo.uri(), {
        include: ["docs.documents"],
        startAt: new Date(stopped.getTime() - 60_000), // a minute before the CDC service stopped
        resumePoints: new FileResumePointStore(positions),
      });
      const changes: Record<string, string[]> = {};
      const loop = (async () => {
        for await (const batch of watcher.batches()) {
          for (const { op, ids } of batch as IdGroup[]) {
            for (const id of ids.map(String).filter((each) => each.endsWith(run))) (changes[id] ??= []).push(op);
          }
        }
      })();
      // A batch is done once the loop asks for the next one; stopping from outside then saves past it.
      await waitFor(() => changes[last]?.includes("insert"), `the insert of ${last}`, 60_000);
      await watcher.stop();
      await loop;
      return changes;
    };
    // The changes before the stop come again (a refresh is idempotent), then those made while switching.
    expect(await start(c)).toEqual({ [a]: ["insert", "update"], [b]: ["insert", "delete"], [c]: ["insert"] });
    await documents.insertOne({ _id: d, body: "four" });
    expect(await start(d)).toEqual({ [d]: ["insert"] });
  });
});

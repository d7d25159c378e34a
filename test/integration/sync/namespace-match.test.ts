// The namespace filter runs on the server: events of collections the pipeline does not sync are
// never built, so a post-image that cannot be had there (fullDocument: "required" on a collection
// without images) cannot stop a sync or a watcher of other collections. MongoDB 6.0+ (images).
import type { MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { enableChangeStreamImages } from "../../../src/source/change-stream-images.js";
import { watch } from "../../../src/watch/watch.js";
import { createDatabase } from "../../support/postgres-server.js";
import { describeWithMongo, postgresUrl, requireMongo } from "../../support/requirements.js";
import { startSync, tableState, useMongoClient, waitForInitialPosition, type RunningSync } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

interface Counter {
  _id: string;
  n: number;
}

const withImages = (): boolean => Number(requireMongo().version.split(".")[0]) >= 6;

describeWithMongo("the namespace filter in the change stream's $match", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  let url: string;
  let sync: RunningSync | undefined;
  const collection = (name: string) => client.db("nsmatch").collection<Counter>(name);

  beforeAll(async () => {
    client = mongo.client();
    await client.db("nsmatch").dropDatabase();
    await client.db("nsmatch").createCollection("kept");
    await client.db("nsmatch").createCollection("other");
    if (withImages()) await enableChangeStreamImages(client, "nsmatch.kept");
    url = await createDatabase(postgresUrl(), "sync_nsmatch");
  });

  afterAll(async () => {
    await sync?.stop().catch(() => undefined);
  });

  it("keeps a sync with fullDocument: required going past updates of an excluded collection without post-images", async (context) => {
    if (!withImages()) return context.skip();
    sync = startSync({ source: { uri: mongo.uri(), include: ["nsmatch.kept"], fullDocument: "required" }, target: { url } });
    await waitForInitialPosition(url);
    await collection("other").insertOne({ _id: "o1", n: 1 });
    // Without a post-image this update cannot be sent with fullDocument: required.
    await collection("other").updateOne({ _id: "o1" }, { $set: { n: 2 } });
    await collection("kept").insertOne({ _id: "k1", n: 1 });
    await collection("kept").updateOne({ _id: "k1" }, { $set: { n: 2 } });
    await waitFor(async () => ((await tableState(url, "public.nsmatch_kept")).get("k1") as { n?: number } | undefined)?.n === 2, "k1's update to reach PostgreSQL");
    await expect(Promise.race([sync.done.then(() => "ended"), new Promise((resolve) => setTimeout(() => resolve("running"), 500))])).resolves.toBe("running");
  });

  it("keeps a watcher with fullDocument: required going past the same kind of update", async (context) => {
    if (!withImages()) return context.skip();
    const watcher = watch(mongo.uri(), { include: ["nsmatch.kept"], fullDocument: "required" });
    const seen: string[] = [];
    watcher.on("change", (event) => {
      seen.push(`${event.op} ${String(event.key?._id)}`);
    });
    await watcher.start();
    try {
      await collection("other").updateOne({ _id: "o1" }, { $set: { n: 3 } });
      await collection("kept").updateOne({ _id: "k1" }, { $set: { n: 3 } });
      await waitFor(() => seen.includes("update k1"), "the update of k1");
      expect(watcher.stats().stopped).toBe(false);
      expect(seen.every((line) => line.endsWith("k1"))).toBe(true);
    } finally {
      await watcher.stop();
    }
  });
});

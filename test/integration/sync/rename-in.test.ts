import type { MongoClient } from "mongodb";
import { beforeAll, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForConvergence, waitForInitialPosition } from "../../support/sync-harness.js";

// The server sends a rename whose `to` is synced even when its source is not (namespace-match.ts
// lets it through); the documents were written under the excluded name, so the sync copies the
// collection again and streams on.
describeWithMongo("sync: a collection renamed into the synced set from outside it", () => {
  const mongo = useMongoClient();
  let client: MongoClient;

  beforeAll(() => {
    client = mongo.client();
  });

  it("$out from an excluded collection replaces the synced one: the table ends with what $out wrote", async () => {
    await client.db("rin1").dropDatabase();
    const db = client.db("rin1");
    await db.collection<{ _id: number; v: string }>("orders").insertMany([{ _id: 1, v: "old" }, { _id: 2, v: "old" }]);
    await db.collection<{ _id: number; v: string }>("staging").insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: 100 + n, v: "built" })));
    const url = await createDatabase(postgresUrl(), "sync_rename_in_out");
    const sync = startSync({ source: { uri: mongo.uri(), include: ["rin1.orders"] }, target: { url }, snapshot: { mode: "initial" } });
    try {
      await waitForInitialPosition(url);
      await waitForConvergence(client, url, { db: "rin1", coll: "orders" }, "public.rin1_orders");
      // $out writes a temporary collection (tmp.agg_out.<uuid>), then renames it over rin1.orders.
      await db.collection("staging").aggregate([{ $match: {} }, { $out: "orders" }]).toArray();
      expect(await waitForConvergence(client, url, { db: "rin1", coll: "orders" }, "public.rin1_orders")).toBe(50);
      // And the stream goes on after the copy.
      await db.collection<{ _id: number; v: string }>("orders").insertOne({ _id: 999, v: "after" });
      expect(await waitForConvergence(client, url, { db: "rin1", coll: "orders" }, "public.rin1_orders")).toBe(51);
    } finally {
      await sync.stop();
    }
  });

  it("renameCollection(tmp → orders, dropTarget) from an excluded name: the table ends with tmp's documents", async () => {
    await client.db("rin2").dropDatabase();
    const db = client.db("rin2");
    await db.collection<{ _id: string }>("orders").insertMany([{ _id: "a" }, { _id: "b" }]);
    const url = await createDatabase(postgresUrl(), "sync_rename_in_swap");
    const sync = startSync({ source: { uri: mongo.uri(), include: ["rin2.orders"] }, target: { url }, snapshot: { mode: "initial" } });
    try {
      await waitForInitialPosition(url);
      await waitForConvergence(client, url, { db: "rin2", coll: "orders" }, "public.rin2_orders");
      await db.collection<{ _id: string }>("orders_next").insertMany([{ _id: "x" }, { _id: "y" }, { _id: "z" }]);
      await client.db("admin").command({ renameCollection: "rin2.orders_next", to: "rin2.orders", dropTarget: true });
      expect(await waitForConvergence(client, url, { db: "rin2", coll: "orders" }, "public.rin2_orders")).toBe(3);
    } finally {
      await sync.stop();
    }
  });
});

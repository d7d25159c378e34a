import type { MongoClient } from "mongodb";
import { beforeAll, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForConvergence, waitForInitialPosition, type RunningSync } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
  return rows.map((row) => row.table_name);
}

describeWithMongo("sync: drop, re-create and rename of watched collections", () => {
  const mongo = useMongoClient();
  let client: MongoClient;

  beforeAll(() => {
    client = mongo.client();
  });

  async function started(name: string, include: string[]): Promise<{ url: string; sync: RunningSync }> {
    const url = await createDatabase(postgresUrl(), name);
    const sync = startSync({ source: { uri: mongo.uri(), include }, target: { url } });
    await waitForInitialPosition(url);
    return { url, sync };
  }

  it("keeps a collection-scoped stream running across drop and re-create (invalidate)", async () => {
    await client.db("ddl1").dropDatabase();
    const { url, sync } = await started("sync_ddl1", ["ddl1.items"]);
    try {
      const items = client.db("ddl1").collection<{ _id: number; v: string }>("items");
      await items.insertMany([{ _id: 1, v: "old" }, { _id: 2, v: "old" }]);
      await waitForConvergence(client, url, { db: "ddl1", coll: "items" }, "public.ddl1_items");
      await items.drop();
      await waitFor(async () => !(await tables(url)).includes("ddl1_items"), "the table to be dropped");
      await items.insertMany([{ _id: 3, v: "new" }]);
      expect(await waitForConvergence(client, url, { db: "ddl1", coll: "items" }, "public.ddl1_items")).toBe(1);
    } finally {
      await sync.stop();
    }
  });

  it("renames the table with the collection and keeps syncing under the new name", async () => {
    await client.db("ddl2").dropDatabase();
    const { url, sync } = await started("sync_ddl2", ["ddl2.*"]);
    try {
      const db = client.db("ddl2");
      await db.collection<{ _id: number }>("drafts").insertMany([{ _id: 1 }, { _id: 2 }]);
      await waitForConvergence(client, url, { db: "ddl2", coll: "drafts" }, "public.ddl2_drafts");
      await db.collection("drafts").rename("published");
      await db.collection<{ _id: number }>("published").insertOne({ _id: 3 });
      await db.collection<{ _id: number }>("drafts").insertOne({ _id: 99 });
      expect(await waitForConvergence(client, url, { db: "ddl2", coll: "published" }, "public.ddl2_published")).toBe(3);
      expect(await waitForConvergence(client, url, { db: "ddl2", coll: "drafts" }, "public.ddl2_drafts")).toBe(1);
      await db.dropDatabase();
      await waitFor(async () => (await tables(url)).filter((name) => name.startsWith("ddl2_")).length === 0, "every ddl2 table to be dropped");
      await db.collection<{ _id: number }>("again").insertOne({ _id: 1 });
      expect(await waitForConvergence(client, url, { db: "ddl2", coll: "again" }, "public.ddl2_again")).toBe(1);
    } finally {
      await sync.stop();
    }
  });

  it("keeps a database-scoped stream running after dropDatabase (invalidate)", async () => {
    await client.db("ddl3").dropDatabase();
    const { url, sync } = await started("sync_ddl3", ["ddl3.a", "ddl3.b"]);
    try {
      const db = client.db("ddl3");
      await db.collection<{ _id: number }>("a").insertOne({ _id: 1 });
      await waitForConvergence(client, url, { db: "ddl3", coll: "a" }, "public.ddl3_a");
      await db.dropDatabase();
      await waitFor(async () => !(await tables(url)).includes("ddl3_a"), "the table to be dropped");
      await db.collection<{ _id: number }>("b").insertOne({ _id: 2 });
      expect(await waitForConvergence(client, url, { db: "ddl3", coll: "b" }, "public.ddl3_b")).toBe(1);
    } finally {
      await sync.stop();
    }
  });
});

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { postsExample } from "../../support/mapping-examples.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForInitialPosition } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

describeWithMongo("sync: relational mode from a mappings.json", () => {
  const mongo = useMongoClient();

  it("writes posts and their comments, replaces comments on update and removes them on delete", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tributary-mapping-"));
    const mappingFile = join(dir, "mappings.json");
    await writeFile(mappingFile, JSON.stringify(postsExample));
    const db = mongo.client().db("my_mongo_database");
    await db.dropDatabase();
    const url = await createDatabase(postgresUrl(), "sync_relational");
    const sync = startSync({ source: { uri: mongo.uri() }, target: { url, mapping: mappingFile } });
    try {
      await waitForInitialPosition(url);
      const posts = db.collection<{ _id: string; content: string; comments: { user: string; comment: string }[] }>("posts");
      await posts.insertOne({ _id: "p1", content: "Inspiring blog post", comments: [{ user: "Elon Musk", comment: "What a revolution !" }, { user: "Kevin P. Ryan", comment: "Nice !" }] });
      // A collection with no mapping is not synced.
      await db.collection("unmapped").insertOne({ x: 1 });
      await posts.updateOne({ _id: "p1" }, { $pop: { comments: 1 } });
      const comments = () => query<{ post_id: string; _ordinal: number; user: string }>(url, 'SELECT post_id, _ordinal, "user" FROM public.comments ORDER BY _ordinal').catch(() => []);
      await waitFor(async () => (await comments()).length === 1, "the update to replace the comments");
      expect(await comments()).toEqual([{ post_id: "p1", _ordinal: 0, user: "Elon Musk" }]);
      expect(await query(url, "SELECT id, description FROM public.posts")).toEqual([{ id: "p1", description: "Inspiring blog post" }]);
      expect(await query(url, "SELECT to_regclass('public.unmapped') AS t, to_regclass('public.my_mongo_database_unmapped') AS u")).toEqual([{ t: null, u: null }]);
      await posts.deleteOne({ _id: "p1" });
      await waitFor(async () => (await query(url, "SELECT 1 FROM public.posts")).length === 0, "the delete");
      expect(await comments()).toEqual([]);
    } finally {
      await sync.stop();
    }
  });
});

import { MongoClient } from "mongodb";
import type { MongoMemoryServer } from "mongodb-memory-server-core";
import { expect, it } from "vitest";
import { describeWithOwnSet, membersByRole, ownThreeMemberSet, role } from "../../support/replica-members.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { startSync, waitForInitialPosition } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

/** Asks a member to run for primary now; true once it is primary. */
async function stepUp(server: MongoMemoryServer): Promise<boolean> {
  if ((await role(server)) === "primary") return true;
  const client = new MongoClient(server.getUri(), { directConnection: true, serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db("admin").command({ replSetStepUp: 1 });
  } catch {
    // Not electable yet (still starting, or cannot see a majority): asked again.
  } finally {
    await client.close();
  }
  return (await role(server)) === "primary";
}

describeWithOwnSet("rollback: the target never shows a write the source lost", () => {
  const set = ownThreeMemberSet();

  it("a write acknowledged by a primary that then loses it to a rollback never reaches PostgreSQL", { timeout: 300_000 }, async () => {
    const uri = set.uri();
    const replSet = set.replSet();
    const url = await createDatabase(postgresUrl(), "sync_rollback");
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 60_000 });
    await client.connect();
    const sync = startSync({ source: { uri, include: ["rb.items"] }, target: { url } });
    try {
      await waitForInitialPosition(url);
      const items = client.db("rb").collection<{ _id: string }>("items");
      await items.insertOne({ _id: "kept-1" }, { writeConcern: { w: "majority" } });
      await waitFor(async () => (await query(url, "SELECT 1 FROM rb_items")).length === 1, "the first majority write in PostgreSQL");
      // Every row ever written to the table, so a write applied and later undone would show.
      await query(
        url,
        `CREATE TABLE applied (_id text); CREATE FUNCTION record_applied() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO applied VALUES (NEW._id); RETURN NEW; END $$;
         CREATE TRIGGER record_applied AFTER INSERT OR UPDATE ON rb_items FOR EACH ROW EXECUTE FUNCTION record_applied()`,
      );

      const { primary, secondaries } = await membersByRole(replSet);
      // Cut the primary off from the majority, then write to it alone: acknowledged, never majority-committed.
      for (const secondary of secondaries) await secondary.stop({ doCleanup: false, force: false });
      const direct = new MongoClient(primary.getUri(), { directConnection: true, serverSelectionTimeoutMS: 5_000 });
      await direct.db("rb").collection<{ _id: string }>("items").insertOne({ _id: "lost" }, { writeConcern: { w: 1 } });
      await direct.close();

      // The old primary goes; the two others elect a primary that never saw the write.
      await primary.stop({ doCleanup: false, force: false });
      for (const secondary of secondaries) await secondary.start(true);
      await waitFor(() => stepUp(secondaries[0]!), "a secondary to step up once the two see each other", 120_000);
      await items.insertOne({ _id: "kept-2" }, { writeConcern: { w: "majority" } });
      // The old primary comes back, finds its history diverged and rolls the write back.
      await primary.start(true);
      await waitFor(async () => (await role(primary)) === "secondary", "the old primary to roll back and rejoin as a secondary", 120_000);

      await waitFor(async () => (await query(url, "SELECT 1 FROM rb_items")).length === 2, "the second majority write in PostgreSQL", 120_000);
      expect((await items.find({}, { sort: { _id: 1 } }).toArray()).map((doc) => doc._id)).toEqual(["kept-1", "kept-2"]);
      // The key text of a string _id is the string itself (codec/key-text.ts).
      expect(await query(url, "SELECT _id FROM rb_items ORDER BY _id")).toEqual([{ _id: "kept-1" }, { _id: "kept-2" }]);
      expect(await query(url, "SELECT _id FROM applied ORDER BY _id")).toEqual([{ _id: "kept-2" }]);
    } finally {
      await sync.stop().catch(() => undefined);
      await client.close();
    }
  });
});

import { beforeAll, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForConvergence, waitForInitialPosition } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

describeWithMongo("sync: stop and restart", () => {
  const mongo = useMongoClient();
  let url: string;
  const ns = { db: "restart", coll: "events" };
  const table = "public.restart_events";

  beforeAll(async () => {
    await mongo.client().db(ns.db).dropDatabase();
    url = await createDatabase(postgresUrl(), "sync_restart");
  });

  it("continues from the stored position: nothing lost, nothing applied twice", async () => {
    const client = mongo.client();
    const coll = client.db(ns.db).collection<{ _id: number; n: number }>(ns.coll);
    const config = { source: { uri: mongo.uri(), include: ["restart.*"] }, target: { url } };

    const first = startSync(config);
    await waitForInitialPosition(url);
    // Count every write PostgreSQL receives per row: a replayed change would count twice.
    await query(url, "CREATE TABLE IF NOT EXISTS applies (_id text PRIMARY KEY, n int NOT NULL)");
    await coll.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, n: 0 })));
    await waitFor(async () => (await query(url, `SELECT 1 FROM ${table}`).catch(() => [])).length === 100, "the first 100 rows");
    await query(
      url,
      `CREATE FUNCTION count_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         INSERT INTO applies VALUES (NEW._id, 1) ON CONFLICT (_id) DO UPDATE SET n = applies.n + 1; RETURN NEW; END $$;
       CREATE TRIGGER count_apply AFTER INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION count_apply();`,
    );
    await coll.updateMany({ _id: { $lt: 50 } }, { $inc: { n: 1 } });
    await waitForConvergence(client, url, ns, table);
    await first.stop();

    // Written while the sync is down.
    await coll.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: 100 + i, n: 0 })));
    await coll.updateMany({ _id: { $gte: 150 } }, { $inc: { n: 1 } });
    await coll.deleteMany({ _id: { $gte: 190 } });

    const second = startSync(config);
    try {
      expect(await waitForConvergence(client, url, ns, table)).toBe(190);
    } finally {
      await second.stop();
    }
    const applies = await query<{ _id: string; n: number }>(url, "SELECT _id, n FROM applies ORDER BY _id::int");
    // The first run's writes were applied once each and never again by the second run
    // (0..49 were updated once under the trigger; 50..99 not at all).
    expect(applies.filter((row) => Number(row._id) < 100)).toEqual(Array.from({ length: 50 }, (_, i) => ({ _id: String(i), n: 1 })));
    // The second run wrote each new row once, or twice where an insert and its update fell
    // into different batches (rows deleted later are checked by convergence above).
    const later = applies.filter((row) => Number(row._id) >= 100 && Number(row._id) < 190);
    expect(later.map((row) => row._id)).toEqual(Array.from({ length: 90 }, (_, i) => String(100 + i)));
    expect(later.every((row) => row.n === 1 || (row.n === 2 && Number(row._id) >= 150))).toBe(true);
  });
});

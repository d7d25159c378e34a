// The change stream is read ahead of the batches (src/pipeline/read-ahead.ts), against a real
// replica set: a batch PostgreSQL refuses stops the sync with that error, although changes after
// it were already read; no stored position passes the refused change; and a restart applies
// every change once.

import { beforeAll, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForInitialPosition, waitForRowCount } from "../../support/sync-harness.js";

describeWithMongo("sync: reading the change stream ahead of the batches", () => {
  const mongo = useMongoClient();
  let url: string;
  const table = "public.ahead_items";
  const key = (i: number): string => `k${String(i).padStart(2, "0")}`;

  beforeAll(async () => {
    await mongo.client().db("ahead").dropDatabase();
    url = await createDatabase(postgresUrl(), "sync_read_ahead");
  });

  it("a refused batch stops the sync with its error and no position past it; a restart applies every change once", { timeout: 120_000 }, async () => {
    const items = mongo.client().db("ahead").collection<{ _id: string; n: number }>("items");
    // Batches of 10: the stream holds changes after the refused one, read ahead while it was applied.
    const config = { source: { uri: mongo.uri(), include: ["ahead.items"] }, target: { url }, batch: { maxSize: 10, maxLatencyMs: 50 } };
    await query(
      url,
      `CREATE TABLE ${table} (_id text PRIMARY KEY CHECK (_id <> '${key(25)}'), doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
       CREATE TABLE applies (_id text PRIMARY KEY, n int NOT NULL);
       CREATE FUNCTION count_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
         INSERT INTO applies VALUES (NEW._id, 1) ON CONFLICT (_id) DO UPDATE SET n = applies.n + 1; RETURN NEW; END $$;
       CREATE TRIGGER count_apply AFTER INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION count_apply();`,
    );

    const first = startSync(config);
    await waitForInitialPosition(url);
    // One change per insert: 60 changes, the 26th of which PostgreSQL refuses.
    for (let i = 0; i < 60; i += 1) await items.insertOne({ _id: key(i), n: i });
    await expect(first.done).rejects.toMatchObject({ code: ErrorCode.PostgresApplyFailed });
    const held = (await query<{ _id: string }>(url, `SELECT _id FROM ${table} ORDER BY _id`)).map((row) => row._id);
    expect(held.every((id) => id < key(25))).toBe(true);

    await query(url, `ALTER TABLE ${table} DROP CONSTRAINT ahead_items__id_check`);
    const second = startSync(config);
    try {
      await waitForRowCount(url, table, 60);
    } finally {
      await second.stop();
    }
    const applies = await query<{ _id: string; n: number }>(url, "SELECT _id, n FROM applies ORDER BY _id");
    expect(applies).toEqual(Array.from({ length: 60 }, (_, i) => ({ _id: key(i), n: 1 })));
  });
});

import type { MongoClient } from "mongodb";
import { beforeAll, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForInitialPosition, waitForRowCount } from "../../support/sync-harness.js";

// A row's _synced_at is now() of the PostgreSQL transaction that wrote it: rows written by one
// batch share it, so the number of distinct values counts the batches a transaction took.
describeWithMongo("sync: MongoDB transactions and batches", () => {
  const mongo = useMongoClient();
  let client: MongoClient;

  beforeAll(() => {
    client = mongo.client();
  });

  async function transaction(db: string, ids: readonly string[]): Promise<void> {
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        for (const _id of ids) await client.db(db).collection<{ _id: string }>("items").insertOne({ _id }, { session });
      });
    } finally {
      await session.endSession();
    }
  }

  async function batchesOf(url: string, table: string, count: number): Promise<number> {
    await waitForRowCount(url, table, count);
    const [row] = await query<{ n: string }>(url, `SELECT count(DISTINCT _synced_at) AS n FROM ${table}`);
    return Number(row?.n);
  }

  it("applies a transaction larger than batch.maxSize in one batch", async () => {
    await client.db("txn1").dropDatabase();
    await client.db("txn1").createCollection("items");
    const url = await createDatabase(postgresUrl(), "sync_txn_one_batch");
    const sync = startSync({ source: { uri: mongo.uri(), include: ["txn1.items"] }, target: { url }, batch: { maxSize: 5, maxLatencyMs: 50 } });
    try {
      await waitForInitialPosition(url);
      await transaction("txn1", Array.from({ length: 40 }, (_, n) => `t-${n}`));
      expect(await batchesOf(url, "public.txn1_items", 40)).toBe(1);
    } finally {
      await sync.stop();
    }
  });

  it("cuts a transaction past batch.maxTransactionEvents, and still applies all of it", async () => {
    await client.db("txn2").dropDatabase();
    await client.db("txn2").createCollection("items");
    const url = await createDatabase(postgresUrl(), "sync_txn_bounded");
    const sync = startSync({ source: { uri: mongo.uri(), include: ["txn2.items"] }, target: { url }, batch: { maxSize: 5, maxLatencyMs: 50, maxTransactionEvents: 10 } });
    try {
      await waitForInitialPosition(url);
      await transaction("txn2", Array.from({ length: 40 }, (_, n) => `t-${n}`));
      expect(await batchesOf(url, "public.txn2_items", 40)).toBeGreaterThan(1);
    } finally {
      await sync.stop();
    }
  });
});

import { expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForInitialPosition, waitForRowCount } from "../../support/sync-harness.js";

// A row's _synced_at is now() of the PostgreSQL transaction that wrote it: rows of one batch share it.
describeWithMongo("sync: batches of large documents", () => {
  const mongo = useMongoClient();

  it("applies a backlog of 1 MB documents in batches of about batch.maxBytes", async () => {
    const client = mongo.client();
    const db = client.db("batch_bytes");
    await db.dropDatabase();
    await db.createCollection("docs");
    const url = await createDatabase(postgresUrl(), "sync_batch_bytes");
    // A latency long enough that only the bytes (or the end of the backlog) cut a batch.
    const config = { source: { uri: mongo.uri(), include: ["batch_bytes.docs"] }, target: { url }, batch: { maxSize: 2_000, maxLatencyMs: 5_000, maxBytes: 4 * 1024 * 1024 } };
    const first = startSync(config);
    try {
      await waitForInitialPosition(url);
    } finally {
      await first.stop();
    }
    // Written while no sync runs: the next one reads them as a backlog, 16 MB a server batch.
    const body = "x".repeat(1_000_000);
    for (let n = 0; n < 24; n += 1) await db.collection<{ _id: number; body: string }>("docs").insertOne({ _id: n, body });
    const second = startSync(config);
    try {
      await waitForRowCount(url, "public.batch_bytes_docs", 24);
      const batches = await query<{ n: string }>(url, "SELECT count(*) AS n FROM public.batch_bytes_docs GROUP BY _synced_at");
      // The first change is measured: 4 MiB at about 1 MB a change is 5 changes a batch, not all 24 in one.
      expect(batches.length).toBeGreaterThanOrEqual(5);
      for (const batch of batches) expect(Number(batch.n)).toBeLessThanOrEqual(5);
    } finally {
      await second.stop();
    }
  }, 120_000);
});

import { expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

// A NUL character: MongoDB stores it, PostgreSQL jsonb cannot, so with --strict the sync stops on it.
const UNSTORABLE = "a\u0000b";

describeWithMongo("the last error against a replica set", () => {
  const mongo = useMongoClient();

  it("records the document a strict sync stopped on, shows it in tributary status, and marks it resolved once a later sync applies a batch", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "last_error_rs");
    await client.db("last_error").dropDatabase();
    const orders = client.db("last_error").collection<{ _id: number; note: string }>("orders");
    await orders.insertMany([
      { _id: 1, note: "fine" },
      { _id: 2, note: UNSTORABLE },
    ]);
    const common = ["--from", mongo.uri(), "--to", url, "--include", "last_error.orders", "--log-level", "warn"];
    const failed = await runCli(["sync", ...common, "--strict"]);
    expect(failed.code).toBe(1);

    const status = await runCli(["status", "--to", url]);
    expect(status.stdout).toMatch(/ {2}last error: .+Z \[TRIB_[A-Z_]+\].* collection last_error\.orders: .+\n {4}UNRESOLVED/);
    const [row] = await query<{ namespace: string; resolved_at: Date | null }>(url, "SELECT namespace, resolved_at FROM tributary.sync_errors WHERE pipeline = 'default'");
    expect(row).toEqual({ namespace: "last_error.orders", resolved_at: null });

    // Fixed in MongoDB: the next sync copies it, streams, and its first applied batch resolves the error.
    await orders.updateOne({ _id: 2 }, { $set: { note: "fixed" } });
    const child = startCli(["sync", ...common, "--strict"]);
    const run = finished(child);
    try {
      await orders.insertOne({ _id: 3, note: "new" });
      await waitFor(async () => (await query<{ resolved_at: Date | null }>(url, "SELECT resolved_at FROM tributary.sync_errors"))[0]?.resolved_at ?? undefined, "the error marked resolved", 60_000);
    } finally {
      child.kill("SIGTERM");
    }
    expect((await run).code).toBe(0);
    expect((await runCli(["status", "--to", url])).stdout).toMatch(/\n {4}resolved .+Z \(a later sync ran healthy\)\n/);
  });
});

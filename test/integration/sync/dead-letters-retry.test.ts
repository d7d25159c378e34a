import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";
import { useMongoClient } from "../../support/sync-harness.js";

// A NUL character: BSON strings may hold one (they are length-prefixed), PostgreSQL jsonb cannot,
// so the raw-mode sink sets such a document aside in dead_letters.
const UNSTORABLE = "a\u0000b";

describeWithMongo("tributary dead-letters retry against a replica set", () => {
  const mongo = useMongoClient();

  it("copies the documents again as MongoDB holds them now, deletes the gone, sets aside again what still does not fit", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "dead_letters_retry_rs");
    await client.db("dl_retry").dropDatabase();
    const orders = client.db("dl_retry").collection<{ _id: number; note: string }>("orders");
    await orders.insertMany([
      { _id: 1, note: "fine" },
      { _id: 2, note: UNSTORABLE },
      { _id: 3, note: UNSTORABLE },
      { _id: 4, note: UNSTORABLE },
    ]);
    const common = ["--from", mongo.uri(), "--to", url, "--log-level", "warn"];
    expect((await runCli(["snapshot", ...common, "--include", "dl_retry.orders"])).code).toBe(0);
    const keys = async (): Promise<string[]> => (await query<{ key: string }>(url, "SELECT key FROM tributary.dead_letters ORDER BY id")).map((row) => row.key);
    expect((await keys()).sort()).toEqual(["2", "3", "4"]);

    // Since then: 2 fixed, 3 deleted, 4 still unstorable.
    await orders.updateOne({ _id: 2 }, { $set: { note: "fixed" } });
    await orders.deleteOne({ _id: 3 });

    const preview = await runCli(["dead-letters", "retry", ...common]);
    expect(preview).toMatchObject({ code: 0, stdout: "3 dead letter(s) (dl_retry.orders: 3 document(s)) would be retried from MongoDB as they are now; add --yes to retry them\n" });
    expect((await keys()).sort()).toEqual(["2", "3", "4"]);

    const first = await runCli(["dead-letters", "retry", ...common, "--yes"]);
    expect(first.stdout).toBe("retried 3 dead letter(s), 3 document(s): written 1, set aside again 1, gone from MongoDB 1\n");
    expect(first.code).toBe(1);
    expect(first.stderr).toContain("1 document(s) still cannot be written and were set aside again");
    expect(await keys()).toEqual(["4"]);
    expect(await query(url, "SELECT _id, doc->>'note' AS note FROM public.dl_retry_orders ORDER BY _id")).toEqual([
      { _id: "1", note: "fine" },
      { _id: "2", note: "fixed" },
    ]);

    // The sync's config may be strict (stop on such a document): the retry still sets it aside again.
    const strictConfig = join(await mkdtemp(join(tmpdir(), "tributary-retry-strict-")), "tributary.yml");
    await writeFile(strictConfig, JSON.stringify({ target: { url, strict: true } }));
    const strict = await runCli(["dead-letters", "retry", ...common, "--config", strictConfig, "--yes"]);
    expect(strict.stdout).toBe("retried 1 dead letter(s), 1 document(s): written 0, set aside again 1, gone from MongoDB 0\n");
    expect(strict.code).toBe(1);
    expect(await keys()).toEqual(["4"]);

    await orders.updateOne({ _id: 4 }, { $set: { note: "fixed too" } });
    const second = await runCli(["dead-letters", "retry", ...common, "--yes"]);
    expect(second).toMatchObject({ code: 0, stdout: "retried 1 dead letter(s), 1 document(s): written 1, set aside again 0, gone from MongoDB 0\n" });
    expect(await keys()).toEqual([]);
    expect((await query<{ _id: string }>(url, "SELECT _id FROM public.dl_retry_orders ORDER BY _id")).map((row) => row._id)).toEqual(["1", "2", "4"]);
  });
});

import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Double, Int32, ObjectId } from "mongodb";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";
import { startSync, useMongoClient, waitForInitialPosition } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

describeWithMongo("inferred mappings", () => {
  const mongo = useMongoClient();

  it("mapping infer samples the included collections and writes an editable mapping file", async () => {
    const db = mongo.client().db("infer_cli");
    await db.dropDatabase();
    await db.collection("customers").insertMany([
      { _id: new ObjectId(), fullName: "Ada", address: { city: "Paris" }, orders: [{ sku: "A", qty: new Int32(1) }], tags: ["vip"] },
      { _id: new ObjectId(), fullName: "Bob", address: { city: "Oslo" }, orders: [], tags: [] },
    ]);
    await db.collection("skipped").insertOne({ x: 1 });
    const dir = await mkdtemp(join(tmpdir(), "tributary-infer-"));
    const out = join(dir, "mappings.yml");
    const result = await runCli(["mapping", "infer", "--from", mongo.uri(), "--include", "infer_cli.customers", "--sample", "50", "--out", out, "--log-level", "silent"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(parse(await readFile(out, "utf8"))).toEqual({
      infer_cli: {
        customers: {
          pk: "_id",
          _id: { dest: "_id", type: "TEXT" },
          fullName: { dest: "full_name", type: "TEXT" },
          "address.city": { dest: "address_city", type: "TEXT" },
          orders: { dest: "customers_orders", type: "_ARRAY", fk: "_parent_id" },
          tags: { dest: "tags", type: "TEXT[]" },
        },
        customers_orders: { pk: "_row_id", sku: { dest: "sku", type: "TEXT" }, qty: { dest: "qty", type: "BIGINT" } },
      },
    });
    const none = await runCli(["mapping", "infer", "--from", mongo.uri(), "--include", "infer_cli.nothing_here", "--log-level", "silent"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("matches --include infer_cli.nothing_here: nothing to infer a mapping from [TRIB_CONFIG_INVALID]");
  });

  it("sync --infer-mapping creates typed tables from a sample and adds columns for new fields while running", async () => {
    const db = mongo.client().db("infer_sync");
    await db.dropDatabase();
    const products = db.collection<{ _id: string; [field: string]: unknown }>("products");
    await products.insertOne({ _id: "p1", name: "pen", price: new Double(1.5) });
    const url = await createDatabase(postgresUrl(), "sync_inferred");
    const sync = startSync({ source: { uri: mongo.uri(), include: ["infer_sync.*"] }, target: { url, inferMapping: true } });
    try {
      await waitForInitialPosition(url);
      await products.insertOne({ _id: "p2", name: "ink", price: new Int32(3), stock: { warehouse: "north", count: new Int32(12) } });
      const rows = () => query(url, "SELECT _id, name, price, stock_warehouse, stock_count FROM products ORDER BY _id").catch(() => []);
      await waitFor(async () => (await rows()).length === 1, "the insert with new fields");
      // The table's types come from the sample (price: a Double), not from the first change (an Int32).
      expect(await rows()).toEqual([{ _id: "p2", name: "ink", price: 3, stock_warehouse: "north", stock_count: "12" }]);
    } finally {
      await sync.stop();
    }
  });
});

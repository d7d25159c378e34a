// The cutover of docs/migrating/mongo-connector.md, run as the guide shows it: its tributary.yml,
// its commands, a DocManager (examples/docmanager-sink, the "ported" one) continuing the files
// mongo-connector's DocManager left, from mongo-connector's oplog.timestamp. Every step needs a
// replica set (positions import asks MongoDB for the position of the file's time).

import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mongoConnectorProgressFile } from "../../support/mongo-connector-progress-file.js";
import { guideCommand, readGuide, writeGuideFiles } from "../../support/guide-walkthrough.js";
import { describeWithMongo } from "../../support/requirements.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/docmanager-sink", import.meta.url));

describe("the mongo-connector cutover's files", () => {
  it("pass tributary config check as the guide runs it, the ported DocManager found", async () => {
    const guide = readGuide("mongo-connector");
    const dir = await mkdtemp(join(tmpdir(), "tributary-mongo-connector-config-"));
    await writeGuideFiles(guide, dir);
    await cp(EXAMPLE, join(dir, "my-doc-manager"), { recursive: true });
    const env = { TRIBUTARY_MONGODB_URI: "mongodb://mongo1.internal:27017/?replicaSet=rs0" };
    const checked = await runCli(guideCommand(guide, "config check", env), env, dir);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain("use: ./my-doc-manager");
    expect(checked.stdout).toMatch(/snapshot:\n {2}mode: never/);
  });
});

describeWithMongo("the mongo-connector cutover, as docs/migrating/mongo-connector.md walks through it", () => {
  const mongo = useMongoClient();

  it("continues the DocManager's target from oplog.timestamp: changes made while switching tools arrive, none twice in effect", async () => {
    const guide = readGuide("mongo-connector");
    const dir = await mkdtemp(join(tmpdir(), "tributary-mongo-connector-cutover-"));
    await writeGuideFiles(guide, dir);
    await cp(EXAMPLE, join(dir, "my-doc-manager"), { recursive: true });
    const env = { TRIBUTARY_MONGODB_URI: mongo.uri() };

    const client = mongo.client();
    await client.db("shop").dropDatabase();
    const orders = client.db("shop").collection<{ _id: number; qty: number }>("orders");
    // What mongo-connector copied and applied, up to the last entry its progress file names.
    const session = client.startSession();
    try {
      await orders.insertMany([{ _id: 1, qty: 5 }, { _id: 2, qty: 1 }], { session });
      const last = session.operationTime;
      if (!last) throw new Error("the replica set reported no operationTime");
      const hello = await client.db("admin").command({ hello: 1 });
      await writeFile(join(dir, "oplog.timestamp"), mongoConnectorProgressFile(String(hello.setName), String(hello.me), last));
    } finally {
      await session.endSession();
    }
    // The target as the Python DocManager left it: the same files the ported one writes.
    await mkdir(join(dir, "out"));
    await writeFile(join(dir, "out", "shop.orders.json"), JSON.stringify({ "1": { _id: 1, qty: 5 }, "2": { _id: 2, qty: 1 } }, null, 2));
    // Changes made while switching tools: mongo-connector never applied them.
    await orders.updateOne({ _id: 1 }, { $set: { qty: 6 } });
    await orders.insertOne({ _id: 3, qty: 2 });
    await orders.deleteOne({ _id: 2 });

    const imported = await runCli(guideCommand(guide, "positions import", env), env, dir);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("stored for pipeline 'shop-files' (files)");

    const sync = startCli(guideCommand(guide, "sync", env), env, dir);
    const exited = finished(sync);
    try {
      const held = async (): Promise<Record<string, { qty: number }>> => JSON.parse(await readFile(join(dir, "out", "shop.orders.json"), "utf8")) as Record<string, { qty: number }>;
      await waitFor(async () => {
        const files = await held();
        return files["1"]?.qty === 6 && files["3"]?.qty === 2 && files["2"] === undefined;
      }, "the changes made during the cutover in out/shop.orders.json", 60_000);
      await orders.insertOne({ _id: 4, qty: 9 });
      await waitFor(async () => (await held())["4"]?.qty === 9, "a change made after the cutover", 60_000);
      expect(await held()).toEqual({ "1": { _id: 1, qty: 6 }, "3": { _id: 3, qty: 2 }, "4": { _id: 4, qty: 9 } });
    } finally {
      sync.kill("SIGTERM");
    }
    const stopped = await exited;
    expect(stopped.code, stopped.stderr).toBe(0);

    // Importing again is refused: the pipeline has its own position now, and nothing is written.
    const again = await runCli(guideCommand(guide, "positions import", env), env, dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already has a stored position");
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Int32, Long, type MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { silentLogger } from "../../../src/core/logger.js";
import { runSync } from "../../../src/runtime/sync-runner.js";
import { describeWithMongo, requireMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

const DOC_MANAGER = fileURLToPath(new URL("../../fixtures/sinks/recording-doc-manager/index.js", import.meta.url));

interface Call {
  readonly method: string;
  readonly namespace: string;
  readonly [field: string]: unknown;
}

/** What the fixture recorded: the module runSync loaded, imported the way it imports it. */
let recorded: Call[] = [];
const calls = (): Call[] => recorded;

describeWithMongo("a DocManager fed by a real change stream", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  let dir: string;
  let major: number;

  beforeAll(async () => {
    client = mongo.client();
    major = Number.parseInt(requireMongo().version, 10);
    await client.db("dmcmd").dropDatabase();
    dir = await mkdtemp(join(tmpdir(), "tributary-dm-commands-"));
    recorded = ((await import(pathToFileURL(DOC_MANAGER).href)) as { calls: Call[] }).calls;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gets plain values under mapped names, and every command the server sends, unmapped", async () => {
    const config = validateConfig({
      name: "dmcmd",
      source: { uri: mongo.uri(), include: ["dmcmd.*"] },
      sinks: [{ name: "dm", use: DOC_MANAGER, options: { values: "plain", largeLongs: "string", namespaces: { "dmcmd.*": "copy.*" } }, positions: { file: join(dir, "dm.json") } }],
      snapshot: { mode: "never" },
      batch: { maxSize: 100, maxLatencyMs: 50 },
    });
    const controller = new AbortController();
    let streaming = false;
    const done = runSync(config, silentLogger(), controller.signal, { baseDir: dir, onPhase: (phase) => void (phase === "streaming" && (streaming = true)) });
    done.catch(() => undefined);
    try {
      await waitFor(() => streaming || undefined, "the sync streaming");
      const db = client.db("dmcmd");
      await db.createCollection("orders");
      const orders = db.collection<{ _id: number; qty: Int32; views?: Long }>("orders");
      await orders.insertOne({ _id: 1, qty: new Int32(5), views: Long.fromString("9007199254740993") });
      await orders.createIndex({ sku: 1 }, { name: "sku_1" });
      if (major >= 6) await db.command({ collMod: "orders", index: { name: "sku_1", hidden: true } });
      await orders.dropIndex("sku_1");
      await orders.updateOne({ _id: 1 }, { $set: { qty: new Int32(6) } });
      await orders.rename("archive");
      await db.collection("archive").drop();
      await waitFor(() => calls().some((call) => call.method === "handleCommand" && (call.command as { drop?: string }).drop === "archive") || undefined, "the drop at the DocManager", 60_000);
    } finally {
      controller.abort();
      await done;
    }

    const seen = calls();
    expect(seen.find((call) => call.method === "upsert")).toEqual({ method: "upsert", namespace: "copy.orders", doc: { _id: 1, qty: 5, views: "9007199254740993" } });
    expect(seen.find((call) => call.method === "update")).toEqual({ method: "update", namespace: "copy.orders", id: 1, spec: { $set: { qty: 6 } } });
    const commands = seen.filter((call) => call.method === "handleCommand");
    for (const command of commands) expect(command).toMatchObject({ namespace: "dmcmd.$cmd", mapped: "copy.orders" });
    const byOp = (op: string): Call | undefined => commands.find((call) => call.op === op);
    expect(byOp("rename")?.command).toMatchObject({ renameCollection: "dmcmd.orders", to: "dmcmd.archive" });
    expect(byOp("drop")?.command).toEqual({ drop: "archive" });
    if (major >= 6) {
      // Expanded events (showExpandedEvents), spelt as the oplog or the command spells them.
      expect(commands.map((call) => call.op)).toEqual(["create", "createIndexes", "modify", "dropIndexes", "rename", "drop"]);
      expect(byOp("create")?.command).toMatchObject({ create: "orders", idIndex: { v: 2, key: { _id: 1 }, name: "_id_" } });
      expect(byOp("createIndexes")?.command).toMatchObject({ createIndexes: "orders", indexes: [{ v: 2, key: { sku: 1 }, name: "sku_1" }] });
      expect(byOp("modify")?.command).toMatchObject({ collMod: "orders", index: { hidden: true } });
      expect(byOp("dropIndexes")?.command).toEqual({ dropIndexes: "orders", index: ["sku_1"] });
    } else {
      expect(commands.map((call) => call.op)).toEqual(["rename", "drop"]);
    }
  });
});

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Double, Int32, Long, ObjectId, type Document, type MongoClient } from "mongodb";
import { expect, it } from "vitest";
import { BSON } from "../../../src/core/bson.js";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createMongoSink } from "../../../src/sinks/mongodb/mongodb-sink.js";
import { snapshotEvents } from "../../../src/snapshot/snapshot-events.js";
import { connectMongo } from "../../../src/source/mongo-connection.js";
import { MongoVerifySource } from "../../../src/source/mongo-verify-source.js";
import { runVerify } from "../../../src/verify/run-verify.js";
import { groupsOf } from "../../support/async-helpers.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";
import type { SyncStatus } from "../../../src/observability/sync-monitor.js";
import { createDatabase, findFreePort } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { startSync, useMongoClient, waitForConvergence } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

interface Report {
  equal: boolean;
  collections: { namespace: string; equal: boolean; differences: { kind: string; key: string; path?: string }[]; recheck?: { keys: number; skipped?: string }; repair?: { keys: number; remaining: number } }[];
}

function orders(count: number): Document[] {
  return Array.from({ length: count }, (_, n) => ({ _id: new ObjectId(n.toString(16).padStart(24, "0")), n: new Int32(n), total: new Double(n + 0.25), customer: { name: `c${n % 17}` } }));
}

/** A fresh database `db` whose collection `large` holds 40 documents of 1 MiB (`_id` 0 to 39): more than two of MongoDB's 16 MiB batches. Returns their `_id`s. */
async function largeDocuments(client: MongoClient, db: string): Promise<number[]> {
  await client.db(db).dropDatabase();
  const filler = "x".repeat(1024 * 1024);
  const ids = Array.from({ length: 40 }, (_, i) => i);
  for (let i = 0; i < ids.length; i += 10) await client.db(db).collection<{ _id: number; filler: string }>("large").insertMany(ids.slice(i, i + 10).map((_id) => ({ _id, filler })));
  return ids;
}

describeWithMongo("tributary verify against a replica set", () => {
  const mongo = useMongoClient();

  it("finds a snapshot's copy equal, reports missing, extra and changed rows with exit 1, and --repair makes it equal", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "verify_cli");
    await client.db("verify_cli").dropDatabase();
    await client.db("verify_cli").collection("orders").insertMany(orders(3_000));
    const common = ["--from", mongo.uri(), "--to", url, "--include", "verify_cli.orders", "--log-level", "warn"];
    expect((await runCli(["snapshot", ...common])).code).toBe(0);

    const clean = await runCli(["verify", ...common]);
    expect(clean.stdout).toContain("verify_cli.orders → postgres: equal — 3000 document(s) in MongoDB, 3000 in the copy");
    expect(clean.code).toBe(0);

    const table = "public.verify_cli_orders";
    await query(url, `DELETE FROM ${table} WHERE _id = $1`, ["000000000000000000000005"]);
    await query(url, `UPDATE ${table} SET doc = jsonb_set(doc, '{customer,name}', '"someone else"') WHERE _id = $1`, ["0000000000000000000007d0"]);
    // A row written long ago (repair leaves a row of its read's second or later to the sync).
    await query(url, `INSERT INTO ${table} (_id, doc, _cluster_time) VALUES ('stray', '{"_id": "stray"}', now() - interval '1 day')`);
    // No sync runs: the re-check waits one second for it, then leaves the differences as they are.
    const dirty = await runCli(["verify", ...common, "--json", "--settle-timeout", "1"]);
    expect(dirty.code).toBe(1);
    const report = BSON.EJSON.parse(dirty.stdout, { relaxed: true }) as Report;
    expect(report.collections[0]?.differences.map((each) => `${each.kind} ${each.key} ${each.path ?? ""}`.trim()).sort()).toEqual([
      "different 0000000000000000000007d0 customer.name",
      "extra stray",
      "missing 000000000000000000000005",
    ]);
    expect(report.collections[0]?.recheck?.skipped).toMatch(/did not reach/);
    expect(dirty.stderr).toMatch(/verify found 3 key\(s\) that differ/);

    const repaired = await runCli(["verify", ...common, "--repair", "--json", "--settle-timeout", "1"]);
    expect((BSON.EJSON.parse(repaired.stdout, { relaxed: true }) as Report).collections[0]?.repair).toEqual({ keys: 3, remaining: 0 });
    expect(repaired.code).toBe(0);
    expect((await runCli(["verify", ...common])).code).toBe(0);
  });

  it("verifies clean while the sync runs and documents keep changing", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "verify_live");
    await client.db("verify_live").dropDatabase();
    const coll = client.db("verify_live").collection<{ _id: ObjectId | string; n: Int32 | number }>("orders");
    await coll.insertMany(orders(5_000) as { _id: ObjectId; n: Int32 }[]);
    const sync = startSync({ source: { uri: mongo.uri(), include: ["verify_live.orders"] }, target: { url } });
    try {
      await waitForConvergence(client, url, { db: "verify_live", coll: "orders" }, "public.verify_live_orders");
      let writing = true;
      const writer = (async () => {
        for (let round = 0; writing; round += 1) {
          await coll.updateOne({ _id: new ObjectId((round % 5_000).toString(16).padStart(24, "0")) }, { $inc: { n: 1 } });
          await coll.insertOne({ _id: `live-${round}`, n: round });
        }
      })();
      const result = await runCli(["verify", "--from", mongo.uri(), "--to", url, "--include", "verify_live.orders", "--json", "--settle-timeout", "60", "--log-level", "warn"]);
      writing = false;
      await writer;
      expect((BSON.EJSON.parse(result.stdout, { relaxed: true }) as Report).equal).toBe(true);
      expect(result.code).toBe(0);
    } finally {
      await sync.stop();
    }
  });

  it("repairs while the sync runs and documents keep changing, and the copy then converges with nothing older put back", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "verify_live_repair");
    await client.db("verify_live_repair").dropDatabase();
    const coll = client.db("verify_live_repair").collection<{ _id: ObjectId | string; n: Int32 | number }>("orders");
    await coll.insertMany(orders(3_000) as { _id: ObjectId; n: Int32 }[]);
    const sync = startSync({ source: { uri: mongo.uri(), include: ["verify_live_repair.orders"] }, target: { url } });
    const table = "public.verify_live_repair_orders";
    const id = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, "0"));
    try {
      await waitForConvergence(client, url, { db: "verify_live_repair", coll: "orders" }, table);
      // Rows the repair must fix: keys the writer below never touches.
      await query(url, `DELETE FROM ${table} WHERE _id = $1`, [id(2_000).toHexString()]);
      await query(url, `UPDATE ${table} SET doc = jsonb_set(doc, '{customer,name}', '"someone else"') WHERE _id = $1`, [id(2_001).toHexString()]);
      let writing = true;
      const writer = (async () => {
        for (let round = 0; writing; round += 1) {
          await coll.updateOne({ _id: id(round % 1_000) }, { $inc: { n: 1 } });
          // No deletes: one deleted after repair read it could come back (docs/verify.md says so).
          await coll.insertOne({ _id: `live-${round}`, n: round });
        }
      })();
      const repaired = await runCli(["verify", "--from", mongo.uri(), "--to", url, "--include", "verify_live_repair.orders", "--repair", "--json", "--settle-timeout", "60", "--log-level", "warn"]);
      writing = false;
      await writer;
      const report = BSON.EJSON.parse(repaired.stdout, { relaxed: true }) as Report;
      expect(report.collections[0]?.repair?.keys).toBeGreaterThanOrEqual(2);
      // Once the writes stop, the sync's changes and the repair's copies leave the copy equal to MongoDB.
      await waitForConvergence(client, url, { db: "verify_live_repair", coll: "orders" }, table);
      expect((await runCli(["verify", "--from", mongo.uri(), "--to", url, "--include", "verify_live_repair.orders", "--settle-timeout", "60", "--log-level", "warn"])).code).toBe(0);
    } finally {
      await sync.stop();
    }
  });

  it("sync verifies every verify.interval while it streams, reports in /status and /metrics, and repairs nothing", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "verify_periodic");
    await client.db("verify_periodic").dropDatabase();
    await client.db("verify_periodic").collection("orders").insertMany(orders(500));
    const port = await findFreePort();
    const config = join(await mkdtemp(join(tmpdir(), "tributary-verify-")), "tributary.yml");
    // JSON is YAML.
    await writeFile(config, JSON.stringify({ source: { uri: mongo.uri(), include: ["verify_periodic.orders"] }, target: { url }, http: { listen: `127.0.0.1:${port}` }, verify: { interval: "10s" } }));
    const child = startCli(["sync", "--config", config, "--log-level", "warn"]);
    const result = finished(child);
    const status = async (): Promise<SyncStatus | undefined> => (await fetch(`http://127.0.0.1:${port}/status`).catch(() => undefined))?.json() as Promise<SyncStatus | undefined>;
    try {
      await waitFor(async () => (await status())?.phase === "streaming", "the sync to stream", 60_000);
      const changed = new ObjectId((9).toString(16).padStart(24, "0")).toHexString();
      await query(url, `UPDATE public.verify_periodic_orders SET doc = jsonb_set(doc, '{customer,name}', '"someone else"') WHERE _id = $1`, [changed]);
      // The re-check waits for the sync's next stored position (an idle stream stores one every 10 s), then finds the row still different.
      const run = await waitFor(async () => ((await status())?.verify?.lastRun?.result === "different" ? (await status())?.verify : undefined), "a periodic run that finds the row", 90_000);
      expect(run.lastRun?.collections).toEqual([
        expect.objectContaining({ namespace: "verify_periodic.orders", sink: "postgres", equal: false, documents: 500, differences: 1, differenceCounts: { missing: 0, extra: 0, different: 1 } }),
      ]);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('tributary_verify_differences{collection="verify_periodic.orders",sink="postgres"} 1');
      expect(metrics).toMatch(/tributary_verify_runs_total\{result="different"\} [1-9]/);
      expect(await query(url, "SELECT doc->'customer'->>'name' AS name FROM public.verify_periodic_orders WHERE _id = $1", [changed])).toEqual([{ name: "someone else" }]);
    } finally {
      child.kill("SIGTERM");
    }
    expect((await result).code).toBe(0);
  });

  it("verifies the mongodb sink: same fields, order and BSON types; a changed type, a missing and an extra document are found; repair fixes them", async () => {
    const client = mongo.client();
    await client.db("verify_msrc").dropDatabase();
    await client.db("verify_mcopy").dropDatabase();
    await client.db("verify_msrc").collection("orders").insertMany(orders(700));
    const deployment = await connectMongo(mongo.uri(), { serverSelectionTimeoutMs: 10_000 });
    const sink = await createMongoSink({ uri: mongo.uri(), database: "verify_mcopy" }, { pipeline: "default", sinkName: "copy", logger: silentLogger(), baseDir: process.cwd(), positions: new MemoryResumePointStore() });
    await sink.open();
    try {
      const source = new MongoVerifySource(deployment, { filter: new NamespaceFilter(["verify_msrc.*"], []), include: ["verify_msrc.*"] });
      const docs: Document[] = [];
      for await (const chunk of source.readRange("verify_msrc.orders", {}, 1_000, new AbortController().signal)) docs.push(...chunk);
      await sink.apply({ events: snapshotEvents("verify_msrc.orders", docs, await source.startPosition()) });
      const settings = { parallelism: 2, chunkSize: 100, rangeSize: 200, settleTimeoutMs: 1_000, repair: false };
      const run = (repair = false) => runVerify({ source, sinks: [sink], settings: { ...settings, repair }, logger: silentLogger(), signal: new AbortController().signal });
      expect((await run()).equal).toBe(true);

      const copy = client.db("verify_mcopy").collection("orders");
      await copy.updateOne({ _id: new ObjectId((3).toString(16).padStart(24, "0")) }, { $set: { n: Long.fromNumber(3) } });
      await copy.deleteOne({ _id: new ObjectId((600).toString(16).padStart(24, "0")) });
      await copy.insertOne({ _id: new ObjectId("ffffffffffffffffffffffff"), n: 0 });
      const found = await run();
      expect(found.collections[0]?.differences.map((each) => `${each.kind} ${each.key} ${each.path ?? ""}`.trim()).sort()).toEqual([
        "different 000000000000000000000003 n",
        "extra ffffffffffffffffffffffff",
        "missing 000000000000000000000258",
      ]);
      expect((await run(true)).collections[0]?.repair).toEqual({ keys: 3, remaining: 0 });
    } finally {
      await sink.close();
      await deployment.client.close();
    }
  });

  it("reads the mongodb sink's copy in chunks that end where the server's batches end: 40 documents of 1 MiB, chunks of at most 16 MiB", async () => {
    const ids = await largeDocuments(mongo.client(), "verify_mheld");
    const sink = await createMongoSink({ uri: mongo.uri(), database: "verify_mheld" }, { pipeline: "default", sinkName: "copy", logger: silentLogger(), baseDir: process.cwd(), positions: new MemoryResumePointStore() });
    await sink.open();
    try {
      const verifiable = sink.capabilities?.verifiable;
      if (!verifiable) throw new Error("the mongodb sink is verifiable");
      const chunks = await groupsOf(verifiable.held("verify_mheld.large", 1_000));
      expect(chunks.flat().map((held) => held.key).sort((a, b) => Number(a) - Number(b))).toEqual(ids.map(String));
      // The server adds a document to a batch only while it stays within 16 MiB (FindCommon::haveSpaceForNext): 15 such documents at most.
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(15);
    } finally {
      await sink.close();
    }
  });

  it("reads documents by _id on from a new cursor when the caller kept a group longer than a cursor stays open, each once", async () => {
    const ids = await largeDocuments(mongo.client(), "verify_idle");
    const deployment = await connectMongo(mongo.uri(), { serverSelectionTimeoutMs: 10_000 });
    try {
      // As a caller that waits for the sync between two groups longer than the server keeps an idle cursor.
      const source = new MongoVerifySource(deployment, { filter: new NamespaceFilter(["verify_idle.*"], []), include: ["verify_idle.*"], idleReopenMs: 50 });
      const read: unknown[] = [];
      let groups = 0;
      for await (const group of source.readIds("verify_idle.large", [...ids, "absent"])) {
        read.push(...group.map((doc) => doc._id as unknown));
        groups += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect([...read].sort((a, b) => (a as number) - (b as number))).toEqual(ids);
      expect(groups).toBeGreaterThanOrEqual(3);
    } finally {
      await deployment.client.close();
    }
  });

  it("reads documents by _id with MongoDB's numeric equality (an Int32 key finds a Long or Double _id of the same value)", async () => {
    const client = mongo.client();
    await client.db("verify_ids").dropDatabase();
    await client.db("verify_ids").collection("mixed").insertMany([{ _id: Long.fromNumber(5) as unknown as ObjectId }, { _id: new Double(7) as unknown as ObjectId }, { _id: "x" as unknown as ObjectId }]);
    const deployment = await connectMongo(mongo.uri(), { serverSelectionTimeoutMs: 10_000 });
    try {
      const source = new MongoVerifySource(deployment, { filter: new NamespaceFilter(["verify_ids.*"], []), include: ["verify_ids.*"] });
      const found = (await groupsOf(source.readIds("verify_ids.mixed", [new Int32(5), 7, "x", "absent"]))).flat();
      expect(found.map((doc) => BSON.EJSON.stringify(doc._id, { relaxed: false })).sort()).toEqual(['"x"', '{"$numberDouble":"7.0"}', '{"$numberLong":"5"}']);
      // As a repair reads: majority-committed, after a position fixed just before (afterClusterTime).
      await client.db("verify_ids").collection("mixed").insertOne({ _id: "y" as unknown as ObjectId });
      const after = await source.startPosition();
      expect((await groupsOf(source.readIds("verify_ids.mixed", ["y"], after))).flat().map((doc) => doc._id as unknown)).toEqual(["y"]);
    } finally {
      await deployment.client.close();
    }
  });

  it("reads documents by _id in groups that end where the server's batches end: 40 documents of 1 MiB come in groups of at most 16 MiB", async () => {
    const ids = await largeDocuments(mongo.client(), "verify_ids");
    const deployment = await connectMongo(mongo.uri(), { serverSelectionTimeoutMs: 10_000 });
    try {
      const source = new MongoVerifySource(deployment, { filter: new NamespaceFilter(["verify_ids.*"], []), include: ["verify_ids.*"] });
      const groups = await groupsOf(source.readIds("verify_ids.large", [...ids, "absent"]));
      expect(groups.flat().map((doc) => doc._id as unknown).sort((a, b) => (a as number) - (b as number))).toEqual(ids);
      // The server adds a document to a batch only while it stays within 16 MiB (FindCommon::haveSpaceForNext): 15 such documents at most.
      expect(groups.length).toBeGreaterThanOrEqual(3);
      for (const group of groups) expect(group.reduce((bytes, doc) => bytes + BSON.calculateObjectSize(doc), 0)).toBeLessThanOrEqual(16 * 1024 * 1024);
    } finally {
      await deployment.client.close();
    }
  });
});

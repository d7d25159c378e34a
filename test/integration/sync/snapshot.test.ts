import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decimal128, Double, Int32, Long, ObjectId } from "mongodb";
import { expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { createRewriteCountingTable, query } from "../../support/postgres-sink-fixture.js";
import { realisticDocuments } from "../../support/realistic-documents.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { startSync, storedPosition, useMongoClient, waitForConvergence } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

/** The `_id` types these tests mix in one collection. */
type MixedId = ObjectId | Int32 | Long | Double | Decimal128 | string | { region: number; n: number };
interface AnyIdDocument {
  _id: MixedId;
  n: number;
  tags?: (number | string)[];
}

const SMALL_RANGES = { parallelism: 3, chunkSize: 200, rangeSize: 1_000 };

/** ObjectId, Int32, Long, Double, Decimal128, string and document `_id`s, interleaved. */
function mixedIdDocuments(count: number): AnyIdDocument[] {
  return Array.from({ length: count }, (_, index) => {
    const ids: MixedId[] = [
      new ObjectId(index.toString(16).padStart(24, "0")),
      new Int32(index),
      Long.fromNumber(1_000_000 + index),
      new Double(index + 0.5),
      Decimal128.fromString(`${index}.25`),
      `key-${index}`,
      { region: index % 3, n: index },
    ];
    return { _id: ids[index % ids.length] ?? index.toString(), n: index, tags: [index % 5, `t${index % 7}`] };
  });
}

function snapshotRows(url: string, pipeline = "default"): Promise<{ namespace: string; status: string }[]> {
  return query(url, "SELECT namespace, status FROM tributary.snapshots WHERE pipeline = $1 ORDER BY namespace", [pipeline]);
}

describeWithMongo("sync: initial snapshot", () => {
  const mongo = useMongoClient();

  it("copies existing documents with mixed _id types in parallel ranges, then streams", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "snapshot_mixed");
    const coll = client.db("snap_mixed").collection<AnyIdDocument>("things");
    await client.db("snap_mixed").dropDatabase();
    await coll.insertMany(mixedIdDocuments(7_000));

    const sync = startSync({ source: { uri: mongo.uri(), include: ["snap_mixed.things"] }, target: { url }, snapshot: { mode: "initial", ...SMALL_RANGES } });
    expect(await waitForConvergence(client, url, { db: "snap_mixed", coll: "things" }, "public.snap_mixed_things")).toBe(7_000);
    const ranges = await query<{ n: string }>(url, "SELECT count(*) AS n FROM tributary.snapshot_ranges WHERE done");
    expect(Number(ranges[0]?.n)).toBeGreaterThan(3);
    await waitFor(async () => (await snapshotRows(url)).every((row) => row.status === "done") || undefined, "the snapshot to be marked done");

    await coll.insertOne({ _id: "after", n: -1 });
    await coll.updateOne({ _id: new Int32(1) }, { $set: { n: 1_000 } });
    await coll.deleteOne({ _id: "key-5" });
    await waitForConvergence(client, url, { db: "snap_mixed", coll: "things" }, "public.snap_mixed_things");
    await sync.stop();
  });

  it("ends with inserts, updates and deletes made while the snapshot runs applied", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "snapshot_concurrent");
    await client.db("snap_live").dropDatabase();
    const coll = client.db("snap_live").collection("orders");
    await coll.insertMany(realisticDocuments(20_000, 512));

    const sync = startSync({ source: { uri: mongo.uri(), include: ["snap_live.orders"] }, target: { url }, snapshot: { mode: "initial", parallelism: 2, chunkSize: 100, rangeSize: 2_000 } });
    await waitFor(async () => Number((await query<{ n: string }>(url, "SELECT coalesce(sum(copied), 0) AS n FROM tributary.snapshot_ranges").catch(() => []))[0]?.n ?? 0) > 0, "the snapshot to start");
    for (let round = 0; round < 200; round += 1) {
      const id = realisticDocuments(1, 512, round * 97)[0]?._id as ObjectId;
      await coll.updateOne({ _id: id }, { $set: { status: `changed-${round}` }, $inc: { number: 1 } });
      await coll.deleteOne({ _id: realisticDocuments(1, 512, round * 89 + 13)[0]?._id as ObjectId });
      await coll.insertOne({ ...realisticDocuments(1, 512, 100_000 + round)[0] });
    }
    await waitForConvergence(client, url, { db: "snap_live", coll: "orders" }, "public.snap_live_orders", 180_000);
    await sync.stop();
  });

  it("copies a collection included later without copying the others again", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "snapshot_later");
    await client.db("snap_later").dropDatabase();
    await client.db("snap_later").collection<AnyIdDocument>("a").insertMany(mixedIdDocuments(500));
    await client.db("snap_later").collection<AnyIdDocument>("b").insertMany(mixedIdDocuments(300));
    const source = { uri: mongo.uri(), include: ["snap_later.a"] };

    const first = startSync({ source, target: { url }, snapshot: { mode: "initial", ...SMALL_RANGES } });
    await waitForConvergence(client, url, { db: "snap_later", coll: "a" }, "public.snap_later_a");
    await first.stop();
    const [before] = await query<{ synced: Date }>(url, "SELECT max(_synced_at) AS synced FROM public.snap_later_a");

    const second = startSync({ source: { ...source, include: ["snap_later.a", "snap_later.b"] }, target: { url }, snapshot: { mode: "initial", ...SMALL_RANGES } });
    await waitForConvergence(client, url, { db: "snap_later", coll: "b" }, "public.snap_later_b");
    await second.stop();
    const [after] = await query<{ synced: Date }>(url, "SELECT max(_synced_at) AS synced FROM public.snap_later_a");
    expect(after?.synced).toEqual(before?.synced);
    expect(await snapshotRows(url)).toEqual([
      { namespace: "snap_later.a", status: "done" },
      { namespace: "snap_later.b", status: "done" },
    ]);
  });

  it("tributary snapshot copies and exits 0; a later sync streams what changed since the copy started", async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "snapshot_cli");
    await client.db("snap_cli").dropDatabase();
    const coll = client.db("snap_cli").collection<AnyIdDocument>("items");
    await coll.insertMany(mixedIdDocuments(2_000));
    const common = ["--from", mongo.uri(), "--to", url, "--include", "snap_cli.items", "--log-level", "info", "--no-pretty-logs"];

    const snapshot = await runCli(["snapshot", ...common]);
    expect(snapshot.code, snapshot.stderr).toBe(0);
    // A "snapshot progress" line comes every progressIntervalMs (5 s), which a 2,000-document
    // copy may finish before; the summary line at the end is always written.
    expect(snapshot.stderr).toMatch(/"collection":"snap_cli\.items".*"msg":"snapshot summary"|"msg":"snapshot summary".*"collection":"snap_cli\.items"/);
    expect(await storedPosition(url)).toBeDefined();
    expect(await snapshotRows(url)).toEqual([{ namespace: "snap_cli.items", status: "done" }]);

    // Written between the snapshot and the sync: the sync must pick these up.
    await coll.insertOne({ _id: "between", n: 1 });
    await coll.deleteOne({ _id: "key-5" });
    const sync = startCli(["sync", ...common]);
    const exit = finished(sync);
    await waitForConvergence(client, url, { db: "snap_cli", coll: "items" }, "public.snap_cli_items");
    sync.kill("SIGTERM");
    expect((await exit).code).toBe(0);
  });

  it("after kill -9 mid-snapshot, a restart copies only the unfinished ranges", { timeout: 300_000 }, async () => {
    const client = mongo.client();
    const url = await createDatabase(postgresUrl(), "snapshot_kill9");
    await client.db("snap_kill").dropDatabase();
    await client.db("snap_kill").collection("orders").insertMany(realisticDocuments(40_000, 512));
    const rewrites = await createRewriteCountingTable(url, "public.snap_kill_orders");
    const configFile = join(await mkdtemp(join(tmpdir(), "tributary-snapshot-")), "config.yml");
    await writeFile(configFile, "snapshot:\n  chunkSize: 250\n  rangeSize: 4000\n");
    const args = ["snapshot", "--config", configFile, "--from", mongo.uri(), "--to", url, "--include", "snap_kill.orders", "--snapshot-parallelism", "2", "--log-level", "warn"];

    const first = startCli(args);
    const firstExit = finished(first);
    await waitFor(async () => {
      const rows = await query<{ done: boolean }>(url, "SELECT done FROM tributary.snapshot_ranges").catch(() => []);
      return rows.some((row) => row.done) && rows.some((row) => !row.done);
    }, "some ranges done, others not");
    first.kill("SIGKILL");
    expect((await firstExit).signal).toBe("SIGKILL");
    const unfinished = await query<{ n: string }>(url, "SELECT count(*) AS n FROM tributary.snapshot_ranges WHERE NOT done");

    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    await waitForConvergence(client, url, { db: "snap_kill", coll: "orders" }, "public.snap_kill_orders");
    expect(await rewrites()).toBeLessThanOrEqual(Number(unfinished[0]?.n));
  });
});

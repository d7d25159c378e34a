import { beforeAll, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { finished, startCli } from "../../support/run-cli.js";
import { useMongoClient, waitForConvergence, waitForInitialPosition } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

const WRITERS = 4;
const WRITES_PER_WRITER = 3_000;

describeWithMongo("sync: kill -9 during a burst of writes", () => {
  const mongo = useMongoClient();
  let url: string;
  const ns = { db: "crash", coll: "burst" };
  const table = "public.crash_burst";

  beforeAll(async () => {
    await mongo.client().db(ns.db).dropDatabase();
    url = await createDatabase(postgresUrl(), "sync_kill9");
  });

  /** One writer: inserts, updates and deletes over its own keys, in order. */
  async function writer(w: number): Promise<void> {
    const coll = mongo.client().db(ns.db).collection<{ _id: string; w: number; i: number; hits?: number }>(ns.coll);
    for (let i = 0; i < WRITES_PER_WRITER; i += 1) {
      const key = `${w}-${i % 1_000}`;
      if (i < 1_000) await coll.insertOne({ _id: key, w, i });
      else if (i % 7 === 0) await coll.deleteOne({ _id: key });
      else await coll.updateOne({ _id: key }, { $inc: { hits: 1 }, $set: { i } }, { upsert: true });
    }
  }

  it("converges to the collection exactly after a restart", async () => {
    const args = ["sync", "--from", mongo.uri(), "--to", url, "--include", "crash.burst", "--log-level", "warn"];
    const first = startCli(args);
    const firstExit = finished(first);
    await waitForInitialPosition(url);

    const burst = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    await waitFor(async () => Number((await query<{ n: string }>(url, `SELECT count(*) AS n FROM ${table}`).catch(() => []))[0]?.n ?? 0) > 500, "the first rows");
    first.kill("SIGKILL");
    expect((await firstExit).signal).toBe("SIGKILL");
    await burst;

    const second = startCli(args);
    const secondExit = finished(second);
    const documents = await waitForConvergence(mongo.client(), url, ns, table, 120_000);
    expect(documents).toBeGreaterThan(3_000);
    second.kill("SIGTERM");
    const result = await secondExit;
    expect(result.code).toBe(0);
  });
});

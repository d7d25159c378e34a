import { MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl, requireMongo } from "../../support/requirements.js";
import { startSync } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

describeWithMongo("sync: a quiet stream keeps its position fresh", () => {
  let client: MongoClient;
  let uri: string;

  beforeAll(async () => {
    uri = requireMongo().uri;
    client = new MongoClient(uri);
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
  });

  it("advances the stored position while only other collections change", async () => {
    const url = await createDatabase(postgresUrl(), "sync_keepalive");
    const sync = startSync({ source: { uri, include: ["quiet.watched"] }, target: { url } });
    try {
      const read = async (): Promise<string | undefined> => (await query<{ position: string }>(url, "SELECT position FROM tributary.positions").catch(() => []))[0]?.position;
      const initial = await waitFor(read, "the initial position");
      await client.db("quiet").collection("other").insertMany(Array.from({ length: 20 }, (_, i) => ({ i })));
      const later = await waitFor(async () => {
        const now = await read();
        return now !== undefined && now > initial ? now : undefined;
      }, "the position to advance");
      expect(later > initial).toBe(true);
      expect(await query(url, "SELECT to_regclass('public.quiet_watched') AS t")).toEqual([{ t: null }]);
    } finally {
      await sync.stop();
    }
  });
});

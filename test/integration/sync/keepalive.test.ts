import { expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, storedPosition, useMongoClient, waitForInitialPosition } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

describeWithMongo("sync: a quiet stream keeps its position fresh", () => {
  const mongo = useMongoClient();

  it("advances the stored position while only other collections change", async () => {
    const url = await createDatabase(postgresUrl(), "sync_keepalive");
    const sync = startSync({ source: { uri: mongo.uri(), include: ["quiet.watched"] }, target: { url } });
    try {
      const initial = await waitForInitialPosition(url);
      await mongo.client().db("quiet").collection("other").insertMany(Array.from({ length: 20 }, (_, i) => ({ i })));
      const later = await waitFor(async () => {
        const now = await storedPosition(url);
        return now !== undefined && now > initial ? now : undefined;
      }, "the position to advance");
      expect(later > initial).toBe(true);
      expect(await query(url, "SELECT to_regclass('public.quiet_watched') AS t")).toEqual([{ t: null }]);
    } finally {
      await sync.stop();
    }
  });
});

import { MongoClient } from "mongodb";
import { expect, it } from "vitest";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import { runSnapshot } from "../../../src/snapshot/snapshot-runner.js";
import { connectMongo } from "../../../src/source/mongo-connection.js";
import { MongoSnapshotSource } from "../../../src/source/mongo-snapshot-source.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { MemorySnapshotTarget } from "../../support/memory-snapshot-target.js";
import { describeWithOwnSet, membersByRole, ownThreeMemberSet } from "../../support/replica-members.js";
import { waitFor } from "../../support/wait-for.js";

const DB = "snapshot_majority_wait";
const NAMESPACE = `${DB}.items`;

describeWithOwnSet("a snapshot read waiting for a majority", () => {
  // Its primary stays primary while both secondaries are down.
  const set = ownThreeMemberSet();

  it("is told after the read limit, names the collection and the range, and the copy goes on once the secondaries are back", { timeout: 300_000 }, async () => {
    const uri = set.uri();
    const replSet = set.replSet();
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 60_000 });
    await client.connect();
    const deployment = await connectMongo(uri, { serverSelectionTimeoutMs: 60_000 });
    try {
      const items = client.db(DB).collection<{ _id: number }>("items");
      await items.insertMany(
        Array.from({ length: 50 }, (_, n) => ({ _id: n })),
        { writeConcern: { w: "majority" } },
      );
      const { secondaries } = await membersByRole(replSet);
      // No majority holds anything written from now on: the snapshot's start is past the
      // majority commit point, and its majority reads after that start wait (docs/failure-modes.md).
      for (const secondary of secondaries) await secondary.stop({ doCleanup: false, force: false });
      await items.insertOne({ _id: 50 }, { writeConcern: { w: 1 } });

      const { logger, lines } = capturingLogger();
      const source = new MongoSnapshotSource(deployment, { filter: new NamespaceFilter([NAMESPACE], []), include: [NAMESPACE], logger });
      const target = new MemorySnapshotTarget();
      const run = runSnapshot(source, target, {
        mode: "initial",
        parallelism: 1,
        chunkSize: 10,
        rangeSize: 1_000,
        logger,
        signal: new AbortController().signal,
        slowSteps: { reads: 2_000, writes: 60_000 },
      });
      run.catch(() => undefined);

      const warning = await waitFor(() => lines.find((line) => line.level === 40), "the warning of a read waiting for MongoDB", 60_000);
      expect(warning).toMatchObject({ msg: "snapshot: reading a chunk has waited 2 s for MongoDB", collection: NAMESPACE, rangeNo: 0 });
      expect(target.chunks).toEqual([]);

      for (const secondary of secondaries) await secondary.start(true);
      const outcome = await run;
      expect(outcome).toMatchObject({ copied: [NAMESPACE], documents: 51, complete: true });
      expect(lines.filter((line) => line.level === 40)).toHaveLength(1);
      expect(lines.find((line) => line.msg === "snapshot: reading a chunk waited for MongoDB and has ended")).toMatchObject({ collection: NAMESPACE, rangeNo: 0 });
    } finally {
      await deployment.client.close();
      await client.close();
    }
  });
});

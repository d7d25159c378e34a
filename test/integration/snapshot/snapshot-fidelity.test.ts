// How the snapshot reads against a real replica set (#12): where and at what read concern, and
// how a range read survives a killed or idle cursor; time-series collections are reported.
import { Int32, MongoClient, type CommandStartedEvent, type Document } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import { clusterTimeOfToken } from "../../../src/core/position.js";
import { describeDeployment, type MongoDeployment } from "../../../src/source/mongo-connection.js";
import { MongoSnapshotSource, type MongoSnapshotSourceOptions } from "../../../src/source/mongo-snapshot-source.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { describeWithMongo, requireMongo } from "../../support/requirements.js";

const DB = "snapshot_fidelity";
const never = new AbortController().signal;

describeWithMongo("snapshot reads against the server", () => {
  let client: MongoClient;
  let deployment: MongoDeployment;
  const commands: CommandStartedEvent[] = [];

  beforeAll(async () => {
    const { uri } = requireMongo();
    // What the connection string asks for must not change where and how the snapshot reads.
    const asked = `${uri}${uri.includes("?") ? "&" : "?"}readPreference=secondaryPreferred&readConcernLevel=local`;
    client = new MongoClient(asked, { monitorCommands: true });
    client.on("commandStarted", (event) => commands.push(event));
    await client.connect();
    deployment = await describeDeployment(client, "test replica set");
    await client.db(DB).dropDatabase();
    await client.db(DB).collection("docs").insertMany(Array.from({ length: 300 }, (_, n): Document => ({ _id: new Int32(n), n })));
  });

  afterAll(async () => {
    await client?.db(DB).dropDatabase();
    await client?.close();
  });

  const source = (options: Partial<MongoSnapshotSourceOptions> = {}): MongoSnapshotSource =>
    new MongoSnapshotSource(deployment, { filter: new NamespaceFilter([`${DB}.*`], []), include: [`${DB}.*`], ...options });

  async function readAll(snapshot: MongoSnapshotSource, between?: () => Promise<void>): Promise<Document[]> {
    const docs: Document[] = [];
    for await (const chunk of snapshot.readRange(`${DB}.docs`, {}, 50, never)) {
      docs.push(...chunk);
      await between?.();
    }
    return docs;
  }

  const ids = (docs: readonly Document[]): number[] => docs.map((doc) => Number(doc._id));
  const all = Array.from({ length: 300 }, (_, n) => n);

  it("reads from the primary at majority, after the snapshot's start, whatever the connection string asks", async () => {
    const snapshot = source();
    const start = await snapshot.startPosition();
    commands.length = 0;
    expect(ids(await readAll(snapshot))).toEqual(all);
    const primary = String((await client.db("admin").command({ hello: 1 })).primary);
    const finds = commands.filter((event) => event.commandName === "find");
    expect(finds.length).toBeGreaterThan(0);
    for (const find of finds) {
      expect(find.address).toBe(primary);
      expect(find.command.readConcern?.level).toBe("majority");
      expect(find.command.readConcern?.afterClusterTime?.equals(clusterTimeOfToken(start.resumeToken))).toBe(true);
      expect(find.command.hint).toBe("_id_");
    }
  });

  it("goes on from the last key when the server kills the cursor in the middle of a range", async () => {
    let killed = false;
    const docs = await readAll(source(), async () => {
      if (killed) return;
      const admin = client.db("admin");
      const idle = await admin.aggregate([{ $currentOp: { idleCursors: true } }, { $match: { type: "idleCursor", ns: `${DB}.docs` } }]).toArray();
      for (const op of idle) {
        const cursor = op.cursor as { cursorId: unknown };
        await client.db(DB).command({ killCursors: "docs", cursors: [cursor.cursorId] });
        killed = true;
      }
    });
    expect(killed).toBe(true);
    expect(ids(docs)).toEqual(all);
  });

  it("reopens a cursor the caller left idle too long, from its last key", async () => {
    commands.length = 0;
    const docs = await readAll(source({ idleReopenMs: 1 }), () => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(ids(docs)).toEqual(all);
    expect(commands.filter((event) => event.commandName === "find").length).toBeGreaterThan(1);
  });

  it("reports an included time-series collection instead of skipping it silently", async (context) => {
    if (Number(deployment.version.split(".")[0]) < 5) return context.skip();
    await client.db(DB).createCollection("metrics", { timeseries: { timeField: "at" } });
    const { logger, lines } = capturingLogger();
    const listed = await source({ logger }).listCollections();
    expect(listed).toContain(`${DB}.docs`);
    expect(listed).not.toContain(`${DB}.metrics`);
    expect(lines.filter((line) => line.collection === `${DB}.metrics`).map((line) => line.level)).toEqual([40]);
  });
});

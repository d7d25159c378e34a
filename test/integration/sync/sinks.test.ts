import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import type { MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { silentLogger } from "../../../src/core/logger.js";
import { runSync } from "../../../src/runtime/sync-runner.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl, requireMongo } from "../../support/requirements.js";
import { useMongoClient, waitForInitialPosition } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

interface Delivery {
  readonly events: { op: string; ns: string; key?: { _id: string } }[];
}

/** An event as "op id", or "op ns" for a command (the implicit `create` 6.0+ reports carries no key). */
const described = (event: Delivery["events"][number]): string => `${event.op} ${event.key ? event.key._id : event.ns}`;
const isData = (line: string): boolean => !line.startsWith("create ");

describeWithMongo("sync: one stream into PostgreSQL, a webhook and a JSON-lines file", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  let url: string;
  let dir: string;
  let receiver: Server;
  let hookUrl: string;
  const deliveries: Delivery[] = [];
  let refuse = 0;

  beforeAll(async () => {
    client = mongo.client();
    await client.db("fanout").dropDatabase();
    url = await createDatabase(postgresUrl(), "sync_sinks");
    dir = await mkdtemp(join(tmpdir(), "tributary-sinks-"));
    receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        if (refuse > 0) {
          refuse -= 1;
          response.writeHead(503).end();
          return;
        }
        deliveries.push(JSON.parse(body) as Delivery);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
  });

  afterAll(async () => {
    await new Promise((done) => receiver?.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  function start(): { stop: () => Promise<unknown> } {
    const config = validateConfig({
      name: "fan",
      source: { uri: mongo.uri(), include: ["fanout.users"] },
      target: { url },
      sinks: [
        { name: "hook", use: "webhook", options: { url: hookUrl, retry: { initialDelayMs: 50, maxDelayMs: 200 } } },
        { name: "lines", use: "jsonl", options: { path: join(dir, "changes.jsonl") } },
      ],
      batch: { maxSize: 500, maxLatencyMs: 50 },
      checkpoint: { idleIntervalMs: 200 },
      retry: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    const controller = new AbortController();
    const done = runSync(config, silentLogger(), controller.signal, { baseDir: dir });
    done.catch(() => undefined);
    return { stop: () => (controller.abort(), done) };
  }

  const hookIds = (): string[] => deliveries.flatMap((delivery) => delivery.events.map(described));
  const lineIds = async (): Promise<string[]> =>
    (await readFile(join(dir, "changes.jsonl"), "utf8").catch(() => ""))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Delivery["events"][number])
      .map(described);

  it("delivers every change to every sink, each resuming from its own position", async () => {
    let sync = start();
    await waitForInitialPosition(url, "fan");
    const users = client.db("fanout").collection<{ _id: string; name: string }>("users");
    await users.insertMany([{ _id: "ann", name: "Ann" }, { _id: "bob", name: "Bob" }]);
    await users.deleteOne({ _id: "bob" });
    await waitFor(async () => (await lineIds()).filter(isData).length === 3, "three lines");
    await waitFor(() => hookIds().filter(isData).length === 3, "three webhook events");
    await sync.stop();

    // The webhook refuses for a while: PostgreSQL and the file move on, the webhook catches up.
    refuse = 3;
    sync = start();
    await users.insertOne({ _id: "cy", name: "Cy" });
    await waitFor(async () => (await query(url, "SELECT _id FROM public.fanout_users WHERE _id = 'cy'")).length === 1, "cy in PostgreSQL");
    await waitFor(() => hookIds().filter(isData).length === 4, "the webhook to catch up");
    await sync.stop();

    // MongoDB 6.0+ (showExpandedEvents) reports the collection the first insert created.
    const created = Number.parseInt(requireMongo().version, 10) >= 6 ? ["create fanout.users"] : [];
    expect(hookIds()).toEqual([...created, "insert ann", "insert bob", "delete bob", "insert cy"]);
    expect(await lineIds()).toEqual([...created, "insert ann", "insert bob", "delete bob", "insert cy"]);
    expect((await query<{ _id: string }>(url, "SELECT _id FROM public.fanout_users ORDER BY _id")).map((row) => row._id)).toEqual(["ann", "cy"]);
    const positions = await query<{ pipeline: string }>(url, "SELECT pipeline FROM tributary.positions WHERE pipeline LIKE 'fan%' ORDER BY pipeline");
    expect(positions.map((row) => row.pipeline)).toEqual(["fan", "fan/hook", "fan/lines"]);
  });
});

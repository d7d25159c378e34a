import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromFlags } from "../../../src/cli/sync-options.js";
import { FileResumePointStore } from "../../../src/checkpoint/file-resume-point-store.js";
import { silentLogger } from "../../../src/core/logger.js";
import { buildPipelineSinks } from "../../../src/runtime/pipeline-sinks.js";
import { welcomeNewUsers, type NewUser } from "../../../examples/welcome-email.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

describe("examples/postgres-and-webhook.yml", () => {
  it("is a valid config whose sinks are PostgreSQL and the webhook", async () => {
    const config = await configFromFlags({ config: "examples/postgres-and-webhook.yml", to: postgresUrl() });
    const { sinks } = await buildPipelineSinks(config, silentLogger(), process.cwd());
    expect(sinks.map((sink) => [sink.name, sink.transactional])).toEqual([
      ["postgres", true],
      ["audit", false],
    ]);
    await Promise.all(sinks.map((sink) => sink.close()));
  });
});

describeWithMongo("examples/welcome-email.ts", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  let dir: string;

  beforeAll(async () => {
    client = mongo.client();
    await client.db("app").collection("users").drop().catch(() => undefined);
    dir = await mkdtemp(join(tmpdir(), "tributary-welcome-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("welcomes each new user once, including those who signed up while it was stopped", async () => {
    const sent: string[] = [];
    const run = () => {
      const controller = new AbortController();
      const done = welcomeNewUsers(mongo.uri(), {
        resumePoints: new FileResumePointStore(join(dir, "welcome.json")),
        signal: controller.signal,
        sendEmail: async (user: NewUser) => void sent.push(user.email),
      });
      return { stop: async () => (controller.abort(), await done) };
    };
    const users = client.db("app").collection<{ _id: string; email?: string }>("users");
    let running = run();
    await waitFor(async () => (await new FileResumePointStore(join(dir, "welcome.json")).load()) !== undefined, "the start to be fixed");
    await users.insertMany([{ _id: "u1", email: "ann@example.com" }, { _id: "u2" }]);
    await users.updateOne({ _id: "u1" }, { $set: { email: "ann@example.org" } });
    await waitFor(() => sent.length === 1, "one email");
    await running.stop();
    await users.insertOne({ _id: "u3", email: "bob@example.com" });
    running = run();
    await waitFor(() => sent.length === 2, "the second email");
    await running.stop();
    expect(sent).toEqual(["ann@example.com", "bob@example.com"]);
  });
});

import { afterAll, beforeAll, expect, it } from "vitest";
import { startStandaloneMongo, type MongoHandle } from "../../support/mongodb-server.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";

describeWithMongo("tributary CLI against a standalone mongod", () => {
  let standalone: MongoHandle;

  beforeAll(async () => {
    standalone = await startStandaloneMongo();
  });

  afterAll(async () => {
    await standalone?.stop();
  });

  it("says change streams need a replica set, in one line, exit code 1", async () => {
    const result = await runCli(["sync", "--from", standalone.uri, "--to", postgresUrl(), "--log-level", "silent"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^tributary: error: MongoDB at mongodb:\/\/\S+ is a standalone server; change streams need a replica set or a sharded cluster\. Start mongod with --replSet <name> and run rs\.initiate\(\) once \(a one-member replica set is enough\)\. \[TRIB_MONGO_NOT_REPLICA_SET\]\n$/,
    );
  });
});

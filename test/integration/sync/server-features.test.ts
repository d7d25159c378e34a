import { MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDeployment } from "../../../src/source/mongo-connection.js";
import { describeWithMongo, requireMongo } from "../../support/requirements.js";

describeWithMongo("server features: decided by the featureCompatibilityVersion too", () => {
  let client: MongoClient;

  beforeAll(async () => {
    client = new MongoClient(requireMongo().uri);
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
  });

  it("reads the FCV a fresh replica set runs at (its release's major.minor) and decides by it", async () => {
    const deployment = await describeDeployment(client, "test");
    const [major, minor] = deployment.version.split(".");
    expect(deployment.featureCompatibilityVersion).toBe(`${major}.${minor}`);
    expect(deployment.featureVersion).toBe(deployment.version);
    expect(deployment.supportsExpandedEvents).toBe(Number(major) >= 6);
  });
});

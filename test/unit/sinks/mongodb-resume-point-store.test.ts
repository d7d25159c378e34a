import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { MongoResumePointStore } from "../../../src/checkpoint/mongodb-resume-point-store.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { makePosition } from "../../../src/core/position.js";
import { tokenAt } from "../../support/events.js";

describe("MongoResumePointStore (without a server)", () => {
  it("describes where it keeps the position, without the password", async () => {
    const store = new MongoResumePointStore({ uri: "mongodb://app:s3cret@db:27017/?replicaSet=rs0", key: "default/copy" });
    expect(store.description).toBe('MongoDB collection tributary.positions at mongodb://app:***@db:27017/?replicaSet=rs0 (key "default/copy")');
    await store.close();
    const client = new MongoClient("mongodb://db:27017");
    const given = new MongoResumePointStore({ client, database: "ops", collection: "tokens", key: "p" });
    expect(given.description).toBe('MongoDB collection ops.tokens (key "p")');
    await given.close();
    await client.close();
  });

  it("needs a client or a connection string it can read", () => {
    expect(() => new MongoResumePointStore({ key: "p" })).toThrow(
      expect.objectContaining({ code: ErrorCode.ConfigInvalid, message: "A MongoDB resume point store needs a client or a connection string (uri)" }),
    );
    expect(() => new MongoResumePointStore({ uri: "http://app:s3cret@db", key: "p" })).toThrow(
      expect.objectContaining({ code: ErrorCode.ConfigInvalid, message: expect.stringMatching(/^Invalid MongoDB connection string http:\/\/app:\*\*\*@db for the resume point store: /) }),
    );
  });

  it("says it cannot read or save while the server is unreachable (TRIB_MONGO_UNREACHABLE: waited on, retried), and tries again each time", async () => {
    const store = new MongoResumePointStore({ uri: "mongodb://app:s3cret@127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=100", key: "p" });
    const where = 'MongoDB collection tributary.positions at mongodb://app:***@127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=100 (key "p")';
    try {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        await expect(store.load()).rejects.toMatchObject({ code: ErrorCode.MongoUnreachable, message: `Cannot read the resume point from ${where}: connect ECONNREFUSED 127.0.0.1:1` });
      }
      await expect(store.save(makePosition(tokenAt(1_700_000_000, 1)))).rejects.toMatchObject({
        code: ErrorCode.MongoUnreachable,
        message: `Cannot save the resume point to ${where}: connect ECONNREFUSED 127.0.0.1:1`,
      });
    } finally {
      await store.close();
    }
  });
});

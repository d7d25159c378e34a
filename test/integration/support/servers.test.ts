import { MongoClient } from "mongodb";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../support/postgres-server.js";
import { describeWithMongo, postgresUrl, requireMongo } from "../../support/requirements.js";

describe("test servers: PostgreSQL", () => {
  it("answers select 1", async () => {
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      const result = await client.query<{ one: number }>("select 1 as one");
      expect(result.rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it("is the PostgreSQL major version asked for (TRIBUTARY_TEST_POSTGRES_VERSION, default 17)", async () => {
    if (process.env.TRIBUTARY_TEST_POSTGRES_URL) return;
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      const result = await client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
      expect(Math.floor(Number(result.rows[0]?.version) / 10_000)).toBe(Number(process.env.TRIBUTARY_TEST_POSTGRES_VERSION ?? 17));
    } finally {
      await client.end();
    }
  });

  it("creates an isolated database per test file", async () => {
    const url = await createDatabase(postgresUrl(), "tributary_support_servers");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const result = await client.query<{ name: string }>("select current_database() as name");
      expect(result.rows).toEqual([{ name: "tributary_support_servers" }]);
    } finally {
      await client.end();
    }
  });
});

describeWithMongo("test servers: MongoDB", () => {
  it("runs a replica set that answers hello with its setName", async () => {
    const { uri } = requireMongo();
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 15_000 });
    await client.connect();
    try {
      const hello = await client.db("admin").command({ hello: 1 });
      expect(typeof hello.setName).toBe("string");
      expect(hello.setName).not.toBe("");
      expect(hello.isWritablePrimary).toBe(true);
    } finally {
      await client.close();
    }
  });
});

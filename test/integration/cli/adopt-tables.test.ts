import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mongoConnectorTableStatements } from "../../support/mongo-connector-tables.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";

const mappings = {
  blog: {
    posts: { pk: "id", _id: { dest: "id", type: "TEXT" }, title: { dest: "title", type: "TEXT" } },
  },
};

let url: string;
let mappingFile: string;

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "cli_adopt_tables");
  for (const statement of mongoConnectorTableStatements(mappings)) await query(url, statement);
  await query(url, "INSERT INTO posts (id, title) VALUES ('p1', 'kept')");
  mappingFile = join(await mkdtemp(join(tmpdir(), "tributary-adopt-")), "mappings.json");
  await writeFile(mappingFile, JSON.stringify(mappings));
});

describe("tributary sync on mongo-connector-postgresql's tables", () => {
  it("stops at start-up, before MongoDB is even reached, naming what the table lacks (exit 1)", async () => {
    const result = await runCli(["sync", "--from", "mongodb://127.0.0.1:1/?replicaSet=rs0", "--to", url, "--mapping", mappingFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("The existing tables of blog.posts cannot be written as they are. They lack what Tributary needs (public.posts: add column _extra, add column _cluster_time, add column _synced_at)");
    expect(result.stderr).toContain("[TRIB_TABLE_MISMATCH]");
    expect(result.stderr).not.toContain("connecting to MongoDB");
    expect(await query(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'posts' ORDER BY column_name")).toEqual([
      { column_name: "_creationdate" },
      { column_name: "id" },
      { column_name: "title" },
    ]);
  });
});

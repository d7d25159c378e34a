// The cutover of docs/migrating/mongo-connector-postgresql.md, run from the guide itself: its
// mappings.json, tributary.yml and SQL, its commands. The tables and rows are made exactly as
// mongo-connector-postgresql makes them (its _init_schema, then its dump's INSERTs and a delete
// that leaves the post's comments behind). Here, against real PostgreSQL: config check, and the
// guide's sync adopting the tables (it opens the target before it looks for MongoDB), with the
// rows then being what `tributary verify` expects of those documents. With a replica set: the
// whole cutover from oplog.timestamp, changes made while switching tools included.

import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Int32, ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import { guideCommand, guideFile, readGuide, writeGuideFiles, type Guide } from "../../support/guide-walkthrough.js";
import { mongoConnectorProgressFile } from "../../support/mongo-connector-progress-file.js";
import { mongoConnectorTableStatements } from "../../support/mongo-connector-tables.js";
import { createDatabase, dropDatabase, findFreePort } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { finished, runCli, startCli } from "../../support/run-cli.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

const guide: Guide = readGuide("mongo-connector-postgresql");
type Mappings = Record<string, Record<string, Record<string, unknown>>>;
const mappings = JSON.parse(guideFile(guide, "mappings.json")) as Mappings;

// Type aliases, not interfaces: assignable to Document without an index signature of their own.
type Comment = { author: string; text: string };
type Post = { _id: ObjectId; title: string; author: { name: string }; views: Int32 | string; comments: Comment[] };

const post = (hex: string, title: string, views: number | string, comments: Comment[]): Post => ({ _id: new ObjectId(hex), title, author: { name: "Ada" }, views: typeof views === "string" ? views : new Int32(views), comments });
const deleted = post("6560a1b2c3d4e5f601234560", "Gone", 1, [{ author: "Eve", text: "first!" }]);
const hello = post("6560a1b2c3d4e5f601234561", "Hello", 12, [{ author: "Bob", text: "Nice" }, { author: "Cy", text: "+1" }]);
const second = post("6560a1b2c3d4e5f601234562", "Second", 3, [{ author: "Dee", text: "Hm" }]);
// Its views are a string, which mongo-connector-postgresql let PostgreSQL cast (the guide's "$cast": "lenient" does the same).
const quiet = post("6560a1b2c3d4e5f601234564", "Untouched", "7", [{ author: "Fay", text: "Old" }]);

const sqlText = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The tables and rows mongo-connector-postgresql leaves: `_init_schema`'s tables, its dump's
 * INSERTs (sql_bulk_insert: columns sorted by name, `_creationDate` the ObjectId's time as Python
 * prints an aware datetime, a document's comments inserted before the next document, child rows'
 * `_creationDate` NULL since their pk is not mapped), then `remove` of `gone`, which deletes the
 * post's row and not its comments.
 */
async function leaveTablesAsMongoConnectorPostgresql(url: string, dumped: readonly Post[], gone: Post): Promise<void> {
  for (const statement of mongoConnectorTableStatements(mappings)) await query(url, statement);
  for (const doc of dumped) {
    const created = doc._id.getTimestamp().toISOString().replace("T", " ").replace(".000Z", "+00:00");
    for (const comment of doc.comments) {
      await query(url, `INSERT INTO comments (_creationDate,author,post_id,text) VALUES (NULL,${sqlText(comment.author)},${sqlText(doc._id.toHexString())},${sqlText(comment.text)})`);
    }
    await query(url, `INSERT INTO posts (_creationDate,author_name,id,title,views) VALUES (${sqlText(created)},'Ada',${sqlText(doc._id.toHexString())},${sqlText(doc.title)},${typeof doc.views === "string" ? sqlText(doc.views) : doc.views.value})`);
  }
  await query(url, `DELETE from posts WHERE id = '${gone._id.toHexString()}';`);
}

async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await query<{ column_name: string }>(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name", [table]);
  return rows.map((row) => row.column_name);
}

async function commentsOf(url: string, postId: ObjectId): Promise<{ author: string; text: string; _ordinal: number }[]> {
  return await query(url, "SELECT author, text, _ordinal FROM comments WHERE post_id = $1 ORDER BY _ordinal", [postId.toHexString()]);
}

describe("the mongo-connector-postgresql cutover against PostgreSQL", () => {
  let url: string;
  let dir: string;

  beforeAll(async () => {
    url = await createDatabase(postgresUrl(), "migrating_mcp_adopt");
    dir = await mkdtemp(join(tmpdir(), "tributary-mcp-adopt-"));
    await writeGuideFiles(guide, dir);
    await leaveTablesAsMongoConnectorPostgresql(url, [deleted, hello, second, quiet], deleted);
  });

  afterAll(async () => {
    await dropDatabase(postgresUrl(), "migrating_mcp_adopt");
  });

  it("the guide's tributary.yml and mappings.json pass config check", async () => {
    const env = { TRIBUTARY_MONGODB_URI: "mongodb://mongo1.internal:27017/?replicaSet=rs0", TRIBUTARY_POSTGRES_URL: url };
    const checked = await runCli(guideCommand(guide, "config check", env), env, dir);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain("adoptTables: true");
    expect(checked.stdout).toContain("mapping: mappings.json");
  });

  it("the guide's sync adopts the tables, keeping every row, so that they are what verify expects of the documents", async () => {
    // No MongoDB answers there: the sync opens the target (and adopts) first, then waits for MongoDB.
    const nobody = `mongodb://127.0.0.1:${await findFreePort()}/?replicaSet=rs0&serverSelectionTimeoutMS=200`;
    const env = { TRIBUTARY_MONGODB_URI: nobody, TRIBUTARY_POSTGRES_URL: url };
    const sync = startCli(guideCommand(guide, "sync", env), env, dir);
    const exited = finished(sync);
    let stderr = "";
    sync.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitFor(() => stderr.includes("adopted existing table public.comments") && stderr.includes("adopted existing table public.posts"), "both tables adopted", 60_000);
    } finally {
      sync.kill("SIGTERM");
    }
    await exited;
    expect(stderr).toMatch(/1 rows of public\.comments reference no row of public\.posts/);

    expect(await columnsOf(url, "posts")).toEqual(["_cluster_time", "_creationdate", "_extra", "_synced_at", "author_name", "id", "title", "views"]);
    expect(await columnsOf(url, "comments")).toEqual(["_creationdate", "_extra", "_ordinal", "_synced_at", "author", "id", "post_id", "text"]);
    const posts = await query<{ id: string; title: string; views: number; cluster: string }>(url, "SELECT id, title, views, _cluster_time::text AS cluster FROM posts ORDER BY id");
    expect(posts).toEqual([
      { id: hello._id.toHexString(), title: "Hello", views: 12, cluster: "1970-01-01 00:00:00+00" },
      { id: second._id.toHexString(), title: "Second", views: 3, cluster: "1970-01-01 00:00:00+00" },
      { id: quiet._id.toHexString(), title: "Untouched", views: 7, cluster: "1970-01-01 00:00:00+00" },
    ]);
    expect(await commentsOf(url, hello._id)).toEqual([
      { author: "Bob", text: "Nice", _ordinal: 0 },
      { author: "Cy", text: "+1", _ordinal: 1 },
    ]);
    const reference = await query<{ validated: boolean; cascade: string }>(url, "SELECT convalidated AS validated, confdeltype AS cascade FROM pg_constraint WHERE conrelid = 'public.comments'::regclass AND contype = 'f'");
    expect(reference).toEqual([{ validated: false, cascade: "c" }]);

    // What `tributary verify` compares: each document as Tributary would hold it, and each row as held.
    const sink = makeSink(url, { mapping: parseMapping("mappings.json", mappings, { defaultSchema: "public" }), pipeline: "blog" });
    await sink.open();
    try {
      const verifiable = sink.capabilities.verifiable;
      if (!verifiable) throw new Error("the PostgreSQL sink offers no verifiable capability");
      const expected = await verifiable.expected("blog.posts", [hello, second, quiet]);
      const held = await verifiable.heldKeys("blog.posts", expected.map((each) => each.key));
      const canonical = (fingerprints: readonly object[]): Record<string, string> =>
        Object.fromEntries(fingerprints.map((each) => [(each as { key: string }).key, (each as { canonical?: string; rejected?: string }).canonical ?? `rejected: ${(each as { rejected?: string }).rejected}`]));
      expect(canonical(held)).toEqual(canonical(expected));
    } finally {
      await sink.close();
    }

    await query(url, guideFile(guide, "delete-orphans.sql"));
    expect(await query(url, "SELECT post_id FROM comments WHERE post_id = $1", [deleted._id.toHexString()])).toEqual([]);
    expect(await query(url, "SELECT count(*)::int AS n FROM comments")).toEqual([{ n: 4 }]);
  });
});

describeWithMongo("the mongo-connector-postgresql cutover with a replica set, as the guide walks through it", () => {
  const mongo = useMongoClient();

  it("continues from oplog.timestamp into the adopted tables, changes made while switching included, and verify finds the copy equal", async () => {
    const url = await createDatabase(postgresUrl(), "migrating_mcp_cutover");
    const dir = await mkdtemp(join(tmpdir(), "tributary-mcp-cutover-"));
    await writeGuideFiles(guide, dir);
    const env = { TRIBUTARY_MONGODB_URI: mongo.uri(), TRIBUTARY_POSTGRES_URL: url };

    const client = mongo.client();
    await client.db("blog").dropDatabase();
    const posts = client.db("blog").collection<Post>("posts");
    // What mongo-connector copied and applied, up to the last entry its progress file names.
    const session = client.startSession();
    try {
      await posts.insertMany([deleted, hello, second, quiet], { session });
      await posts.deleteOne({ _id: deleted._id }, { session });
      const last = session.operationTime;
      if (!last) throw new Error("the replica set reported no operationTime");
      const replicaSet = await client.db("admin").command({ hello: 1 });
      await writeFile(join(dir, "oplog.timestamp"), mongoConnectorProgressFile(String(replicaSet.setName), String(replicaSet.me), last));
    } finally {
      await session.endSession();
    }
    await leaveTablesAsMongoConnectorPostgresql(url, [deleted, hello, second, quiet], deleted);
    // Changes made while switching tools: mongo-connector never applied them.
    await posts.updateOne({ _id: hello._id }, { $set: { views: new Int32(13) }, $push: { comments: { author: "Gus", text: "Late" } } });
    const third = post("6560a1b2c3d4e5f601234563", "Third", 0, [{ author: "Hal", text: "New" }]);
    await posts.insertOne(third);
    await posts.deleteOne({ _id: second._id });

    const imported = await runCli(guideCommand(guide, "positions import", env), env, dir);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("stored for pipeline 'blog' (postgres)");
    expect(imported.stderr).toContain("adopted existing table public.posts");

    const sync = startCli(guideCommand(guide, "sync", env), env, dir);
    const exited = finished(sync);
    try {
      await waitFor(async () => {
        const rows = await query<{ id: string; views: number }>(url, "SELECT id, views FROM posts ORDER BY id");
        return JSON.stringify(rows) === JSON.stringify([{ id: hello._id.toHexString(), views: 13 }, { id: third._id.toHexString(), views: 0 }, { id: quiet._id.toHexString(), views: 7 }]);
      }, "the changes made during the cutover in posts", 60_000);
      expect(await commentsOf(url, hello._id)).toEqual([
        { author: "Bob", text: "Nice", _ordinal: 0 },
        { author: "Cy", text: "+1", _ordinal: 1 },
        { author: "Gus", text: "Late", _ordinal: 2 },
      ]);
      expect(await commentsOf(url, second._id)).toEqual([]);
      expect(await commentsOf(url, third._id)).toEqual([{ author: "Hal", text: "New", _ordinal: 0 }]);

      const verified = await runCli(guideCommand(guide, "verify", env), env, dir);
      expect(verified.code, `${verified.stdout}\n${verified.stderr}`).toBe(0);
      expect(verified.stdout).toContain("blog.posts → postgres: equal — 3 document(s) in MongoDB, 3 in the copy");
    } finally {
      sync.kill("SIGTERM");
    }
    const stopped = await exited;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(await readFile(join(dir, "oplog.timestamp"), "utf8")).toMatch(/^\["Collection\(Database\(MongoClient\(host=\['.+'\], document_class=dict, tz_aware=False, connect=True, replicaset='.+'\), 'local'\), 'oplog\.rs'\)", \d+\]$/);
  });
});

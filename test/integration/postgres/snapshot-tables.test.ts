import pg from "pg";
import { BSON, Int32, Long } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makePosition } from "../../../src/core/position.js";
import { SnapshotTables, type ChunkProgress } from "../../../src/sinks/postgres/snapshot/snapshot-tables.js";
import { encodeIdBound } from "../../../src/codec/id-bound.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { createDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

let client: pg.Client;
const tables = new SnapshotTables("tributary", "fidelity");

beforeAll(async () => {
  client = new pg.Client({ connectionString: await createDatabase(postgresUrl(), "snapshot_tables") });
  await client.connect();
});

afterAll(async () => {
  await client.end();
});

beforeEach(async () => {
  await client.query("DROP SCHEMA IF EXISTS tributary CASCADE; CREATE SCHEMA tributary");
});

/** Records a chunk's progress as the snapshot target does: the statement in a transaction of its own. */
async function record(progress: ChunkProgress): Promise<void> {
  const statement = tables.recordChunkStatement(progress);
  await client.query("BEGIN");
  try {
    await client.query(statement.text, statement.values);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw tables.failedRecord(error, progress);
  }
}

const hex = (value: unknown): string => Buffer.from(BSON.serialize({ v: value })).toString("hex");

describe("the snapshot tables", () => {
  it("keep bounds as the values read and the start as its whole token", async () => {
    for (const statement of tables.createStatements()) await client.query(statement);
    const startedAt = makePosition(doubleIdToken());
    // A sub-document bound with fields in an order no Extended JSON round trip would keep ("b" before "a").
    const lower = { b: new Int32(1), a: Long.fromNumber(2) };
    await tables.start(client as unknown as pg.PoolClient, { namespace: "shop.orders", startedAt, estimated: 10, ranges: [{ upper: lower }, { lower }] });
    const state = (await tables.load(client as unknown as pg.PoolClient)).get("shop.orders");
    expect(hex(state?.ranges[1]?.range.lower)).toBe(hex(lower));
    expect(Object.keys(state?.ranges[0]?.range.upper as object)).toEqual(["b", "a"]);
    expect(Buffer.from(state?.startedAt.resumeToken._typeBits?.buffer ?? []).toString("hex")).toBe("40");
    const [stored] = (await client.query<{ upper: string }>("SELECT upper FROM tributary.snapshot_ranges WHERE range_no = 0")).rows;
    expect(stored?.upper).toMatch(/^bson:/);
  });

  it("read the rows of an older version: Extended JSON bounds, no whole start token", async () => {
    await client.query(`CREATE TABLE tributary.snapshots (pipeline text NOT NULL, namespace text NOT NULL, status text NOT NULL, started_token text NOT NULL,
      estimated bigint NOT NULL, started_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz, PRIMARY KEY (pipeline, namespace))`);
    for (const statement of tables.createStatements()) await client.query(statement);
    await client.query("INSERT INTO tributary.snapshots (pipeline, namespace, status, started_token, estimated) VALUES ('fidelity', 'shop.orders', 'copying', '8265A5F0E4000000012B022C0100296E5A1004', 3)");
    await client.query(
      `INSERT INTO tributary.snapshot_ranges (pipeline, namespace, range_no, lower, upper, resume_from, copied)
       VALUES ('fidelity', 'shop.orders', 0, NULL, '{"v":{"$numberInt":"50"}}', '{"v":{"$numberLong":"7"}}', 7)`,
    );
    const state = (await tables.load(client as unknown as pg.PoolClient)).get("shop.orders");
    expect(state?.startedAt.resumeToken).toEqual({ _data: "8265A5F0E4000000012B022C0100296E5A1004" });
    expect(state?.ranges[0]?.range.upper).toEqual(new Int32(50));
    expect(state?.ranges[0]?.resumeFrom).toEqual(Long.fromNumber(7));
  });

  it("never takes a chunk ending on an _id that is no bound for recorded: a lost COMMIT is redone", async () => {
    for (const statement of tables.createStatements()) await client.query(statement);
    const pool = client as unknown as pg.PoolClient;
    await tables.start(pool, { namespace: "shop.orders", startedAt: makePosition(doubleIdToken()), estimated: 10, ranges: [{}] });
    const noBound = encodeIdBound(undefined);
    const chunk = { namespace: "shop.orders", rangeNo: 0, startedToken: doubleIdToken()._data, first: encodeIdBound(new Int32(1)), last: noBound, documents: 2, done: false };
    await record(chunk);
    expect(await tables.isRecorded(pool, chunk)).toBe(false);
    const next = { ...chunk, first: encodeIdBound(new Int32(3)), last: encodeIdBound(new Int32(4)) };
    await record(next);
    expect(await tables.isRecorded(pool, next)).toBe(true);
    expect((await tables.load(pool)).get("shop.orders")?.ranges[0]?.copied).toBe(4);
  });

  it("refuse a chunk of a range not in progress, by the statement's own failure, and record nothing", async () => {
    for (const statement of tables.createStatements()) await client.query(statement);
    const pool = client as unknown as pg.PoolClient;
    await tables.start(pool, { namespace: "shop.orders", startedAt: makePosition(doubleIdToken()), estimated: 10, ranges: [{}] });
    const chunk = { namespace: "shop.orders", rangeNo: 0, startedToken: doubleIdToken()._data, first: encodeIdBound(new Int32(1)), last: encodeIdBound(new Int32(2)), documents: 2, done: false };
    // Another process started the snapshot again (another start token), or asked for a range that is not there.
    for (const stale of [{ ...chunk, startedToken: "8265A5F0E4000000012B022C0100296E5A1004" }, { ...chunk, rangeNo: 1 }]) {
      const refused = await record(stale).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TributaryError);
      expect((refused as TributaryError).code).toBe(ErrorCode.SnapshotFailed);
      expect((refused as Error).message).toContain(`has no range ${stale.rangeNo} in progress any more`);
    }
    expect((await tables.load(pool)).get("shop.orders")?.ranges[0]?.copied).toBe(0);
    // Any other failure is passed on as it is.
    const other = Object.assign(new Error("connection lost"), { code: "08006" });
    expect(tables.failedRecord(other, chunk)).toBe(other);
  });
});

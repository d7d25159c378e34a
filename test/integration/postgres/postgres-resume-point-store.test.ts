import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresResumePointStore } from "../../../src/sinks/postgres/postgres-resume-point-store.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { makePosition } from "../../../src/core/position.js";
import { tokenAt } from "../../support/events.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { createDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";
import { failure } from "../../support/async-helpers.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

let url: string;
const stores: PostgresResumePointStore[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "resume_point_store");
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS checkpoints CASCADE");
});

function store(key: string, schema?: string, at = url): PostgresResumePointStore {
  const created = new PostgresResumePointStore({ url: at, schema, key });
  stores.push(created);
  return created;
}

const p1 = makePosition(tokenAt(1_700_000_000, 1));
const p2 = makePosition(tokenAt(1_700_000_000, 2));
const p3 = makePosition(tokenAt(1_700_000_100, 1));

describe("PostgresResumePointStore", () => {
  it("creates its schema and table on first use and round-trips a position", async () => {
    const first = store("shop/audit");
    expect(await first.load()).toBeUndefined();
    await first.save(p1);
    await first.save(p2);

    const again = store("shop/audit");
    expect((await again.load())?.key).toBe(p2.key);
    expect(await query(url, "SELECT pipeline, position, resume_token, cluster_time FROM tributary.positions")).toEqual([
      { pipeline: "shop/audit", position: p2.key, resume_token: p2.resumeToken._data, cluster_time: new Date("2023-11-14T22:13:20.000Z") },
    ]);
  });

  it("keeps positions of different keys apart, in any schema", async () => {
    const audit = store("shop/audit", "checkpoints");
    const search = store("shop/search", "checkpoints");
    await audit.load();
    await search.load();
    await audit.save(p1);
    await search.save(p3);
    await audit.save(p2);

    expect((await store("shop/audit", "checkpoints").load())?.key).toBe(p2.key);
    expect((await store("shop/search", "checkpoints").load())?.key).toBe(p3.key);
    expect(await query(url, "SELECT pipeline, resume_token FROM checkpoints.positions ORDER BY pipeline")).toEqual([
      { pipeline: "shop/audit", resume_token: p2.resumeToken._data },
      { pipeline: "shop/search", resume_token: p3.resumeToken._data },
    ]);
  });

  it("refuses to save over a position another process moved (CheckpointMismatch)", async () => {
    const mine = store("shop/audit");
    const theirs = store("shop/audit");
    await mine.load();
    await mine.save(p1);
    expect((await theirs.load())?.key).toBe(p1.key);
    await mine.save(p2);

    const error = await failure(theirs.save(p3));
    expect(error.code).toBe(ErrorCode.CheckpointMismatch);
    expect(error.message).toBe(
      "The stored position of pipeline 'shop/audit' changed under this process: another process is running the same pipeline. Stop one of them, or give each its own --name.",
    );
    expect((await store("shop/audit").load())?.key).toBe(p2.key);
  });

  it("refuses the first save of a store that read nothing when another process saved meanwhile", async () => {
    const mine = store("shop/audit");
    const theirs = store("shop/audit");
    expect(await mine.load()).toBeUndefined();
    expect(await theirs.load()).toBeUndefined();
    await theirs.save(p1);
    expect((await failure(mine.save(p2))).code).toBe(ErrorCode.CheckpointMismatch);
  });

  it("saves without a load first, from what the table holds", async () => {
    await store("shop/audit").save(p1);
    await store("shop/audit").save(p2);
    expect((await store("shop/audit").load())?.key).toBe(p2.key);
  });

  it("keeps the whole resume token, _typeBits included", async () => {
    const position = makePosition(doubleIdToken());
    await store("shop/audit").save(position);
    const loaded = await store("shop/audit").load();
    expect(loaded?.key).toBe(position.key);
    expect(loaded?.resumeToken._typeBits?.sub_type).toBe(0);
    expect(Buffer.from(loaded?.resumeToken._typeBits?.buffer ?? []).toString("hex")).toBe("40");
  });

  it("reads the row of a table an older version created (no token column) and moves it on", async () => {
    await query(
      url,
      `CREATE SCHEMA tributary;
       CREATE TABLE tributary.positions (pipeline text PRIMARY KEY, position text NOT NULL, resume_token text NOT NULL,
         cluster_time timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await query(url, "INSERT INTO tributary.positions (pipeline, position, resume_token, cluster_time) VALUES ($1, $2, $3, $4)", ["shop/audit", p1.key, p1.resumeToken._data, new Date(0)]);
    const old = store("shop/audit");
    expect((await old.load())?.resumeToken).toEqual({ _data: p1.resumeToken._data });
    const next = makePosition(doubleIdToken());
    await old.save(next);
    expect(Buffer.from((await store("shop/audit").load())?.resumeToken._typeBits?.buffer ?? []).toString("hex")).toBe("40");
  });

  it("describes where it keeps the position without the password", () => {
    const described = store("shop/audit", "checkpoints", "postgresql://sync:s3cret@db.example.com:5433/analytics?sslmode=require");
    expect(described.description).toBe("PostgreSQL db.example.com:5433/analytics table checkpoints.positions key shop/audit");
  });

  it("reports an unreachable server as PostgresUnreachable, and can be closed after", async () => {
    const unreachable = store("shop/audit", undefined, "postgresql://sync:s3cret@127.0.0.1:1/analytics");
    const error = await failure(unreachable.load());
    expect(error.code).toBe(ErrorCode.PostgresUnreachable);
    expect(error.message).toBe("Cannot connect to PostgreSQL at 127.0.0.1:1/analytics: connect ECONNREFUSED 127.0.0.1:1");
    expect((await failure(unreachable.save(p1))).code).toBe(ErrorCode.PostgresUnreachable);
  });

  it("reports wrong credentials as PostgresAuthFailed without the password", async () => {
    const target = new URL(url);
    target.password = "not-the-password";
    const error = await failure(store("shop/audit", undefined, target.toString()).load());
    expect(error.code).toBe(ErrorCode.PostgresAuthFailed);
    expect(error.message).toBe(`PostgreSQL at ${target.host}/resume_point_store rejected the credentials: password authentication failed for user "${target.username}"`);
  });
});

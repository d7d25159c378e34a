import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckpointTable } from "../../../src/sinks/postgres/checkpoint-table.js";
import { DeadLetterTable } from "../../../src/sinks/postgres/dead-letters.js";
import { SnapshotTables } from "../../../src/sinks/postgres/snapshot/snapshot-tables.js";
import { slowLibcCollation, type DatabaseCollation } from "../../../src/sinks/postgres/target-probe.js";
import { runCli } from "../../support/run-cli.js";
import { createDatabase, dropDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";

const FILLED = "tributary_status_filled";
const EMPTY = "tributary_status_empty";
let filled: string;
let empty: string;

beforeAll(async () => {
  filled = await createDatabase(postgresUrl(), FILLED);
  empty = await createDatabase(postgresUrl(), EMPTY);
  const client = new pg.Client({ connectionString: filled });
  await client.connect();
  try {
    // The tables exactly as the PostgreSQL sink creates them, with rows as a sync leaves them.
    await client.query("CREATE SCHEMA tributary");
    await client.query(new CheckpointTable("tributary", "default").createStatement());
    for (const statement of new SnapshotTables("tributary", "default").createStatements()) await client.query(statement);
    await client.query(new DeadLetterTable("tributary", "default").createStatement());
    await client.query(
      `INSERT INTO tributary.positions (pipeline, position, resume_token, cluster_time, updated_at) VALUES
        ('default', 'p1', 't1', '2026-11-30T10:00:00Z', '2026-11-30T10:00:01Z'), ('default/audit', 'p2', 't2', '2026-11-30T09:59:00Z', '2026-11-30T09:59:01Z')`,
    );
    await client.query(
      `INSERT INTO tributary.snapshots (pipeline, namespace, status, started_token, estimated, started_at, finished_at) VALUES
        ('default', 'shop.customers', 'done', 'x', 88120, '2026-11-30T09:00:00Z', '2026-11-30T09:00:03Z'), ('default', 'shop.orders', 'copying', 'x', 1000000, '2026-11-30T09:00:00Z', NULL)`,
    );
    await client.query(
      `INSERT INTO tributary.snapshot_ranges (pipeline, namespace, range_no, copied, done) VALUES
        ('default', 'shop.customers', 0, 88120, true), ('default', 'shop.orders', 0, 250000, true), ('default', 'shop.orders', 1, 162003, false)`,
    );
    await client.query(
      `INSERT INTO tributary.dead_letters (pipeline, namespace, key, field, reason, cluster_time, created_at) VALUES
        ('default', 'shop.orders', '1', 'total', 'not a number', now(), '2026-11-30T10:00:00Z'), ('default', 'shop.orders', '2', 'total', 'too large for numeric(10,2)', now(), '2026-11-30T10:00:05Z')`,
    );
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  await dropDatabase(postgresUrl(), FILLED);
  await dropDatabase(postgresUrl(), EMPTY);
});

describe("tributary status", () => {
  it("shows each pipeline's positions, snapshot state and dead letters, password redacted", async () => {
    const result = await runCli(["status", "--to", filled]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^PostgreSQL postgres(ql)?:\/\/postgres:\*\*\*@.+, schema tributary$/);
    expect(result.stdout).toContain("pipeline default\n");
    expect(result.stdout).toMatch(/ {2}position {2}postgres: 2026-11-30T10:00:00\.000Z \(\d+ (s|min|h) behind now\), saved 2026-11-30T10:00:01\.000Z\n/);
    expect(result.stdout).toContain("  position  audit: 2026-11-30T09:59:00.000Z");
    expect(result.stdout).toContain("  snapshot  shop.customers: done, 88,120 of about 88,120\n");
    expect(result.stdout).toContain("  snapshot  shop.orders: copying, 412,003 of about 1,000,000 (41%)\n");
    expect(result.stdout).toContain("  dead letters: 2\n    shop.orders: 2, latest 2026-11-30T10:00:05.000Z: too large for numeric(10,2)\n");
    const json = await runCli(["status", "--to", filled, "--json", "--name", "default"]);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as { positions: unknown[]; snapshots: unknown[]; deadLetters: unknown[]; where: string };
    expect(status.positions).toHaveLength(2);
    expect(status.snapshots).toEqual(expect.arrayContaining([expect.objectContaining({ namespace: "shop.orders", copied: 412003, estimated: 1000000, status: "copying" })]));
    expect(status.deadLetters).toEqual([expect.objectContaining({ namespace: "shop.orders", count: 2 })]);
    expect(status.where).toContain(":***@");
    const other = await runCli(["status", "--to", filled, "--name", "other"]);
    expect(other.stdout).toContain("no pipeline has run against this target yet");
  });

  it("reads a target nothing ran against without creating anything", async () => {
    const result = await runCli(["status", "--to", empty]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("no pipeline has run against this target yet");
    const client = new pg.Client({ connectionString: empty });
    await client.connect();
    try {
      expect((await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'tributary'")).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });

  it("checks the URL before connecting, and needs one", async () => {
    const missing = await runCli(["status"]);
    expect(missing).toMatchObject({ code: 2, stderr: "tributary: error: Invalid configuration: target.url is required (set it with --to, TRIBUTARY_POSTGRES_URL or in a --config file) [TRIB_CONFIG_INVALID]\n" });
    const bad = await runCli(["status", "--to", "postgres://u:pw@h:99999/db"]);
    expect(bad).toMatchObject({ code: 2, stderr: "tributary: error: Invalid configuration: target.url: postgres://u:***@h:99999/db has port 99999; a port is between 1 and 65535 [TRIB_CONFIG_INVALID]\n" });
  });
});

describe("tributary dead-letters", () => {
  it("lists them, the oldest first, filtered by collection and age", async () => {
    const text = await runCli(["dead-letters", "list", "--to", filled]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      "2026-11-30T10:00:00.000Z  default  shop.orders  _id 1  field total: not a number\n2026-11-30T10:00:05.000Z  default  shop.orders  _id 2  field total: too large for numeric(10,2)\n",
    );
    const json = JSON.parse((await runCli(["dead-letters", "list", "--to", filled, "--json", "--limit", "1"])).stdout) as { key: string }[];
    expect(json.map((row) => row.key)).toEqual(["1"]);
    expect((await runCli(["dead-letters", "list", "--to", filled, "--collection", "shop.other"])).stdout).toBe("no dead letters\n");
    expect((await runCli(["dead-letters", "list", "--to", filled, "--older-than", "100000d"])).stdout).toBe("no dead letters\n");
    expect((await runCli(["dead-letters", "list", "--to", empty])).stdout).toBe("no dead letters\n");
    const badAge = await runCli(["dead-letters", "list", "--to", filled, "--older-than", "soon"]);
    expect(badAge).toMatchObject({ code: 2, stderr: 'tributary: error: --older-than must be a number and a unit (s, m, h or d), such as 30m or 7d, not "soon" [TRIB_CONFIG_INVALID]\n' });
  });

  it("purges only with --yes, and only what the filters select", async () => {
    const unconfirmed = await runCli(["dead-letters", "purge", "--to", filled]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("add --yes to confirm");
    expect((await runCli(["dead-letters", "purge", "--to", filled, "--older-than", "100000d", "--yes"])).stdout).toBe("0 dead letters deleted\n");
    expect((await runCli(["dead-letters", "purge", "--to", filled, "--collection", "shop.orders", "--yes"])).stdout).toBe("2 dead letters deleted\n");
    expect((await runCli(["dead-letters", "list", "--to", filled])).stdout).toBe("no dead letters\n");
  });
});

describe("tributary config check --connect", () => {
  it("checks PostgreSQL's version, user, the right to create the schemas and the database's collation, and reports an unreachable MongoDB, writing nothing", async () => {
    const result = await runCli(["config", "check", "--to", empty, "--from", "mongodb://app:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=300", "--connect"]);
    expect(result.code).toBe(1);
    const checks = result.stderr.split("\n").filter((line) => line.startsWith("tributary: check:"));
    expect(checks[0]).toMatch(/^tributary: check: ok {3}PostgreSQL postgres(ql)?:\/\/postgres:\*\*\*@.+: version \d+\.\d+, user postgres, database tributary_status_empty$/);
    expect(checks).toContain("tributary: check: ok   PostgreSQL: schema public exists; may create tables in it");
    expect(checks).toContain("tributary: check: ok   PostgreSQL: schema tributary does not exist; may create it");
    // The test cluster's collation is the machine's (C.UTF-8 on CI): a warning only for a collation
    // slowLibcCollation flags (test/integration/postgres/target-probe.test.ts reads each kind).
    const [, status, name, provider] = /^tributary: check: (ok|warn) +PostgreSQL: database collation (\S+) \((\w+)\)/.exec(checks[3] ?? "") ?? [];
    expect(provider).toMatch(/^(libc|icu|builtin)$/);
    expect(status).toBe(slowLibcCollation({ provider: provider as DatabaseCollation["provider"], name: name ?? "" }) ? "warn" : "ok");
    expect(checks[4]).toMatch(/^tributary: check: fail MongoDB: Cannot reach MongoDB at mongodb:\/\/app:\*\*\*@127\.0\.0\.1:1\//);
    expect(result.stderr).toMatch(/\ntributary: error: Cannot reach MongoDB at .+ \[TRIB_MONGO_UNREACHABLE\]\n$/);
    expect(result.stderr).not.toContain("s3cret");
    const client = new pg.Client({ connectionString: empty });
    await client.connect();
    try {
      expect((await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'tributary'")).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});

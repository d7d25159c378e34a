import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterTable } from "../../../src/sinks/postgres/dead-letters.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { createDatabase, dropDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";
import { runCli } from "../../support/run-cli.js";

const DATABASE = "tributary_dead_letters_retry";
// Parsed, never reached: the preview and the usage errors connect to no MongoDB.
const UNREACHABLE = "mongodb://app:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=300";
let url: string;

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), DATABASE);
  await query(url, "CREATE SCHEMA tributary");
  await query(url, new DeadLetterTable("tributary", "default").createStatement());
  await query(
    url,
    `INSERT INTO tributary.dead_letters (pipeline, namespace, key, field, reason, cluster_time, created_at) VALUES
      ('default', 'shop.orders', '1', 'total', 'not a number', now(), now()), ('default', 'shop.orders', '1', 'total', 'not a number', now(), now()),
      ('default', 'shop.users', '"ann"', 'age', 'not a number', now(), now()), ('other', 'shop.orders', '2', 'total', 'not a number', now(), now())`,
  );
});

afterAll(async () => {
  await dropDatabase(postgresUrl(), DATABASE);
});

async function deadLetters(): Promise<number> {
  return (await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM tributary.dead_letters"))[0]!.n;
}

describe("tributary dead-letters retry", () => {
  it("without --yes says what it would retry, of this pipeline only, and changes nothing", async () => {
    const all = await runCli(["dead-letters", "retry", "--from", UNREACHABLE, "--to", url]);
    expect(all).toMatchObject({ code: 0, stdout: "3 dead letter(s) (shop.orders: 1, shop.users: 1 document(s)) would be retried from MongoDB as they are now; add --yes to retry them\n" });
    const filtered = await runCli(["dead-letters", "retry", "--from", UNREACHABLE, "--to", url, "--collection", "shop.orders", "--name", "other"]);
    expect(filtered.stdout).toBe("1 dead letter(s) (shop.orders: 1 document(s)) would be retried from MongoDB as they are now; add --yes to retry them\n");
    expect((await runCli(["dead-letters", "retry", "--from", UNREACHABLE, "--to", url, "--older-than", "1d"])).stdout).toBe("no dead letters to retry\n");
    expect(await deadLetters()).toBe(4);
  });

  it("with --yes and MongoDB out of reach fails (exit 1) before touching the target", async () => {
    const result = await runCli(["dead-letters", "retry", "--from", UNREACHABLE, "--to", url, "--yes", "--log-level", "silent"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tributary: error: Cannot reach MongoDB at mongodb:\/\/app:\*\*\*@127\.0\.0\.1:1\/.* \[TRIB_MONGO_UNREACHABLE\]\n$/);
    expect(result.stderr).not.toContain("s3cret");
    expect(await deadLetters()).toBe(4);
    // The sink was never opened: it would have created its positions table.
    expect(await query(url, "SELECT to_regclass('tributary.positions') AS t")).toEqual([{ t: null }]);
  });

  it("refuses bad input (exit 2) before connecting", async () => {
    const noSource = await runCli(["dead-letters", "retry", "--to", url]);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toContain("source.uri");
    const badAge = await runCli(["dead-letters", "retry", "--from", UNREACHABLE, "--to", url, "--older-than", "soon"]);
    expect(badAge).toMatchObject({ code: 2, stderr: 'tributary: error: --older-than must be a number and a unit (s, m, h or d), such as 30m or 7d, not "soon" [TRIB_CONFIG_INVALID]\n' });
    const badUri = await runCli(["dead-letters", "retry", "--from", "mongodb://", "--to", url, "--yes"]);
    expect(badUri.code).toBe(2);
    expect(badUri.stderr).toContain("Invalid MongoDB connection string");
    expect(await deadLetters()).toBe(4);
  });
});

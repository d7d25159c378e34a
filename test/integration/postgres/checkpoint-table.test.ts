// The position's advance as a batch sends it in one round trip (CheckpointTable.advanceOrFailStatement):
// a statement that fails by itself when the stored position is not the one expected. It must
// refuse every time, with the plan PostgreSQL caches for a prepared statement too, and when two
// processes advance the same pipeline at once.

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { makePosition, type Position } from "../../../src/core/position.js";
import { CheckpointTable } from "../../../src/sinks/postgres/checkpoint-table.js";
import { StatementQueue } from "../../../src/sinks/postgres/statement-queue.js";
import { failure } from "../../support/async-helpers.js";
import { tokenAt } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const clients: pg.Client[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "checkpoint_table");
  await query(url, "CREATE SCHEMA IF NOT EXISTS tributary");
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end()));
});

async function connect(settings = ""): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  if (settings) await client.query(settings);
  return client;
}

const positions = Array.from({ length: 12 }, (_, i) => makePosition(tokenAt(1_700_000_000 + i, 1)));

/**
 * `table`'s advance from `expected` to `next`, prepared and sent in one round trip as a small batch
 * sends it, one transaction; when `commit` is false, after a BEGIN, in a transaction left open.
 */
async function advance(client: pg.ClientBase, table: CheckpointTable, expected: Position | undefined, next: Position, commit = true): Promise<void> {
  const statements = new StatementQueue();
  if (!commit) statements.add("BEGIN");
  const { text, values } = table.advanceOrFailStatement(expected, next);
  statements.add(text, values);
  try {
    await statements.send(client);
  } catch (error) {
    await client.query("ROLLBACK");
    throw table.failedAdvance(error);
  }
}

async function stored(pipeline: string): Promise<string | undefined> {
  const rows = await query<{ position: string }>(url, "SELECT position FROM tributary.positions WHERE pipeline = $1", [pipeline]);
  return rows[0]?.position;
}

describe("the position's advance in a batch's round trip", () => {
  it.each(["auto", "force_generic_plan", "force_custom_plan"])("moves only from the stored position, with plan_cache_mode %s", async (mode) => {
    const table = new CheckpointTable("tributary", `pipeline-${mode}`);
    const client = await connect(`SET plan_cache_mode = ${mode}`);
    await client.query(table.createStatement());
    // A missing row is written; then more advances than PostgreSQL makes custom plans for (5) before it may cache a generic one.
    await advance(client, table, undefined, positions[0]!);
    for (let i = 1; i < 9; i += 1) await advance(client, table, positions[i - 1], positions[i]!);
    expect(await stored(`pipeline-${mode}`)).toBe(positions[8]!.key);

    // From a position that is not the stored one, or from none while one is stored: refused, the stored one kept.
    for (const expected of [positions[7], undefined, positions[9]]) {
      const error = await failure(advance(client, table, expected, positions[10]!));
      expect(error).toMatchObject({ code: ErrorCode.CheckpointMismatch });
    }
    expect(await stored(`pipeline-${mode}`)).toBe(positions[8]!.key);
    await advance(client, table, positions[8], positions[9]!);
    expect(await stored(`pipeline-${mode}`)).toBe(positions[9]!.key);
  });

  it("refuses the second of two processes that advance from the same position at once, and lets it through when the first rolls back", async () => {
    const table = new CheckpointTable("tributary", "raced");
    const [first, second] = [await connect(), await connect()];
    await first.query(table.createStatement());
    await advance(first, table, undefined, positions[0]!);

    // The first holds its advance uncommitted; the second waits on the row, then sees the first's position.
    await advance(first, table, positions[0], positions[1]!, false);
    const waiting = failure(advance(second, table, positions[0], positions[2]!));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await first.query("COMMIT");
    expect(await waiting).toMatchObject({ code: ErrorCode.CheckpointMismatch });
    expect(await stored("raced")).toBe(positions[1]!.key);

    // Rolled back instead, the first leaves the position the second expects.
    await advance(first, table, positions[1], positions[3]!, false);
    const through = advance(second, table, positions[1], positions[4]!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await first.query("ROLLBACK");
    await through;
    expect(await stored("raced")).toBe(positions[4]!.key);
  });
});

// The PostgreSQL sink behind a real PgBouncer in transaction mode (Debian's, 1.18: it does not
// keep prepared statements for its clients). A small batch's statements are prepared on the
// server connection its transaction landed on; the next transaction may land on another, where
// they are missing, and the sink must then send them with their literals written in, from then on.

import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { SnapshotChunk } from "../../../src/core/snapshot-contract.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import type { PostgresSnapshotTarget } from "../../../src/sinks/postgres/snapshot/postgres-snapshot-target.js";
import { snapshotEvents } from "../../../src/snapshot/snapshot-events.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent } from "../../support/events.js";
import { PGBOUNCER, startPgBouncer } from "../../support/pgbouncer.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

if (PGBOUNCER === undefined) {
  if (process.env.CI) throw new Error("pgbouncer is missing: .ci/run installs the Debian package pgbouncer, which the pooler test needs");
  console.warn("\n=== PgBouncer test SKIPPED: no pgbouncer (apt-get install pgbouncer, or set PGBOUNCER_PATH) ===\n");
}

const ORDERS = {
  shop: {
    orders: { pk: "id", _id: { dest: "id", type: "TEXT" }, total: { dest: "total", type: "INTEGER" }, items: { dest: "order_items", type: "_ARRAY", fk: "order_id" } },
    order_items: { pk: "row_id", sku: { dest: "sku", type: "TEXT" } },
  },
};

/** More changes than a batch queues (COPY_FROM_ROWS): such a batch goes by COPY, on a connection it keeps for its transaction. */
const LARGE = 300;

let url: string;

beforeAll(async () => {
  if (PGBOUNCER === undefined) return;
  url = await createDatabase(postgresUrl(), "sink_pgbouncer");
});

function order(id: string, total: number, skus: readonly string[]): ChangeEvent {
  return makeEvent({ op: "insert", ns: "shop.orders", id, doc: { _id: id, total, items: skus.map((sku) => ({ sku })) } });
}

/** The warnings that a pooler refused the idle-in-transaction guard, as `level: what they tell to set`. */
function guardWarnings(lines: readonly Record<string, unknown>[]): string[] {
  return lines
    .filter((line) => String(line.msg).includes("refused the startup parameter options"))
    .map((line) => `${line.level === 40 ? "warn" : String(line.level)}: ${/idle_transaction_timeout/.exec(String(line.msg))?.[0] ?? "?"}`);
}

async function apply(sink: PostgresSink, events: readonly ChangeEvent[]): Promise<void> {
  await sink.apply({ events, position: events.at(-1)!.position });
}

describe.skipIf(PGBOUNCER === undefined)("the PostgreSQL sink behind PgBouncer in transaction mode", () => {
  it.each(["mapping", "raw"] as const)("writes small and large batches exactly once when a transaction lands on a server connection without its prepared statements (%s)", async (mode) => {
    // A PgBouncer of its own, with two server connections: one held by another client's transaction, the sink's on the other.
    const bouncer = await startPgBouncer(url, 2);
    const holder = new pg.Client({ connectionString: bouncer.url });
    await holder.connect();
    const { logger, lines } = capturingLogger();
    const sink = makeSink(bouncer.url, { pipeline: `bouncer_${mode}`, schema: mode, logger, ...(mode === "mapping" ? { mapping: parseMapping("mappings.json", ORDERS, { defaultSchema: mode }) } : {}) });
    try {
      // Another client's transaction holds one server connection: the sink's setup, its tables and
      // its first small batches (prepared there) all land on the other.
      await holder.query("BEGIN");
      await holder.query("SELECT 1");
      await sink.open();
      await apply(sink, [order("a", 1, ["x"])]);
      await apply(sink, [order("b", 2, ["y", "z"]), makeEvent({ op: "replace", ns: "shop.orders", id: "a", doc: { _id: "a", total: 10, items: [{ sku: "x2" }] } })]);
      // Released last, the held connection is the one PgBouncer gives the sink's next transaction:
      // a Bind of statements it never prepared (the same as the batch before, which prepared them).
      await holder.query("COMMIT");
      await apply(sink, [order("c", 3, ["w", "u"]), order("f", 6, ["t"])]);
      // It did: both server connections last served the sink (PgBouncer sets each one's application_name to its client's).
      expect(await query(url, "SELECT count(*)::int AS servers FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tributary' AND pid <> pg_backend_pid()")).toEqual([{ servers: 2 }]);
      await apply(sink, [makeEvent({ op: "delete", ns: "shop.orders", id: "b" }), order("d", 4, [])]);
      // Many new documents by COPY (bulk load), then replaced through the staging table.
      const many = Array.from({ length: LARGE }, (_, index) => order(`m${index}`, index, [`s${index}`]));
      await apply(sink, many);
      const replaced = many.map((event, index) => makeEvent({ op: "replace", ns: "shop.orders", id: `m${index}`, doc: { _id: `m${index}`, total: 1000 + index, items: [] } }));
      await apply(sink, replaced);
      const positionOfLast = order("e", 5, ["v"]);
      await apply(sink, [positionOfLast]);

      const ids = ["a", "c", "d", "e", "f", ...many.map((_, index) => `m${index}`)].sort();
      if (mode === "mapping") {
        expect((await query<{ id: string }>(url, "SELECT id FROM mapping.orders ORDER BY id")).map((row) => row.id)).toEqual(ids);
        expect(await query(url, "SELECT id, total FROM mapping.orders WHERE id IN ('a', 'c', 'd', 'e', 'm7') ORDER BY id")).toEqual([
          { id: "a", total: 10 },
          { id: "c", total: 3 },
          { id: "d", total: 4 },
          { id: "e", total: 5 },
          { id: "m7", total: 1007 },
        ]);
        expect(await query(url, "SELECT order_id, sku FROM mapping.order_items ORDER BY order_id, sku")).toEqual([
          { order_id: "a", sku: "x2" },
          { order_id: "c", sku: "u" },
          { order_id: "c", sku: "w" },
          { order_id: "e", sku: "v" },
          { order_id: "f", sku: "t" },
        ]);
      } else {
        const rows = await query<{ _id: string; total: number }>(url, "SELECT _id, (doc->>'total')::int AS total FROM raw.shop_orders ORDER BY _id");
        expect(rows.map((row) => row._id)).toEqual(ids);
        expect(rows.find((row) => row._id === "a")?.total).toBe(10);
        expect(rows.find((row) => row._id === "m7")?.total).toBe(1007);
      }
      const last = (await query<{ position: string }>(url, "SELECT position FROM tributary.positions WHERE pipeline = $1", [`bouncer_${mode}`]))[0]?.position;
      expect(last).toContain(positionOfLast.position.resumeToken._data);
      // Told once that the sessions go without the server-side idle-in-transaction timeout, and what to set instead.
      expect(guardWarnings(lines)).toEqual(["warn: idle_transaction_timeout"]);
    } finally {
      await sink.close();
      await holder.end();
      await bouncer.stop();
    }
  });

  it("reports the pooler's refusal of startup options that the connection string sets, rather than drop them", async () => {
    const bouncer = await startPgBouncer(url, 2);
    // In a libpq keyword/value string, whose `options` take the place of Tributary's own.
    const { hostname, port, pathname, username } = new URL(bouncer.url);
    const keywords = `host=${hostname} port=${port} dbname=${pathname.slice(1)} user=${decodeURIComponent(username)} options='-c statement_timeout=60000'`;
    const sink = makeSink(keywords, { pipeline: "bouncer_options" });
    try {
      await expect(sink.open()).rejects.toThrow(/unsupported startup parameter: options/);
    } finally {
      await sink.close();
      await bouncer.stop();
    }
  });

  it("copies a snapshot, each chunk with its progress, when a chunk's transaction lands on a server connection without the progress statement", async () => {
    const bouncer = await startPgBouncer(url, 2);
    const holder = new pg.Client({ connectionString: bouncer.url });
    await holder.connect();
    const { logger, lines } = capturingLogger();
    const sink = makeSink(bouncer.url, { pipeline: "bouncer_snapshot", schema: "snap", logger, mapping: parseMapping("mappings.json", ORDERS, { defaultSchema: "snap" }) });
    const startedAt = order("x", 0, []).position;
    const chunk = (from: number, last = false): SnapshotChunk => {
      const documents = last ? [] : Array.from({ length: LARGE }, (_, index) => ({ _id: `s${from + index}`, total: from + index, items: [{ sku: `k${from + index}` }] }));
      return { namespace: "shop.orders", rangeNo: 0, events: snapshotEvents("shop.orders", documents, startedAt), last, startedAt };
    };
    let target: PostgresSnapshotTarget | undefined;
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1");
      await sink.open();
      target = sink.snapshotTarget(1);
      await target.startSnapshot({ namespace: "shop.orders", startedAt, estimated: 2 * LARGE, ranges: [{}] });
      // The first chunk prepares its progress statement (with its BEGIN) where the sink's work lands.
      await target.writeChunk(chunk(0));
      await holder.query("COMMIT");
      await target.writeChunk(chunk(LARGE));
      await target.writeChunk(chunk(2 * LARGE, true));
      await target.finishSnapshot("shop.orders");
      expect(await query(url, "SELECT count(*)::int AS orders, sum(total)::int AS total FROM snap.orders")).toEqual([{ orders: 2 * LARGE, total: ((2 * LARGE - 1) * 2 * LARGE) / 2 }]);
      expect(await query(url, "SELECT count(*)::int AS items FROM snap.order_items")).toEqual([{ items: 2 * LARGE }]);
      expect(await query(url, "SELECT status FROM tributary.snapshots WHERE pipeline = 'bouncer_snapshot'")).toEqual([{ status: "done" }]);
      // Once, though the snapshot's pool is another: it started without the setting.
      expect(guardWarnings(lines)).toEqual(["warn: idle_transaction_timeout"]);
    } finally {
      await target?.close();
      await sink.close();
      await holder.end();
      await bouncer.stop();
    }
  });
});

import type pg from "pg";
import { redactSecrets } from "../../core/redact.js";
import { withOneOffClient } from "./one-off-client.js";
import { qualifiedName } from "./sql.js";
import { readSyncErrors, type SyncErrorRow } from "./sync-errors.js";

/** A stored position: the target's own (`pipeline`) or a listed sink's (`pipeline/sink`). */
export interface StoredPositionRow {
  readonly key: string;
  readonly clusterTime: Date;
  readonly updatedAt: Date;
}

/** One collection's snapshot state. */
export interface SnapshotRow {
  readonly pipeline: string;
  readonly namespace: string;
  readonly status: "copying" | "done";
  readonly estimated: number;
  readonly copied: number;
  readonly startedAt: Date;
  readonly finishedAt: Date | undefined;
}

/** Dead letters of one collection. */
export interface DeadLetterSummary {
  readonly pipeline: string;
  readonly namespace: string;
  readonly count: number;
  readonly latestAt: Date;
  readonly latestReason: string;
}

/** What Tributary keeps in a PostgreSQL target's checkpoint schema, as `tributary status` shows it. */
export interface TargetStatus {
  readonly where: string;
  readonly schema: string;
  readonly positions: readonly StoredPositionRow[];
  readonly snapshots: readonly SnapshotRow[];
  readonly deadLetters: readonly DeadLetterSummary[];
  /** The error each pipeline's sync last stopped on, resolved or not. */
  readonly lastErrors: readonly SyncErrorRow[];
}

/**
 * Reads the positions, snapshot state, dead letters and last errors a target holds, without writing
 * anything (a table that does not exist yet reads as empty).
 */
export async function readTargetStatus(url: string, schema: string): Promise<TargetStatus> {
  return withOneOffClient(url, "tributary status", (where) => `the status queries on schema ${schema} of ${where}`, async (client, where) => {
    const exists = async (table: string): Promise<boolean> =>
      (await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [qualifiedName(schema, table)])).rows[0]?.found === true;
    const positions = (await exists("positions"))
      ? (await client.query<{ key: string; cluster_time: Date; updated_at: Date }>(`SELECT pipeline AS key, cluster_time, updated_at FROM ${qualifiedName(schema, "positions")} ORDER BY pipeline`)).rows.map(
          (row) => ({ key: row.key, clusterTime: row.cluster_time, updatedAt: row.updated_at }),
        )
      : [];
    const snapshots = (await exists("snapshots")) && (await exists("snapshot_ranges")) ? await readSnapshots(client, schema) : [];
    const deadLetters = (await exists("dead_letters")) ? await readDeadLetters(client, schema) : [];
    return { where, schema, positions, snapshots, deadLetters, lastErrors: await readSyncErrors(client, schema) };
  });
}

async function readSnapshots(client: pg.Client, schema: string): Promise<SnapshotRow[]> {
  const { rows } = await client.query<{ pipeline: string; namespace: string; status: "copying" | "done"; estimated: string; copied: string | null; started_at: Date; finished_at: Date | null }>(
    `SELECT s.pipeline, s.namespace, s.status, s.estimated, (SELECT sum(r.copied) FROM ${qualifiedName(schema, "snapshot_ranges")} r WHERE r.pipeline = s.pipeline AND r.namespace = s.namespace) AS copied,
            s.started_at, s.finished_at
       FROM ${qualifiedName(schema, "snapshots")} s ORDER BY s.pipeline, s.namespace`,
  );
  return rows.map((row) => ({
    pipeline: row.pipeline,
    namespace: row.namespace,
    status: row.status,
    estimated: Number(row.estimated),
    copied: Number(row.copied ?? 0),
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
  }));
}

async function readDeadLetters(client: pg.Client, schema: string): Promise<DeadLetterSummary[]> {
  const { rows } = await client.query<{ pipeline: string; namespace: string; count: string; latest_at: Date; latest_reason: string }>(
    `SELECT pipeline, namespace, count(*) AS count, max(created_at) AS latest_at,
            (array_agg(reason ORDER BY created_at DESC, id DESC))[1] AS latest_reason
       FROM ${qualifiedName(schema, "dead_letters")} GROUP BY pipeline, namespace ORDER BY pipeline, namespace`,
  );
  return rows.map((row) => ({ pipeline: row.pipeline, namespace: row.namespace, count: Number(row.count), latestAt: row.latest_at, latestReason: redactSecrets(row.latest_reason) }));
}

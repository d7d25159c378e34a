import { MongoClient, type Document } from "mongodb";
import { afterAll, beforeAll, expect } from "vitest";
import { encodeDocument, type JsonValue } from "../../src/codec/document-codec.js";
import { keyText } from "../../src/codec/key-text.js";
import { validateConfig } from "../../src/config/load-config.js";
import type { TributaryConfigInput } from "../../src/config/config-schema.js";
import { silentLogger } from "../../src/core/logger.js";
import { runSync } from "../../src/runtime/sync-runner.js";
import type { PipelineStats } from "../../src/pipeline/pipeline-stats.js";
import { LOSSLESS_BSON_OPTIONS } from "../../src/source/mongo-connection.js";
import { query } from "./postgres-sink-fixture.js";
import { requireMongo } from "./requirements.js";
import { waitFor } from "./wait-for.js";

/** A sync running in this process. */
export interface RunningSync {
  /** Aborts like SIGINT does and resolves with what the run applied. */
  stop(): Promise<PipelineStats>;
  /** Settles when the run ends by itself (an error). */
  readonly done: Promise<PipelineStats>;
}

/**
 * Starts `runSync` with test-friendly defaults (short latency, fast idle commits, silent logs, and
 * no snapshot unless the test asks for one: most tests start from the current time).
 */
export function startSync(input: { source: TributaryConfigInput["source"]; target: TributaryConfigInput["target"] } & Partial<TributaryConfigInput>): RunningSync {
  const config = validateConfig({
    batch: { maxSize: 500, maxLatencyMs: 50 },
    checkpoint: { idleIntervalMs: 200 },
    retry: { initialDelayMs: 50, maxDelayMs: 500 },
    snapshot: { mode: "never" },
    ...input,
  });
  const controller = new AbortController();
  const done = runSync(config, silentLogger(), controller.signal);
  done.catch(() => undefined);
  return {
    done,
    async stop() {
      controller.abort();
      return done;
    },
  };
}

/** Every document of a collection as the target should hold it: key text → encoded document. */
export async function collectionState(client: MongoClient, db: string, coll: string): Promise<Map<string, JsonValue>> {
  const docs = await client.db(db).collection(coll).find({}, LOSSLESS_BSON_OPTIONS).toArray();
  return new Map(docs.map((doc: Document) => [keyText(doc._id), encodeDocument(doc)]));
}

/** Every row of a raw table: `_id` → `doc`; empty when the table does not exist yet. */
export async function tableState(url: string, table: string): Promise<Map<string, JsonValue>> {
  const [exists] = await query<{ t: string | null }>(url, "SELECT to_regclass($1) AS t", [table]);
  if (!exists?.t) return new Map();
  const rows = await query<{ _id: string; doc: JsonValue }>(url, `SELECT _id, doc FROM ${table}`);
  return new Map(rows.map((row) => [row._id, row.doc]));
}

/**
 * Waits until a table holds `count` rows. A sync creates a raw table with its first batch: until
 * then the count fails, and counts as none.
 */
export function waitForRowCount(url: string, table: string, count: number): Promise<true> {
  const rows = async (): Promise<number> => Number((await query<{ n: string }>(url, `SELECT count(*) AS n FROM ${table}`).catch(() => []))[0]?.n ?? 0);
  return waitFor(async () => (await rows()) === count, `${count} rows in ${table}`);
}

/** Waits until the table holds exactly the collection's documents, compared one by one. */
export async function waitForConvergence(client: MongoClient, url: string, ns: { db: string; coll: string }, table: string, timeoutMs = 60_000): Promise<number> {
  let difference = "";
  try {
    return await waitFor(
      async () => {
        const [expected, actual] = await Promise.all([collectionState(client, ns.db, ns.coll), tableState(url, table)]);
        difference = describeDifference(expected, actual);
        return difference === "" ? expected.size : undefined;
      },
      `${table} to equal ${ns.db}.${ns.coll}`,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${difference}`);
  }
}

function describeDifference(expected: Map<string, JsonValue>, actual: Map<string, JsonValue>): string {
  const missing = [...expected.keys()].filter((key) => !actual.has(key));
  const extra = [...actual.keys()].filter((key) => !expected.has(key));
  const changed = [...expected.keys()].filter((key) => actual.has(key) && JSON.stringify(sortKeys(actual.get(key))) !== JSON.stringify(sortKeys(expected.get(key))));
  if (missing.length + extra.length + changed.length === 0) return "";
  return `missing ${missing.length} (e.g. ${missing.slice(0, 3).join(", ")}), extra ${extra.length} (e.g. ${extra.slice(0, 3).join(", ")}), different ${changed.length} (e.g. ${changed.slice(0, 3).join(", ")})`;
}

/** jsonb does not keep key order; compare objects with sorted keys. */
function sortKeys(value: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item) ?? null);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys(value[key]) ?? null]));
}

/** The stored position key of a pipeline, or `undefined` before its first commit. */
export async function storedPosition(url: string, pipeline = "default"): Promise<string | undefined> {
  const rows = await query<{ position: string }>(url, "SELECT position FROM tributary.positions WHERE pipeline = $1", [pipeline]).catch(() => []);
  return rows[0]?.position;
}

/** Waits until a starting sync has stored its first position: from then on no change is missed. */
export function waitForInitialPosition(url: string, pipeline = "default"): Promise<string> {
  return waitFor(() => storedPosition(url, pipeline), "the initial position");
}

/**
 * A MongoDB client for the tests of one `describe` block (connected before them, closed after),
 * and the replica set's URI.
 */
export function useMongoClient(): { client: () => MongoClient; uri: () => string } {
  let client: MongoClient | undefined;
  let uri = "";
  beforeAll(async () => {
    uri = requireMongo().uri;
    client = new MongoClient(uri);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
  });
  return {
    client: () => client ?? expect.unreachable("MongoDB client used outside its describe block"),
    uri: () => uri,
  };
}

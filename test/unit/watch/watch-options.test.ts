import { Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { makePosition } from "../../../src/core/position.js";
import { resolveWatchOptions, type WatchOptions } from "../../../src/watch/watch-options.js";
import { watch } from "../../../src/watch/watch.js";
import { tokenAt } from "../../support/events.js";
import { MemoryStore } from "./scripted-feed.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

const START_AT_FORMS = `Invalid watch() options: startAt: must be "now", "oldest", a Date, a BSON Timestamp, a Position, a resume token ({ _data }), or one of these as text: an ISO time with its zone, "1700000000:5", a token's _data`;

function rejection(options: unknown): TributaryError {
  try {
    resolveWatchOptions(options as WatchOptions);
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error("expected the options to be rejected");
}

describe("resolveWatchOptions", () => {
  it("applies the defaults", () => {
    const resolved = resolveWatchOptions();
    expect({ ...resolved, logger: undefined }).toEqual({
      scope: { kind: "deployment" },
      include: [],
      exclude: [],
      operations: undefined,
      match: undefined,
      predicates: [],
      startAt: "now",
      resumePoints: undefined,
      saveEvery: { events: 100, ms: 1_000 },
      fullDocument: "updateLookup",
      fullDocumentBeforeChange: "off",
      batch: { size: 100, latencyMs: 200 },
      concurrency: 1,
      handlerRetry: { attempts: 1, backoff: { initialDelayMs: 500, maxDelayMs: 30_000 }, onExhausted: "stop", deadLetter: undefined },
      copy: undefined,
      values: { mode: "bson" },
      retry: { initialDelayMs: 500, maxDelayMs: 30_000 },
      maxAwaitTimeMs: 500,
      serverSelectionTimeoutMs: 10_000,
      logger: undefined,
      readAhead: { maxItems: 1_000, maxBytes: 16 * 1024 * 1024, sliceMs: 0.05 },
    });
    expect(resolved.logger.level).toBe("silent");
  });

  it("derives the scope from include when none is given, and takes an explicit one as it is", () => {
    expect(resolveWatchOptions({ include: ["app.users"] }).scope).toEqual({ kind: "collection", db: "app", coll: "users" });
    expect(resolveWatchOptions({ include: ["app.users", "app.orders"] }).scope).toEqual({ kind: "database", db: "app" });
    expect(resolveWatchOptions({ include: ["app.*"] }).scope).toEqual({ kind: "deployment" });
    expect(resolveWatchOptions({ scope: {} }).scope).toEqual({ kind: "deployment" });
    expect(resolveWatchOptions({ scope: { db: "app" }, include: ["app.users"] }).scope).toEqual({ kind: "database", db: "app" });
    expect(resolveWatchOptions({ scope: { db: "app", coll: "a.b" } }).scope).toEqual({ kind: "collection", db: "app", coll: "a.b" });
  });

  it("keeps the objects it is given: store, match, predicates, start", () => {
    const store = new MemoryStore();
    const match = { "fullDocument.status": "active" };
    const keep = (): boolean => true;
    const position = makePosition(tokenAt(1_700_000_000, 3));
    const resolved = resolveWatchOptions({ resumePoints: store, match, filter: keep, startAt: position });
    expect(resolved.resumePoints).toBe(store);
    expect(resolved.match).toBe(match);
    expect(resolved.predicates).toEqual([keep]);
    expect(resolved.startAt).toBe(position);
    expect(resolveWatchOptions({ filter: [keep, keep] }).predicates).toEqual([keep, keep]);
    const date = new Date("2024-05-01T00:00:00Z");
    expect(resolveWatchOptions({ startAt: date }).startAt).toBe(date);
    const time = new Timestamp({ t: 1_700_000_000, i: 4 });
    expect(resolveWatchOptions({ startAt: time }).startAt).toBe(time);
    expect(resolveWatchOptions({ startAt: "oldest" }).startAt).toBe("oldest");
  });

  it("takes a cutover's start point as another tool stored it: a bare resume token, or text as --start-at takes it", () => {
    const token = doubleIdToken();
    expect(resolveWatchOptions({ startAt: token }).startAt).toBe(token);
    expect(resolveWatchOptions({ startAt: token._data }).startAt).toEqual({ _data: token._data });
    expect(resolveWatchOptions({ startAt: "1700000000:5" }).startAt).toEqual(new Timestamp({ t: 1_700_000_000, i: 5 }));
    expect(resolveWatchOptions({ startAt: "2024-05-01T12:00:00Z" }).startAt).toEqual(new Date("2024-05-01T12:00:00Z"));
    // A file is the CLI's business: watch() reads none.
    expect(rejection({ startAt: "./oplog.timestamp" }).message).toBe(START_AT_FORMS);
    expect(rejection({ startAt: "2024-05-01T12:00:00" }).message).toBe(START_AT_FORMS);
  });

  it("fills partial groups with their defaults", () => {
    const resolved = resolveWatchOptions({ saveEvery: { events: 5 }, batch: { latencyMs: 50 }, retry: { maxDelayMs: 1_000 } });
    expect(resolved.saveEvery).toEqual({ events: 5, ms: 1_000 });
    expect(resolved.batch).toEqual({ size: 100, latencyMs: 50 });
    expect(resolved.retry).toEqual({ initialDelayMs: 500, maxDelayMs: 1_000 });
  });

  it("names every wrong option by its path", () => {
    const error = rejection({ operations: ["insert", "upsert"], batch: { size: 0 }, operation: ["insert"] });
    expect(error.code).toBe("TRIB_CONFIG_INVALID");
    expect(error.message).toBe(
      'Invalid watch() options: operations.1: Invalid option: expected one of "insert"|"update"|"replace"|"delete"|"drop"|"rename"|"dropDatabase"|"create"|"modify"|"createIndexes"|"dropIndexes"|"shardCollection"|"reshardCollection"|"refineCollectionShardKey"|"invalidate"; batch.size: Too small: expected number to be >=1; unknown option operation',
    );
    expect(error.context).toEqual({ configPath: "operations.1" });
  });

  it("explains the options that take objects", () => {
    expect(rejection({ startAt: "yesterday" }).message).toBe(START_AT_FORMS);
    expect(rejection({ startAt: new Date("nope") }).message).toBe(START_AT_FORMS);
    expect(rejection({ resumePoints: { load: () => undefined } }).message).toBe(
      "Invalid watch() options: resumePoints: must be a ResumePointStore (description, load(), save(position), close())",
    );
    expect(rejection({ match: [{ a: 1 }] }).message).toBe('Invalid watch() options: match: must be a query document such as { "fullDocument.status": "active" }');
    expect(rejection({ filter: "status == 'active'" }).message).toContain("filter");
    expect(rejection({ scope: { coll: "users" } }).message).toBe("Invalid watch() options: scope.coll: coll needs db: { db: 'app', coll: 'users' }");
    expect(rejection({ include: ["app users"] }).message).toBe("Invalid watch() options: include.0: must look like 'db', 'db.collection' or a glob such as 'app.*'");
    expect(rejection({ operations: [] }).message).toBe("Invalid watch() options: operations: list at least one operation, or leave operations out");
    expect(rejection({ retry: { initialDelayMs: 2_000, maxDelayMs: 1_000 } }).message).toBe("Invalid watch() options: retry.maxDelayMs: maxDelayMs must be at least initialDelayMs");
    expect(rejection({ fullDocument: "none" as never }).message).toContain("fullDocument");
  });

  it("takes the knobs of gtm and mongowatch: concurrency, fullDocument off, an initial copy, a handler retry policy", () => {
    const deadLetter = (): void => undefined;
    const resolved = resolveWatchOptions({
      concurrency: 8,
      fullDocument: "off",
      copy: { collections: ["app.users", "shop.*"] },
      handlerRetry: { attempts: 5, initialDelayMs: 10, maxDelayMs: 100, onExhausted: "dead-letter", deadLetter },
    });
    expect(resolved.concurrency).toBe(8);
    expect(resolved.fullDocument).toBe("off");
    expect(resolved.copy).toEqual({ collections: ["app.users", "shop.*"], parallelism: 4, chunkSize: 1_000 });
    expect(resolved.handlerRetry).toEqual({ attempts: 5, backoff: { initialDelayMs: 10, maxDelayMs: 100 }, onExhausted: "dead-letter", deadLetter });
  });

  it("explains a wrong knob", () => {
    expect(rejection({ largeLongs: "string" }).message).toBe('Invalid watch() options: largeLongs: largeLongs applies to values: "plain"');
    expect(rejection({ concurrency: 0 }).message).toBe("Invalid watch() options: concurrency: Too small: expected number to be >=1");
    expect(rejection({ handlerRetry: { onExhausted: "dead-letter" } }).message).toBe('Invalid watch() options: handlerRetry.deadLetter: onExhausted "dead-letter" needs a deadLetter function');
    expect(rejection({ handlerRetry: { initialDelayMs: 50, maxDelayMs: 10 } }).message).toBe("Invalid watch() options: handlerRetry.maxDelayMs: maxDelayMs must be at least initialDelayMs");
    expect(rejection({ include: ["app.users"], copy: { collections: ["app.orders"] } }).message).toBe(
      "Invalid watch() options: copy.collections.0: app.orders is not among the namespaces this watcher delivers (include/exclude)",
    );
    expect(rejection({ exclude: ["app.tmp"], copy: { collections: ["app.tmp"] } }).message).toContain("app.tmp is not among");
    expect(resolveWatchOptions({ include: ["app.*"], copy: { collections: ["app.users", "app.o*"] } }).copy?.collections).toEqual(["app.users", "app.o*"]);
    expect(rejection({ copy: { collections: [] } }).message).toBe("Invalid watch() options: copy.collections: list at least one collection to copy");
    expect(rejection({ copy: { collections: ["app.users"] }, operations: ["update"] }).message).toBe(
      'Invalid watch() options: operations: the copy delivers each document as an insert: list "insert" in operations, or leave operations out',
    );
  });
});

describe("watch()", () => {
  it("checks its arguments at once, before connecting", () => {
    expect(() => watch("", {})).toThrow("watch() needs a MongoDB connection string or a MongoClient as its first argument");
    expect(() => watch("mongodb://localhost:1/?replicaSet=rs0", { batch: { size: -1 } })).toThrow("Invalid watch() options: batch.size: Too small: expected number to be >=1");
  });

  it("does not connect until started", async () => {
    const watcher = watch("mongodb://127.0.0.1:1/?replicaSet=rs0", { serverSelectionTimeoutMs: 200 });
    expect(watcher.stats()).toMatchObject({ started: false, stopped: false, total: 0 });
    await watcher.stop();
    expect(watcher.stats()).toMatchObject({ started: false, stopped: true });
    await expect(watcher.start()).rejects.toThrow("This watcher has stopped; create a new one with watch()");
  });

  it("rejects start() with the connection error when the deployment cannot be reached", async () => {
    const watcher = watch("mongodb://user:secret@127.0.0.1:1/?replicaSet=rs0", { serverSelectionTimeoutMs: 200 });
    const stops: unknown[] = [];
    watcher.on("stop", (info) => stops.push(info.error?.code));
    const error = await watcher.start().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(TributaryError);
    expect((error as TributaryError).code).toBe("TRIB_MONGO_UNREACHABLE");
    expect((error as TributaryError).message).toMatch(/^Cannot reach MongoDB at mongodb:\/\/user:\*\*\*@127\.0\.0\.1:1\/\?replicaSet=rs0: /);
    expect(stops).toEqual(["TRIB_MONGO_UNREACHABLE"]);
    expect(watcher.stats()).toMatchObject({ started: true, stopped: true });
  });
});

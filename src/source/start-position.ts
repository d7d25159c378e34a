import { MongoNetworkError, MongoServerError, MongoServerSelectionError, Timestamp, type ClientSession, type Db, type Document } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { mapMongoError } from "./mongo-error-mapper.js";
import { MongoErrorCode } from "./mongo-error-codes.js";
import { redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import { LOSSLESS_BSON_OPTIONS, type MongoDeployment } from "./mongo-connection.js";
import { makePosition, type Position, type ResumeToken } from "../core/position.js";
import type { WatchScope } from "./watch-scope.js";
import { isPosition, type WatchStart } from "../core/position.js";

/**
 * Turns `startAt` into a position the stream continues after. For a time (`"now"`, a `Date`,
 * a `Timestamp`, `"oldest"`) the server is asked for the resume token of that moment: a change
 * stream opened there with a first batch of size 0 answers with its starting point as the
 * post-batch resume token, and closes again. Having a real position before the first event is
 * what makes the very first events redeliverable, and what lets `start()` resolve only once
 * every later change is sure to be delivered.
 */
export async function resolveStartPosition(deployment: MongoDeployment, scope: WatchScope, startAt: WatchStart): Promise<Position> {
  if (isPosition(startAt)) return startAt;
  if (startAt === "now") return startingPoint(deployment, scope, {});
  const time = startAt === "oldest" ? await oldestOplogTime(deployment) : startAt instanceof Date ? timestampOfDate(startAt) : startAt;
  return startingPoint(deployment, scope, { startAtOperationTime: time });
}

/**
 * The cluster time of a date, to the second. Oplog increments start at 1, so `(seconds, 1)`
 * includes every change of that second.
 */
export function timestampOfDate(date: Date): Timestamp {
  return new Timestamp({ t: Math.floor(date.getTime() / 1000), i: 1 });
}

/** The `aggregate` target and database of a change stream at this scope. */
export function changeStreamTarget(scope: WatchScope): { readonly database: string; readonly aggregate: string | 1; readonly clusterWide: boolean } {
  switch (scope.kind) {
    case "deployment":
      return { database: "admin", aggregate: 1, clusterWide: true };
    case "database":
      return { database: scope.db, aggregate: 1, clusterWide: false };
    case "collection":
      return { database: scope.db, aggregate: scope.coll, clusterWide: false };
  }
}

async function startingPoint(deployment: MongoDeployment, scope: WatchScope, start: Document): Promise<Position> {
  const target = changeStreamTarget(scope);
  const db = deployment.client.db(target.database);
  const stage: Document = target.clusterWide ? { allChangesForCluster: true, ...start } : { ...start };
  // One session for both commands: a cursor belongs to the session that opened it.
  const session = deployment.client.startSession();
  try {
    let reply: Document;
    try {
      // On the primary, whatever the connection string prefers (db.command's default, made
      // explicit): the snapshot's reads wait for this start there (docs/snapshot.md).
      const options = { ...LOSSLESS_BSON_OPTIONS, session, readPreference: "primary" } as const;
      reply = await db.command({ aggregate: target.aggregate, pipeline: [{ $changeStream: stage }], cursor: { batchSize: 0 } }, options);
    } catch (error) {
      throw mapMongoError(error, deployment.where);
    }
    const cursor = (reply.cursor ?? {}) as { id?: unknown; ns?: unknown; postBatchResumeToken?: ResumeToken };
    await killCursor(db, session, cursor.id, cursor.ns);
    const token = cursor.postBatchResumeToken;
    if (token === undefined || typeof token._data !== "string") {
      throw new TributaryError(
        ErrorCode.ChangeStreamFailed,
        `MongoDB at ${deployment.where} (version ${deployment.version}) did not report where a change stream starts (no postBatchResumeToken); watch() needs MongoDB 4.2 or later`,
      );
    }
    return makePosition(token);
  } finally {
    await session.endSession().catch(() => undefined);
  }
}

/** Closes the probe's cursor now rather than leaving it to the server's idle timeout. */
async function killCursor(db: Db, session: ClientSession, id: unknown, ns: unknown): Promise<void> {
  if (id === undefined || id === null || typeof ns !== "string" || String(id) === "0") return;
  const collection = ns.slice(ns.indexOf(".") + 1);
  await db.command({ killCursors: collection, cursors: [id] }, { session }).catch(() => undefined);
}

/** The time of the oldest entry of the oplog, for `startAt: "oldest"`. */
async function oldestOplogTime(deployment: MongoDeployment): Promise<Timestamp> {
  let first: Document | null;
  try {
    first = await deployment.client
      .db("local")
      .collection("oplog.rs")
      .find({}, { sort: { $natural: 1 }, limit: 1, projection: { ts: 1 }, ...LOSSLESS_BSON_OPTIONS })
      .next();
  } catch (error) {
    if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) throw mapMongoError(error, deployment.where);
    const unauthorized = error instanceof MongoServerError && error.code === MongoErrorCode.Unauthorized;
    throw oldestUnavailable(deployment, unauthorized ? ErrorCode.MongoUnauthorized : ErrorCode.ChangeStreamFailed, redactedMessage(error), error);
  }
  const ts: unknown = first?.ts;
  if (!(ts instanceof Timestamp)) throw oldestUnavailable(deployment, ErrorCode.ChangeStreamFailed, "local.oplog.rs holds no entry");
  return ts;
}

function oldestUnavailable(deployment: MongoDeployment, code: ErrorCode, detail: string, cause?: unknown): TributaryError {
  return new TributaryError(
    code,
    `startAt "oldest" reads the first entry of local.oplog.rs on ${deployment.where}, and that failed: ${detail}. ` +
      `It needs a connection to a replica set member (not mongos) as a user allowed to read the local database; or pass a Date or a Timestamp as startAt instead`,
    { cause, context: { configPath: "startAt" } },
  );
}

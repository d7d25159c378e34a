import { MongoNetworkError, MongoServerError, MongoServerSelectionError, Timestamp, type ClientSession, type Db, type Document } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { isHistoryLost, mapMongoError } from "./mongo-error-mapper.js";
import { MongoErrorCode } from "./mongo-error-codes.js";
import { redactedMessage } from "../core/redact.js";
import { isTributaryError, TributaryError } from "../core/tributary-error.js";
import type { SourceItem } from "../core/change-event.js";
import { LOSSLESS_BSON_OPTIONS, type MongoDeployment } from "./mongo-connection.js";
import { clusterTimeOfToken, isResumeToken, makePosition, type Position, type ResumeToken } from "../core/position.js";
import type { WatchScope } from "./watch-scope.js";
import { isPosition, isTimestamp, positionDate, type WatchStart } from "../core/position.js";
import { readOplogWindow } from "./oplog-window.js";

/**
 * Turns `startAt` into a position the stream continues after. For a time (`"now"`, a `Date`,
 * a `Timestamp`, `"oldest"`) the server is asked for the resume token of that moment: a change
 * stream opened there with a first batch of size 0 answers with its starting point as the
 * post-batch resume token, and closes again. Having a real position before the first event is
 * what makes the very first events redeliverable, and what lets `start()` resolve only once
 * every later change is sure to be delivered. (That token is a high-water mark at the given time,
 * which sorts before every event of that time, so they are all delivered: the server's
 * `DocumentSourceChangeStream` sets the initial post-batch token to
 * `ResumeToken::makeHighWaterMarkToken(startTime)`.) A position or a resume token is taken as it
 * is: the stream continues after it with `startAfter`, which the driver sends again on every
 * reopen until the first event (`ChangeStreamCursor.resumeOptions` in
 * node_modules/mongodb/src/cursor/change_stream_cursor.ts).
 *
 * A start point older than the oldest entry of the oplog is refused before anything is read,
 * naming both times; where the oplog cannot be read (mongos, no access to `local`), the server's
 * ChangeStreamHistoryLost (286) says the same, at open or at the first read.
 */
export async function resolveStartPosition(deployment: MongoDeployment, scope: WatchScope, startAt: WatchStart): Promise<Position> {
  if (isPosition(startAt) || isResumeToken(startAt)) {
    const position = isPosition(startAt) ? startAt : makePosition(startAt);
    const time = clusterTimeOfToken(position.resumeToken);
    if (time) await refuseBeforeOplog(deployment, time);
    return position;
  }
  if (startAt === "now") return startingPoint(deployment, scope, {});
  const time = startAt === "oldest" ? await oldestOplogTime(deployment) : startAt instanceof Date ? timestampOfDate(startAt) : startAt;
  if (startAt !== "oldest") await refuseBeforeOplog(deployment, time);
  return startingPoint(deployment, scope, { startAtOperationTime: time }, time);
}

/**
 * Refuses a start point before the first entry of the oplog (by its second: within that second,
 * the server's own check decides). Says nothing when the oplog cannot be read.
 */
async function refuseBeforeOplog(deployment: MongoDeployment, time: Timestamp): Promise<void> {
  const window = await readOplogWindow(deployment.client);
  if ("unavailable" in window || time.t >= window.oldestSeconds) return;
  throw startBeforeOplogError(deployment.where, time, window.oldestSeconds);
}

/**
 * The one message for a start point the oplog no longer reaches: the oldest time available
 * when it was read, else the server's ChangeStreamHistoryLost as the cause.
 */
export function startBeforeOplogError(where: string, start: Timestamp, oldestSeconds?: number, cause?: unknown): TributaryError {
  const startText = `${new Date(start.t * 1000).toISOString()} (Timestamp(${start.t}, ${start.i}))`;
  const oldest = oldestSeconds === undefined ? undefined : new Date(oldestSeconds * 1000).toISOString();
  const reach =
    oldest === undefined
      ? "is older than what the oplog of " + where + " still holds (the server reports ChangeStreamHistoryLost; the oplog could not be read here to say since when, as through mongos)"
      : `is older than the oldest change the oplog of ${where} still holds, ${oldest}`;
  return new TributaryError(
    ErrorCode.ChangeStreamHistoryLost,
    `The start point ${startText} ${reach}: the changes in between are gone, and starting there would lose them. ` +
      `Start at ${oldest ?? "a later time"} or later and copy the data again to cover the gap (--snapshot), or keep the old tool running until the new start point is inside the oplog.`,
    { cause, context: { configPath: "startAt" } },
  );
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

async function startingPoint(deployment: MongoDeployment, scope: WatchScope, start: Document, time?: Timestamp): Promise<Position> {
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
      throw time && isHistoryLost(error) ? startBeforeOplogError(deployment.where, time, undefined, error) : mapMongoError(error, deployment.where);
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

/**
 * The items of a stream that began at a start point the user chose: a "history lost" before
 * its first change (the server's 286, at the first read where the oplog could not be checked
 * beforehand, as through mongos) becomes the start point's own message.
 */
export async function* namingStartPoint(items: AsyncIterable<SourceItem>, where: string, startAt: WatchStart): AsyncGenerator<SourceItem> {
  const start = startPointTime(startAt);
  if (start === undefined) return yield* items;
  let started = false;
  try {
    for await (const item of items) {
      started ||= item.kind === "event";
      yield item;
    }
  } catch (error) {
    if (started || !isTributaryError(error) || error.code !== ErrorCode.ChangeStreamHistoryLost) throw error;
    throw startBeforeOplogError(where, start, undefined, error.cause ?? error);
  }
}

/** The cluster time a start point names, when it names one (`"now"` and `"oldest"` do not). */
export function startPointTime(start: WatchStart): Timestamp | undefined {
  if (start === "now" || start === "oldest") return undefined;
  if (start instanceof Date) return timestampOfDate(start);
  if (isPosition(start)) return clusterTimeOfToken(start.resumeToken);
  if (isResumeToken(start)) return clusterTimeOfToken(start);
  return start;
}

/** A start point for log lines: `now`, `oldest`, an ISO date, `Timestamp(t, i), <date>`, after a position or token. */
export function describeStartPoint(start: WatchStart): string {
  if (typeof start === "string") return start;
  if (start instanceof Date) return start.toISOString();
  if (isTimestamp(start)) return `Timestamp(${start.t}, ${start.i}), ${new Date(start.t * 1000).toISOString()}`;
  if (isPosition(start)) return `after the position at ${positionDate(start).toISOString()}`;
  return isResumeToken(start) ? `after the resume token ${start._data.slice(0, 26)}…` : "the given start point";
}

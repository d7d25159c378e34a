import { Timestamp, type Document, type MongoClient } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { clusterTimeOfToken, isResumeToken, type ResumeToken } from "../core/position.js";
import { redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";

/**
 * Where mongowatch would resume, read from its resume point collection. mongowatch
 * (`stream/change_steam_repo.go`, `ResumeRepository`) keeps each event it is about to handle as
 * `{ _id: <resume token>, timestamp: <cluster time>, operationType, … }` (saved before its
 * handlers run, the previous one deleted after), and resumes from the one with the highest
 * `timestamp`: with `startAtOperationTime: timestamp`, so that event is handled again, or after
 * its token when it is an `invalidate` (`stream/watcher.go`, `getWatchCursor`). The same here: a
 * `Timestamp` to start at, or the token to start after.
 */
export async function readMongowatchResumePoint(client: MongoClient, namespace: string, where: string): Promise<Timestamp | ResumeToken> {
  const [db, ...rest] = namespace.split(".");
  const coll = rest.join(".");
  let last: Document | null;
  try {
    last = await client.db(db).collection(coll).find({}, { sort: { timestamp: -1 }, limit: 1 }).next();
  } catch (error) {
    throw new TributaryError(ErrorCode.ResumePointUnreadable, `Cannot read mongowatch's resume points from ${namespace} at ${where}: ${redactedMessage(error)}`, { cause: error });
  }
  if (last === null) throw unreadable(`${namespace} at ${where} holds no resume point (mongowatch saves one per event it handles)`);
  const token = isResumeToken(last._id) ? last._id : undefined;
  if (token && last.operationType === "invalidate") return token;
  if (last.timestamp instanceof Timestamp) return last.timestamp;
  const time = token ? clusterTimeOfToken(token) : undefined;
  if (time) return time;
  throw unreadable(`the latest document of ${namespace} at ${where} has neither a timestamp nor a resume token as _id: it is not one of mongowatch's resume points`);
}

function unreadable(message: string): TributaryError {
  return new TributaryError(ErrorCode.ResumePointUnreadable, message);
}

import { MongoError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { redactedMessage } from "../core/redact.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { MongoErrorCode } from "./mongo-error-codes.js";
import type { ErrorKind } from "../core/retry.js";

/** Server error codes after which a change stream can be reopened from its last token. */
const RESUMABLE_CODES = new Set<number>([
  MongoErrorCode.HostUnreachable,
  MongoErrorCode.HostNotFound,
  MongoErrorCode.CursorNotFound,
  MongoErrorCode.StaleShardVersion,
  MongoErrorCode.NetworkTimeout,
  MongoErrorCode.ShutdownInProgress,
  MongoErrorCode.FailedToSatisfyReadPreference,
  MongoErrorCode.StaleEpoch,
  MongoErrorCode.PrimarySteppedDown,
  MongoErrorCode.RetryChangeStream,
  MongoErrorCode.ExceededTimeLimit,
  MongoErrorCode.SocketException,
  MongoErrorCode.NotWritablePrimary,
  MongoErrorCode.InterruptedAtShutdown,
  MongoErrorCode.InterruptedDueToReplStateChange,
  MongoErrorCode.StaleConfig,
  MongoErrorCode.NotPrimaryNoSecondaryOk,
  MongoErrorCode.NotPrimaryOrSecondary,
]);

/** Whether the oplog no longer holds the position the stream must resume from. */
export function isHistoryLost(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  return (
    error.code === MongoErrorCode.ChangeStreamHistoryLost ||
    error.codeName === "ChangeStreamHistoryLost" ||
    (error.code === MongoErrorCode.ChangeStreamFatalError && /no longer be in the oplog/i.test(error.message))
  );
}

/**
 * Whether the server did not find the event of a `startAfter`/`resumeAfter` token in the
 * stream: `ChangeStreamFatalError` "cannot resume stream; the resume token was not found"
 * (`DocumentSourceChangeStreamEnsureResumeTokenPresent` in the server), or 40585 from servers
 * before 4.2.
 */
export function isResumeTokenNotFound(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  const code = error.code === MongoErrorCode.ChangeStreamFatalError || error.code === MongoErrorCode.Location40585;
  return code && /resume token was not found/i.test(error.message);
}

/** Whether reopening the stream from its last token after a pause can succeed. */
export function isRetryableStreamError(error: unknown): boolean {
  if (isHistoryLost(error)) return false;
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  if (error instanceof MongoError) {
    if (error.hasErrorLabel("ResumableChangeStreamError") || error.hasErrorLabel("RetryableWriteError")) return true;
    if (error.name === "MongoPoolClearedError" || error.name === "MongoNetworkTimeoutError") return true;
    if (typeof error.code === "number" && RESUMABLE_CODES.has(error.code)) return true;
  }
  return false;
}

/**
 * What a change stream's (or a read's) error says about trying again: no server could be
 * selected (polled like any unreachable server: the core caps the wait so the stream resumes
 * within about a second of the deployment answering again), another transient fault (back off),
 * or for good.
 */
export function classifyStreamError(error: unknown): ErrorKind {
  if (!isRetryableStreamError(error)) return "permanent";
  return error instanceof MongoServerSelectionError ? "unreachable" : "transient";
}

/**
 * Turns a driver error into a `TributaryError` that says what happened in the user's terms
 * and what to do about it. `where` is the redacted address of the deployment.
 */
export function mapMongoError(error: unknown, where: string): TributaryError {
  if (error instanceof TributaryError) return error;
  const detail = redactedMessage(error);
  if (isHistoryLost(error)) {
    return new TributaryError(
      ErrorCode.ChangeStreamHistoryLost,
      `The change stream of ${where} cannot resume: the stored position is no longer in the oplog (the sync was stopped longer than the oplog window). ` +
        `Changes made since then cannot be streamed. To recover, delete the pipeline's stored position (its row in the target's tributary.positions table) and re-copy the data; ` +
        `to avoid this in future, enlarge the oplog (replSetResizeOplog) or keep the sync running.`,
      { cause: error },
    );
  }
  if (error instanceof MongoServerSelectionError || error instanceof MongoNetworkError) {
    return new TributaryError(ErrorCode.MongoUnreachable, `Cannot reach MongoDB at ${where}: ${detail}`, { cause: error });
  }
  if (error instanceof MongoServerError && error.code === MongoErrorCode.AuthenticationFailed) {
    return new TributaryError(ErrorCode.MongoAuthFailed, `MongoDB at ${where} rejected the credentials: check the user name, password and authSource in the connection string`, {
      cause: error,
    });
  }
  if (error instanceof MongoServerError && error.code === MongoErrorCode.Unauthorized) {
    return new TributaryError(
      ErrorCode.MongoUnauthorized,
      `MongoDB at ${where} refused an operation: ${detail}. The user needs the 'changeStream' and 'find' actions on what is watched`,
      { cause: error },
    );
  }
  if (error instanceof MongoServerError && error.code === MongoErrorCode.Location40573) {
    return notReplicaSetError(where, error);
  }
  return new TributaryError(ErrorCode.ChangeStreamFailed, `Change stream on ${where} failed: ${detail}`, { cause: error });
}

/** The error for a standalone `mongod`, which has no oplog and so no change streams. */
export function notReplicaSetError(where: string, cause?: unknown): TributaryError {
  return new TributaryError(
    ErrorCode.MongoNotReplicaSet,
    `MongoDB at ${where} is a standalone server; change streams need a replica set or a sharded cluster. ` +
      `Start mongod with --replSet <name> and run rs.initiate() once (a one-member replica set is enough).`,
    { cause },
  );
}

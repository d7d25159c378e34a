import { BSON, MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoServerSelectionError, MongoWriteConcernError, type Document } from "mongodb";
import { ErrorCode } from "../../core/error-codes.js";
import type { ErrorKind } from "../../core/retry.js";
import { isRetryableStreamError, mapMongoError } from "../../source/mongo-error-mapper.js";
import { MongoErrorCode } from "../../source/mongo-error-codes.js";
import { redactedMessage } from "../../core/redact.js";
import { TributaryError } from "../../core/tributary-error.js";

/**
 * The classifier of the `mongodb` sink's writes, by error types, codes and labels: `unreachable`
 * while no server can be selected, `transient` while a primary is being elected, the network
 * breaks, or the write is done but not yet acknowledged as asked, else `permanent`. Writes are
 * idempotent, so repeating one is always safe.
 */
export function classifyWriteError(error: unknown): ErrorKind {
  if (error instanceof MongoServerSelectionError) return "unreachable";
  if (error instanceof MongoWriteConcernError) return "transient";
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (writeErrors.length === 0 && (error.code === MongoErrorCode.WriteConcernTimeout || error.err !== undefined)) return "transient";
    if (writeErrors.length > 0) return "permanent";
  }
  return isRetryableStreamError(error) ? "transient" : "permanent";
}

/** What failed, for the message: `writing to archive.orders`, `renaming a.b to c.d`. */
export interface FailedWrite {
  readonly sink: string;
  /** Redacted address of the target. */
  readonly where: string;
  readonly action: string;
  readonly namespace?: string;
  /** The operations of a bulk write, to name the document a write error is about. */
  readonly operations?: readonly Document[];
}

/** A driver error of the `mongodb` sink as a `TributaryError` that says what and where. */
export function mapSinkWriteError(error: unknown, failed: FailedWrite): TributaryError {
  if (error instanceof TributaryError) return error;
  const context = { sink: failed.sink, ...(failed.namespace === undefined ? {} : { namespace: failed.namespace }) };
  if (error instanceof MongoServerSelectionError || error instanceof MongoNetworkError || (error instanceof MongoServerError && error.code === MongoErrorCode.AuthenticationFailed)) {
    const mapped = mapMongoError(error, failed.where);
    return new TributaryError(mapped.code, `Sink '${failed.sink}': ${mapped.message}`, { cause: error, context });
  }
  const detail = redactedMessage(error);
  if (error instanceof MongoServerError && error.code === MongoErrorCode.Unauthorized) {
    return new TributaryError(
      ErrorCode.MongoUnauthorized,
      `Sink '${failed.sink}': MongoDB at ${failed.where} refused ${failed.action}: ${detail}. The sink's user needs the readWrite role on the target databases (and the dropDatabase action, in dbAdmin, to drop a whole database)`,
      { cause: error, context },
    );
  }
  const key = keyOfWriteError(error, failed.operations);
  return new TributaryError(ErrorCode.SinkFailed, `Sink '${failed.sink}': ${failed.action} on ${failed.where} failed${key === undefined ? "" : ` for the document ${key}`}: ${detail}`, {
    cause: error,
    context: key === undefined ? context : { ...context, key },
  });
}

/** The key of the first failed operation of a bulk write, as relaxed Extended JSON. */
function keyOfWriteError(error: unknown, operations: readonly Document[] | undefined): string | undefined {
  if (!(error instanceof MongoBulkWriteError) || operations === undefined) return undefined;
  const first = Array.isArray(error.writeErrors) ? error.writeErrors[0] : error.writeErrors;
  const operation = first === undefined ? undefined : operations[first.index];
  const filter = (operation?.replaceOne ?? operation?.deleteOne)?.filter as Document | undefined;
  return filter === undefined ? undefined : BSON.EJSON.stringify(filter, { relaxed: true });
}

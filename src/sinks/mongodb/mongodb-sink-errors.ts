import { BSON, MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoServerSelectionError, MongoWriteConcernError, type Document } from "mongodb";
import { ErrorCode } from "../../core/error-codes.js";
import { isRetryableStreamError, mapMongoError } from "../../source/mongo-error-mapper.js";
import { MongoErrorCode } from "../../source/mongo-error-codes.js";
import { redactedMessage } from "../../core/redact.js";
import { TributaryError } from "../../core/tributary-error.js";

/**
 * Whether trying the same write again later can succeed: the target is unreachable, a primary
 * is being elected, or the write is done but not yet acknowledged as asked. Writes are
 * idempotent, so repeating one is always safe.
 */
export function isTransientWriteError(error: unknown): boolean {
  if (error instanceof MongoWriteConcernError) return true;
  if (error instanceof MongoBulkWriteError) {
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    if (writeErrors.length === 0 && (error.code === MongoErrorCode.WriteConcernTimeout || error.err !== undefined)) return true;
    if (writeErrors.length > 0) return false;
  }
  return isRetryableStreamError(error);
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

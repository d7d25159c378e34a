import { BSON, MongoServerError, type ChangeStreamOptions, type Document } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import type { MongoDeployment } from "./mongo-connection.js";
import { MongoErrorCode } from "./mongo-error-codes.js";
import { READ_OPTIONS } from "./read-options.js";
import { openScopedStream, type WatchScope } from "./watch-scope.js";

/**
 * Whether the server could not send a change event because it is over 16 MB: unsplit
 * (`BSONObjectTooLarge`), or too large even for `$changeStreamSplitLargeEvent` (one field alone,
 * such as a 16 MB document with the fragment's `_id` and `splitEvent` added).
 */
export function isEventTooLarge(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  return error.code === MongoErrorCode.BSONObjectTooLarge || error.code === MongoErrorCode.Location7182500 || error.codeName === "BSONObjectTooLarge";
}

/** What the stream was opened with, to open the probe the same way. */
export interface OversizedEventContext {
  readonly deployment: MongoDeployment;
  readonly scope: WatchScope;
  readonly pipeline: readonly Document[];
  /** The options of the failed stream (where it starts, images). */
  readonly options: ChangeStreamOptions & Document;
  readonly splitting: boolean;
}

const PROBE_WAIT_MS = 2_000;
const MAX_KEY_TEXT = 200;

/**
 * The error that stops the stream at an event it cannot be sent, naming the event. A second
 * stream opened at the same place with the same options and `$match`, and a `$project` keeping
 * only the event's namespace, key and time, is small enough to be sent and tells which event it
 * is (projecting fields out is the remedy the manual gives for this error); when that fails too
 * the error says what it can.
 */
export async function oversizedEventError(context: OversizedEventContext, cause: unknown): Promise<TributaryError> {
  const event = await probeEvent(context).catch(() => undefined);
  const ns = event?.ns as { db?: unknown; coll?: unknown } | undefined;
  const namespace = ns ? [ns.db, ns.coll].filter((part) => typeof part === "string").join(".") : undefined;
  const keyText = event?.documentKey === undefined ? undefined : BSON.EJSON.stringify(event.documentKey, { relaxed: true });
  const key = keyText !== undefined && keyText.length > MAX_KEY_TEXT ? `${keyText.slice(0, MAX_KEY_TEXT)}…` : keyText;
  const which = namespace === undefined ? "The next change event" : `The ${String(event?.operationType)} event of ${namespace}${key === undefined ? "" : ` for document key ${key}`}`;
  const why = context.splitting
    ? "is too large even for $changeStreamSplitLargeEvent: one of its fields alone is over 16 MB"
    : `is over MongoDB's 16 MB limit, and MongoDB ${context.deployment.featureVersion} cannot split it ($changeStreamSplitLargeEvent needs 7.0 or later, or 6.0.9 or later in 6.0, and a featureCompatibilityVersion as high)`;
  const wayOut = context.splitting
    ? "set source.fullDocumentBeforeChange to \"off\" (so that the event does not carry the document twice), or exclude the collection"
    : "upgrade MongoDB to 7.0 or later (or 6.0.9 or later) and raise its featureCompatibilityVersion, or set source.fullDocumentBeforeChange to \"off\" (pre-images double the size of an update's event), or exclude the collection";
  return new TributaryError(
    ErrorCode.ChangeStreamFailed,
    `${which} ${why}. The stream stops here rather than skip it; to go on, ${wayOut}, then start again. (${redactedMessage(cause)})`,
    { cause, context: { ...(namespace === undefined ? {} : { namespace }), ...(key === undefined ? {} : { key }) } },
  );
}

async function probeEvent(context: OversizedEventContext): Promise<Document | null> {
  const project = { $project: { operationType: 1, ns: 1, documentKey: 1, clusterTime: 1 } };
  const stream = openScopedStream(context.deployment.client, context.scope, [...context.pipeline, project], { ...context.options, ...READ_OPTIONS, maxAwaitTimeMS: PROBE_WAIT_MS });
  try {
    return await stream.tryNext();
  } finally {
    await stream.close().catch(() => undefined);
  }
}

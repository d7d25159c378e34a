import { keyText } from "../codec/key-text.js";
import { ErrorCode } from "../core/error-codes.js";
import { redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import { formatNamespace, type ChangeEvent } from "../core/change-event.js";
import type { EventPredicate } from "../pipeline/event-selector.js";
import type { IdBatch } from "./id-batcher.js";

/** A watcher used the wrong way (consumed two ways, changed once delivering, …). */
export function usageError(message: string): TributaryError {
  return new TributaryError(ErrorCode.ConfigInvalid, message);
}

/** What ended a watcher, as a `TributaryError` (anything else becomes `ChangeStreamFailed`). */
export function asTributaryError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  const reason = redactedMessage(error);
  return new TributaryError(ErrorCode.ChangeStreamFailed, `watch() failed: ${reason}`, { cause: error });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** ` 3 times` after several attempts; nothing after one. */
function timesOf(attempts: number): string {
  return attempts > 1 ? ` ${attempts} times` : "";
}

/** The dead-letter handler threw on what a handler failed on: the watcher stops at that change. */
export function deadLetterFailed(failure: TributaryError, error: unknown): TributaryError {
  return new TributaryError(ErrorCode.HandlerFailed, `${failure.message} The dead-letter handler failed on it too: ${reasonOf(error)}`, {
    cause: error,
    context: failure.context,
  });
}

/**
 * The error for user code (a `"change"` handler, a filter predicate) that threw on an event:
 * it names the handler, the operation, the namespace and the document key, and keeps what was
 * thrown as `cause`.
 */
export function handlerFailedOnEvent(what: string, event: ChangeEvent, error: unknown, attempts = 1): TributaryError {
  const namespace = formatNamespace(event.ns);
  const id: unknown = event.key?._id;
  const key = id === undefined ? undefined : keyText(id);
  const on = key === undefined ? `${event.op} on ${namespace}` : `${event.op} of ${namespace} key ${key}`;
  return new TributaryError(
    ErrorCode.HandlerFailed,
    `The ${what} failed${timesOf(attempts)} on the ${on}${event.source === "snapshot" ? " (copied)" : ""}: ${reasonOf(error)}. The watcher stopped at this change; its resume point is before it, so a new watcher with the same store receives it again`,
    { cause: error, context: key === undefined ? { namespace, op: event.op } : { namespace, key, op: event.op } },
  );
}

/** The error for a `"batch"` handler that threw: it names the namespaces, operations and id count. */
export function handlerFailedOnBatch(batch: IdBatch, error: unknown, attempts = 1): TributaryError {
  const namespaces = [...new Set(batch.map((group) => group.namespace))].join(", ");
  const ops = [...new Set(batch.map((group) => group.op))].join(", ");
  const ids = batch.reduce((sum, group) => sum + group.ids.length, 0);
  return new TributaryError(
    ErrorCode.HandlerFailed,
    `The "batch" handler failed${timesOf(attempts)} on a batch of ${ids} ids (${ops} in ${namespaces}): ${reasonOf(error)}. The watcher stopped before this batch; its resume point is before it, so a new watcher with the same store receives these changes again`,
    { cause: error, context: { namespace: namespaces, op: ops, ids } },
  );
}

/** The predicate, with what it throws turned into a `HandlerFailed` error naming the change. */
export function guardPredicate(predicate: EventPredicate): EventPredicate {
  return (event) => {
    try {
      return predicate(event);
    } catch (error) {
      throw handlerFailedOnEvent("filter predicate", event, error);
    }
  };
}

/** `start()` or iteration on a watcher that has ended. */
export function watcherStopped(): TributaryError {
  return usageError("This watcher has stopped; create a new one with watch() (with the same resumePoints to continue where it stopped)");
}

import type { ChangeStream, ChangeStreamOptions, Document } from "mongodb";
import { isRetryableStreamError, mapMongoError } from "./mongo-error-mapper.js";
import type { Logger } from "../core/logger.js";
import { backoffDelay, sleep, type BackoffOptions } from "../core/retry.js";
import type { SourceItem } from "../core/change-event.js";
import { LOSSLESS_BSON_OPTIONS, type MongoDeployment } from "./mongo-connection.js";
import { normalizeChange } from "./normalize-change.js";
import { makePosition, type Position, type ResumeToken } from "../core/position.js";

import { describeScope, openScopedStream, type WatchScope } from "./watch-scope.js";

/** @internal */
export interface ChangeStreamSourceOptions {
  readonly scope: WatchScope;
  /** Post-images of updates: looked up at read time, or the stored ones (6.0+, enabled per collection). */
  readonly fullDocument: "updateLookup" | "required" | "whenAvailable";
  /** Pre-images (6.0+, enabled per collection); absent or `"off"`: none. */
  readonly fullDocumentBeforeChange?: "off" | "whenAvailable" | "required";
  /**
   * Stages run by the server after `$changeStream`, such as a `$match` on the raw change
   * events; they come before `$changeStreamSplitLargeEvent`, which must stay last.
   */
  readonly pipeline?: readonly Document[];
  /** Continue after this position; absent: start from now. */
  readonly resumeFrom?: Position;
  /** How long one empty read waits on the server. */
  readonly maxAwaitTimeMs: number;
  readonly retry: BackoffOptions;
  readonly logger: Logger;
}

/**
 * Reads one change stream forever: resumes from a stored position, keeps going after
 * `invalidate` (reopening with `startAfter`), and reopens after resumable errors with
 * back-off and jitter, as often as it takes. Errors it cannot survive (history lost,
 * authorization) end the iteration with a `TributaryError`.
 * @internal
 */
export class ChangeStreamSource {
  private readonly deployment: MongoDeployment;
  private readonly options: ChangeStreamSourceOptions;
  private lastToken: ResumeToken | undefined;

  constructor(deployment: MongoDeployment, options: ChangeStreamSourceOptions) {
    this.deployment = deployment;
    this.options = options;
    this.lastToken = options.resumeFrom?.resumeToken;
  }

  async *items(signal: AbortSignal): AsyncGenerator<SourceItem> {
    const { logger, scope } = this.options;
    let failures = 0;
    while (!signal.aborted) {
      const stream = this.open();
      try {
        logger.info({ scope: describeScope(scope), resuming: this.lastToken !== undefined }, "change stream open");
        for (;;) {
          if (signal.aborted) return;
          const raw = await stream.tryNext();
          if (raw === null) {
            const token = stream.resumeToken as ResumeToken | null;
            if (token) this.lastToken = token;
            yield { kind: "caughtUp", position: token ? makePosition(token) : undefined };
            failures = 0;
            continue;
          }
          failures = 0;
          const event = normalizeChange(raw);
          this.lastToken = raw._id as ResumeToken;
          if (event === undefined) continue;
          yield { kind: "event", event };
          if (event.op === "invalidate") {
            logger.info({ scope: describeScope(scope) }, "change stream invalidated (watched collection or database dropped or renamed); reopening after it");
            break;
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (!isRetryableStreamError(error)) throw mapMongoError(error, this.deployment.where);
        const delay = backoffDelay(failures, this.options.retry);
        failures += 1;
        logger.warn({ attempt: failures, retryInMs: delay, err: mapMongoError(error, this.deployment.where).message }, "change stream interrupted; retrying");
        await sleep(delay, signal);
      } finally {
        await stream.close().catch(() => undefined);
      }
    }
  }

  private open(): ChangeStream {
    const options: ChangeStreamOptions & Document = {
      ...LOSSLESS_BSON_OPTIONS,
      fullDocument: this.options.fullDocument,
      maxAwaitTimeMS: this.options.maxAwaitTimeMs,
    };
    if (this.deployment.supportsExpandedEvents) options.showExpandedEvents = true;
    const beforeChange = this.options.fullDocumentBeforeChange;
    if (beforeChange !== undefined && beforeChange !== "off") options.fullDocumentBeforeChange = beforeChange;
    // startAfter accepts every token, including an invalidate's, where resumeAfter would fail.
    if (this.lastToken) options.startAfter = this.lastToken;
    return openScopedStream(this.deployment.client, this.options.scope, [...(this.options.pipeline ?? [])], options);
  }
}

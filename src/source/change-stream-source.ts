import type { ChangeStreamOptions, Document, Timestamp } from "mongodb";
import { classifyStreamError, isResumeTokenNotFound, mapMongoError } from "./mongo-error-mapper.js";
import type { Logger } from "../core/logger.js";
import { retryDelay, sleep, type BackoffOptions } from "../core/retry.js";
import { tellRetry } from "../core/retry-observer.js";
import type { SourceItem } from "../core/change-event.js";
import type { MongoDeployment } from "./mongo-connection.js";
import { normalizeChange } from "./normalize-change.js";
import { clusterTimeOfToken, makePosition, type Position, type ResumeToken } from "../core/position.js";
import { isEventTooLarge, oversizedEventError } from "./oversized-event.js";
import { READ_OPTIONS } from "./read-options.js";
import { FragmentAssembler, SPLIT_LARGE_EVENT_STAGE, supportsSplitLargeEvent } from "./split-events.js";

import { describeScope, openScopedStream, type WatchScope } from "./watch-scope.js";

/** @internal */
export interface ChangeStreamSourceOptions {
  readonly scope: WatchScope;
  /**
   * Post-images of updates: looked up at read time, the stored ones (6.0+, enabled per
   * collection), or `"off"`: none, an update carries only its delta (`updateDescription`).
   */
  readonly fullDocument: "updateLookup" | "required" | "whenAvailable" | "off";
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
  /** Set when the server no longer finds `lastToken` in this stream: the next open starts at this cluster time instead. */
  private startTime: Timestamp | undefined;
  private readonly splitting: boolean;
  private readonly fragments = new FragmentAssembler();

  constructor(deployment: MongoDeployment, options: ChangeStreamSourceOptions) {
    this.deployment = deployment;
    this.options = options;
    this.lastToken = options.resumeFrom?.resumeToken;
    // By the feature version (the lower of release and FCV, server-features.ts): a shard or an
    // FCV that cannot take the stage would refuse the whole stream.
    this.splitting = supportsSplitLargeEvent(deployment.featureVersion);
  }

  async *items(signal: AbortSignal): AsyncGenerator<SourceItem> {
    const { logger, scope } = this.options;
    let failures = 0;
    while (!signal.aborted) {
      const options = this.streamOptions();
      const stream = openScopedStream(this.deployment.client, scope, this.stages(), options);
      this.fragments.reset();
      try {
        logger.info({ scope: describeScope(scope), resuming: this.lastToken !== undefined || this.startTime !== undefined }, "change stream open");
        for (;;) {
          if (signal.aborted) return;
          const next = await stream.tryNext();
          // Between the fragments of a split event there is no position to report.
          if (next === null && this.fragments.pending) continue;
          if (next === null) {
            const token = stream.resumeToken as ResumeToken | null;
            if (token) this.continueAfter(token);
            yield { kind: "caughtUp", position: token ? makePosition(token) : undefined };
            failures = 0;
            continue;
          }
          failures = 0;
          const raw = this.fragments.add(next);
          if (raw === undefined) continue;
          const event = normalizeChange(raw);
          this.continueAfter(raw._id as ResumeToken);
          if (event === undefined) continue;
          yield { kind: "event", event };
          if (event.op === "invalidate") {
            logger.info({ scope: describeScope(scope) }, "change stream invalidated (watched collection or database dropped or renamed); reopening after it");
            break;
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (isEventTooLarge(error)) {
          throw await oversizedEventError({ deployment: this.deployment, scope, pipeline: this.options.pipeline ?? [], options, splitting: this.splitting }, error);
        }
        if (this.startAtTokenTime(error)) continue;
        const kind = classifyStreamError(error);
        if (kind === "permanent") throw mapMongoError(error, this.deployment.where);
        const delay = retryDelay(failures, kind, this.options.retry);
        failures += 1;
        tellRetry({ component: "change stream", kind });
        logger.warn({ attempt: failures, retryInMs: delay, err: mapMongoError(error, this.deployment.where).message }, "change stream interrupted; retrying");
        await sleep(delay, signal);
      } finally {
        await stream.close().catch(() => undefined);
      }
    }
  }

  private continueAfter(token: ResumeToken): void {
    this.lastToken = token;
    this.startTime = undefined;
  }

  /**
   * After "the resume token was not found" (ChangeStreamFatalError 280; 40585 before 4.2),
   * which is what a position taken from an event of a namespace the stream no longer watches
   * gets (the include list was narrowed since it was stored, and the server checks that the
   * event of a `startAfter` token is in the stream), the stream starts again at the token's
   * cluster time. Every change after that position is still delivered; changes at that very
   * cluster time (other operations of its transaction) may come again, which applies absorb.
   * Returns whether it did so.
   */
  private startAtTokenTime(error: unknown): boolean {
    const time = this.lastToken === undefined ? undefined : clusterTimeOfToken(this.lastToken);
    if (time === undefined || !isResumeTokenNotFound(error)) return false;
    this.options.logger.warn(
      { at: new Date(time.t * 1000).toISOString(), clusterTime: `Timestamp(${time.t}, ${time.i})` },
      "the stored position is not in this change stream (it was taken from an event of a namespace no longer included); starting at its cluster time instead, so changes of that moment may be delivered again",
    );
    this.lastToken = undefined;
    this.startTime = time;
    return true;
  }

  /** The pipeline after `$changeStream`: the given stages, then the splitting of large events where the server has it (it must be last). */
  private stages(): Document[] {
    return [...(this.options.pipeline ?? []), ...(this.splitting ? [SPLIT_LARGE_EVENT_STAGE] : [])];
  }

  private streamOptions(): ChangeStreamOptions & Document {
    const options: ChangeStreamOptions & Document = { ...READ_OPTIONS, maxAwaitTimeMS: this.options.maxAwaitTimeMs };
    // Left out, the server looks nothing up: an update event has no `fullDocument` field at all,
    // while inserts and replaces still carry theirs (the server's
    // jstests/change_streams/lookup_post_image.js); the driver sends only what it is given.
    if (this.options.fullDocument !== "off") options.fullDocument = this.options.fullDocument;
    if (this.deployment.supportsExpandedEvents) options.showExpandedEvents = true;
    const beforeChange = this.options.fullDocumentBeforeChange;
    if (beforeChange !== undefined && beforeChange !== "off") options.fullDocumentBeforeChange = beforeChange;
    // startAfter accepts every token, including an invalidate's, where resumeAfter would fail.
    if (this.lastToken) options.startAfter = this.lastToken;
    else if (this.startTime) options.startAtOperationTime = this.startTime;
    return options;
  }
}

import type { MongoClient } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import type { SourceItem } from "../core/change-event.js";
import { ChangeStreamSource } from "../source/change-stream-source.js";
import type { MongoDeployment } from "../source/mongo-connection.js";
import { positionDate, type Position } from "../core/position.js";
import { describeScope } from "../source/watch-scope.js";
import type { ChangeFeed } from "./change-feed.js";
import { describeStartPoint, namingStartPoint, resolveStartPosition } from "../source/start-position.js";
import type { WatchStart } from "../core/position.js";
import { streamMatchStages } from "../source/stream-match.js";
import { checkStreamOptions } from "../source/server-features.js";
import type { ResolvedWatchOptions } from "./watch-options.js";
import type { SnapshotSource } from "../core/snapshot-contract.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import { MongoSnapshotSource } from "../source/mongo-snapshot-source.js";
import { openWatchedDeployment, type WatchedDeployment } from "./watch-deployment.js";

/**
 * The change stream of a MongoDB deployment, with the server-side filters of the options, the
 * self-healing of `ChangeStreamSource` (resume, reopen after invalidate, retry with back-off),
 * starting after a stored position or at `startAt`.
 */
export class MongoChangeFeed implements ChangeFeed {
  private readonly source: string | MongoClient;
  private readonly options: ResolvedWatchOptions;
  private opened: WatchedDeployment | undefined;
  /** The start point `open()` began at when nothing was stored, and the position it gave. */
  private chosen: { readonly start: WatchStart; readonly position: Position } | undefined;

  constructor(source: string | MongoClient, options: ResolvedWatchOptions) {
    this.source = source;
    this.options = options;
  }

  async open(stored: Position | undefined): Promise<Position> {
    const { scope, logger, startAt } = this.options;
    this.opened = await openWatchedDeployment(this.source, this.options.serverSelectionTimeoutMs);
    const deployment = this.opened.deployment;
    checkStreamOptions(deployment, { fullDocument: this.options.fullDocument, fullDocumentBeforeChange: this.options.fullDocumentBeforeChange }, logger);
    const start = stored ?? (await resolveStartPosition(deployment, scope, startAt));
    const from = stored ? "the stored resume point" : describeStartPoint(startAt);
    this.chosen = stored ? undefined : { start: startAt, position: start };
    logger.info({ mongodb: deployment.where, version: deployment.version, scope: describeScope(scope), from, at: positionDate(start).toISOString() }, "watch started");
    return start;
  }

  items(from: Position, signal: AbortSignal): AsyncIterator<SourceItem> {
    const options = this.options;
    const source = new ChangeStreamSource(this.deployment(), {
      scope: options.scope,
      fullDocument: options.fullDocument,
      fullDocumentBeforeChange: options.fullDocumentBeforeChange,
      pipeline: streamMatchStages({ operations: options.operations, match: options.match, namespaces: { include: options.include, exclude: options.exclude } }),
      resumeFrom: from,
      maxAwaitTimeMs: options.maxAwaitTimeMs,
      retry: options.retry,
      logger: options.logger,
    });
    const items = source.items(signal);
    // From the start point itself, a history lost before the first change names that start point.
    return this.chosen?.position === from ? namingStartPoint(items, this.deployment().where, this.chosen.start) : items;
  }

  /** The sync's snapshot reads: `_id` ranges through the `_id` index, majority reads after the start. */
  copySource(collections: readonly string[]): SnapshotSource {
    const { logger, retry } = this.options;
    return new MongoSnapshotSource(this.deployment(), { filter: new NamespaceFilter(collections, []), include: collections, logger, retry });
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened?.ownsClient) await opened.deployment.client.close();
  }

  private deployment(): MongoDeployment {
    const opened = this.opened;
    if (!opened) throw new TributaryError(ErrorCode.ChangeStreamFailed, "The change feed was read before it was opened (a bug in Tributary)");
    return opened.deployment;
  }
}

import { MongoClient } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { ChangeWatcher } from "./change-watcher.js";
import { MongoChangeFeed } from "./mongo-change-feed.js";
import { resolveWatchOptions, type WatchOptions } from "./watch-options.js";
import { operationsWarnings } from "../pipeline/operation-warnings.js";

/**
 * Watches a MongoDB deployment, database or collection and delivers its changes as normalized
 * `ChangeEvent`s, in order, at least once, surviving invalidation (drop, rename), resumable
 * errors and network faults on its own.
 *
 * ```ts
 * for await (const event of watch(uri, { include: ["app.users"], operations: ["insert"] })) {
 *   await sendWelcomeEmail(event.doc?.email);
 * }
 * ```
 *
 * Nothing connects until the watcher starts (iteration or `start()`); the options are checked
 * at once and a wrong one throws a `TributaryError` naming it.
 *
 * @param source a connection string (the watcher connects and closes its client), or a
 *   `MongoClient` you own (used, never closed).
 * @public
 */
export function watch(source: string | MongoClient, options?: WatchOptions): ChangeWatcher {
  if (!(source instanceof MongoClient) && (typeof source !== "string" || source.trim() === "")) {
    throw new TributaryError(ErrorCode.ConfigInvalid, "watch() needs a MongoDB connection string or a MongoClient as its first argument", {
      context: { configPath: "source" },
    });
  }
  const resolved = resolveWatchOptions(options);
  for (const warning of operationsWarnings(resolved.operations)) resolved.logger.warn({ option: "operations" }, warning);
  return new ChangeWatcher(new MongoChangeFeed(source, resolved), resolved);
}

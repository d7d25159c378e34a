import type { Document } from "../core/bson.js";
import { z } from "zod";
import type { ResumePointStore } from "../core/resume-point-store.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { describeIssue } from "../core/zod-issues.js";
import { isPlainObject } from "../core/plain-object.js";
import { silentLogger, type Logger } from "../core/logger.js";
import type { BackoffOptions } from "../core/retry.js";
import type { ChangeOp } from "../core/change-event.js";
import { isPosition, isTimestamp, type WatchStart } from "../core/position.js";
import { scopeForIncludes, type WatchScope } from "../source/watch-scope.js";
import type { EventPredicate } from "../pipeline/event-selector.js";
import type { SaveEvery } from "../pipeline/resume-cadence.js";
import {
  changeOperation,
  fullDocumentBeforeChangeMode,
  fullDocumentMode,
  namespacePatterns,
  positiveInt,
  retryBackoff,
  serverSelectionTimeoutMs,
} from "../pipeline/stream-options-schema.js";
import type { IdBatchLimits } from "./id-batcher.js";


/**
 * Options of {@link watch}. Every one is optional.
 * @public
 */
export interface WatchOptions {
  /**
   * What the change stream covers: `{}` the deployment, `{ db }` one database, `{ db, coll }`
   * one collection. Default: the narrowest scope covering `include` (the deployment without it).
   */
  readonly scope?: { readonly db?: string; readonly coll?: string };
  /** Namespace globs to deliver (`app.users`, `app.*`, `*.orders`, `logs`); default every non-system namespace. */
  readonly include?: readonly string[];
  /** Namespace globs to leave out. */
  readonly exclude?: readonly string[];
  /**
   * Only these operations, filtered by the server. `invalidate` events are delivered only when
   * listed here (the watcher reopens after them by itself either way).
   */
  readonly operations?: readonly ChangeOp[];
  /**
   * A MongoDB query on the raw change stream document, run by the server:
   * `{ "fullDocument.status": "active" }`, `{ "updateDescription.updatedFields.email": { $exists: true } }`.
   * It addresses the server's field names (`operationType`, `fullDocument`, `documentKey`,
   * `ns.coll`, …), not those of `ChangeEvent`.
   */
  readonly match?: Document;
  /** In-process tests on the normalized event; all must return `true`. */
  readonly filter?: EventPredicate | readonly EventPredicate[];
  /** Where to begin when the resume point store holds nothing. Default `"now"`. */
  readonly startAt?: WatchStart;
  /**
   * Where the resume point is kept. When it holds one, the watcher continues after it and
   * `startAt` is ignored. The watcher never closes the store.
   */
  readonly resumePoints?: ResumePointStore;
  /** How often the resume point is saved: default every 100 events or 1000 ms, and on stop. */
  readonly saveEvery?: Partial<SaveEvery>;
  /**
   * Full documents of updates: `"updateLookup"` (default; the current document, looked up when
   * read), `"required"` or `"whenAvailable"` (post-images, MongoDB 6.0+, enabled per collection
   * with `changeStreamPreAndPostImages`).
   */
  readonly fullDocument?: "updateLookup" | "required" | "whenAvailable";
  /** Pre-images of updates, replaces and deletes (MongoDB 6.0+, enabled per collection); default `"off"`. */
  readonly fullDocumentBeforeChange?: "off" | "whenAvailable" | "required";
  /** Id batches (`batches()`, `"batch"` handlers): default 100 ids or 200 ms. */
  readonly batch?: Partial<IdBatchLimits>;
  /** Back-off between reconnection attempts: default 500 ms doubling up to 30 s, with jitter. */
  readonly retry?: Partial<BackoffOptions>;
  /** How long one read waits on the server when nothing changes (ms); also bounds how long `stop()` takes. Default 500. */
  readonly maxAwaitTimeMs?: number;
  /** With a connection string: how long to look for the deployment at start (ms). Default 10 000. */
  readonly serverSelectionTimeoutMs?: number;
  /** A pino logger; default silent. */
  readonly logger?: Logger;
}

/** The options with defaults applied and the scope decided. */
export interface ResolvedWatchOptions {
  readonly scope: WatchScope;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly operations: readonly ChangeOp[] | undefined;
  readonly match: Document | undefined;
  readonly predicates: readonly EventPredicate[];
  readonly startAt: WatchStart;
  readonly resumePoints: ResumePointStore | undefined;
  readonly saveEvery: SaveEvery;
  readonly fullDocument: "updateLookup" | "required" | "whenAvailable";
  readonly fullDocumentBeforeChange: "off" | "whenAvailable" | "required";
  readonly batch: IdBatchLimits;
  readonly retry: BackoffOptions;
  readonly maxAwaitTimeMs: number;
  readonly serverSelectionTimeoutMs: number;
  readonly logger: Logger;
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return isPlainObjectLike(value) && names.every((name) => typeof value[name] === "function");
}

function isPlainObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}


function isWatchStart(value: unknown): value is WatchStart {
  return value === "now" || value === "oldest" || (value instanceof Date && !Number.isNaN(value.getTime())) || isTimestamp(value) || isPosition(value);
}

const predicate = z.custom<EventPredicate>((value) => typeof value === "function", "must be a function (event) => boolean");

/** The options of `watch()`; the fragments it shares with the config file come from pipeline/stream-options-schema.ts. */
const WatchOptionsSchema = z
  .object({
    scope: z
      .object({ db: z.string().min(1).regex(/^[^.\s/\\"$]+$/, "must be a database name").optional(), coll: z.string().min(1).optional() })
      .strict()
      .refine((scope) => scope.coll === undefined || scope.db !== undefined, { message: "coll needs db: { db: 'app', coll: 'users' }", path: ["coll"] })
      .optional(),
    include: namespacePatterns("app.*"),
    exclude: namespacePatterns("app.*"),
    operations: z.array(changeOperation).min(1, "list at least one operation, or leave operations out").optional(),
    match: z.custom<Document>(isPlainObject, "must be a query document such as { \"fullDocument.status\": \"active\" }").optional(),
    filter: z.union([predicate, z.array(predicate)]).optional(),
    startAt: z.custom<WatchStart>(isWatchStart, "must be \"now\", \"oldest\", a Date, a BSON Timestamp or a Position").default("now"),
    resumePoints: z
      .custom<ResumePointStore>((value) => hasMethods(value, ["load", "save", "close"]), "must be a ResumePointStore (description, load(), save(position), close())")
      .optional(),
    saveEvery: z.object({ events: positiveInt.default(100), ms: positiveInt.default(1_000) }).strict().default({ events: 100, ms: 1_000 }),
    fullDocument: fullDocumentMode.default("updateLookup"),
    fullDocumentBeforeChange: fullDocumentBeforeChangeMode.default("off"),
    batch: z.object({ size: positiveInt.max(1_000_000).default(100), latencyMs: positiveInt.default(200) }).strict().default({ size: 100, latencyMs: 200 }),
    retry: retryBackoff,
    maxAwaitTimeMs: positiveInt.max(60_000).default(500),
    serverSelectionTimeoutMs,
    logger: z.custom<Logger>((value) => hasMethods(value, ["info", "warn", "error", "debug"]), "must be a pino logger").optional(),
  })
  .strict();

/**
 * Validates `watch()` options and applies the defaults; a wrong option is a `TributaryError`
 * (`ConfigInvalid`) naming its path.
 */
export function resolveWatchOptions(options: WatchOptions = {}): ResolvedWatchOptions {
  const result = WatchOptionsSchema.safeParse(options);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid watch() options: ${result.error.issues.map((issue) => describeIssue(issue, { unknown: "option", root: "(options)" })).join("; ")}`, {
      context: { configPath: first ? first.path.map(String).join(".") : "" },
    });
  }
  const parsed = result.data;
  const filter = parsed.filter;
  return {
    scope: parsed.scope === undefined ? scopeForIncludes(parsed.include) : scopeOf(parsed.scope),
    include: parsed.include,
    exclude: parsed.exclude,
    operations: parsed.operations,
    match: parsed.match,
    predicates: filter === undefined ? [] : Array.isArray(filter) ? [...filter] : [filter as EventPredicate],
    startAt: parsed.startAt,
    resumePoints: parsed.resumePoints,
    saveEvery: parsed.saveEvery,
    fullDocument: parsed.fullDocument,
    fullDocumentBeforeChange: parsed.fullDocumentBeforeChange,
    batch: parsed.batch,
    retry: parsed.retry,
    maxAwaitTimeMs: parsed.maxAwaitTimeMs,
    serverSelectionTimeoutMs: parsed.serverSelectionTimeoutMs,
    logger: parsed.logger ?? silentLogger(),
  };
}

function scopeOf(scope: { db?: string; coll?: string }): WatchScope {
  if (scope.db === undefined) return { kind: "deployment" };
  return scope.coll === undefined ? { kind: "database", db: scope.db } : { kind: "collection", db: scope.db, coll: scope.coll };
}

import type { Document } from "../core/bson.js";
import { z } from "zod";
import type { ResumePointStore } from "../core/resume-point-store.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { describeIssue } from "../core/zod-issues.js";
import { isPlainObject } from "../core/plain-object.js";
import { silentLogger, type Logger } from "../core/logger.js";
import { redactingLogger } from "../core/redacting-logger.js";
import type { BackoffOptions } from "../core/retry.js";
import { splitNamespace, type ChangeOp } from "../core/change-event.js";
import { isPosition, isResumeToken, isTimestamp, type WatchStart } from "../core/position.js";
import { isStartPointFile, parseStartPoint } from "../core/start-point.js";
import { hasGlob, scopeForIncludes, type WatchScope } from "../source/watch-scope.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import type { EventPredicate } from "../pipeline/event-selector.js";
import type { SaveEvery } from "../pipeline/resume-cadence.js";
import type { ReadAheadLimits } from "../pipeline/read-ahead.js";
import {
  changeOperation,
  fullDocumentBeforeChangeMode,
  fullDocumentMode,
  namespacePattern,
  namespacePatterns,
  positiveInt,
  retryBackoff,
  serverSelectionTimeoutMs,
} from "../pipeline/stream-options-schema.js";
import type { IdBatchLimits } from "./id-batcher.js";
import type { DeadLetterHandler, HandlerRetryPolicy } from "./handler-retry.js";
import type { CopySettings } from "./initial-copy.js";
import type { LargeLongs, ValueMode } from "../codec/plain-values.js";


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
  /**
   * Where to begin when the resume point store holds nothing (a cutover from another tool).
   * Default `"now"`. Also as text, as `--start-at` takes it: `"2024-05-01T12:00:00Z"`,
   * `"1700000000:5"`, a resume token's `_data`. A time older than the oplog is refused.
   */
  readonly startAt?: WatchStart | string;
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
   * with `changeStreamPreAndPostImages`), or `"off"`: no lookup, an update carries only its delta
   * (`event.update`) and no `event.doc` (gtm's `UpdateDataAsDelta`).
   */
  readonly fullDocument?: "updateLookup" | "required" | "whenAvailable" | "off";
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
  /**
   * `"change"` handlers running at once (default 1). Changes of one document (namespace and
   * `_id`) never overlap and keep their order; commands wait for everything before them.
   */
  readonly concurrency?: number;
  /** When a `"change"` or `"batch"` handler throws: retry, then stop (default) or dead-letter. */
  readonly handlerRetry?: WatchHandlerRetry;
  /**
   * Copy these collections first (gtm's `DirectReadNs`): each document as an `insert` with
   * `source: "snapshot"`, then the changes from the position fixed before the copy.
   */
  readonly copy?: WatchCopy;
  /**
   * How document values reach handlers, loops and filters: `"bson"` (default) as the driver
   * decodes them (`Int32`, `Long`, `ObjectId`, … wrappers), or `"plain"` JavaScript values
   * (`toPlainValue`): the key, `doc`, `before` and an update's `updatedFields`.
   */
  readonly values?: ValueMode;
  /** With `values: "plain"`: a Long beyond ±(2^53 − 1) as a `bigint` (default) or as its decimal text. */
  readonly largeLongs?: LargeLongs;
}

/** `watch()`'s `handlerRetry`. @public */
export interface WatchHandlerRetry {
  /** Tries in all, the first included; default 1 (no retry). */
  readonly attempts?: number;
  /** Wait before the second try (ms), doubling, with jitter; default 500. */
  readonly initialDelayMs?: number;
  /** Longest wait between tries (ms); default 30 000. */
  readonly maxDelayMs?: number;
  /** Once every try failed: `"stop"` (default) ends the watcher at that change; `"dead-letter"` hands it to `deadLetter` and goes on. */
  readonly onExhausted?: "stop" | "dead-letter";
  /** Receives what a handler failed on (needed with `"dead-letter"`). */
  readonly deadLetter?: DeadLetterHandler;
}

/** `watch()`'s `copy`. @public */
export interface WatchCopy {
  /** Collections to copy: `db.coll` or globs (`app.*`). */
  readonly collections: readonly string[];
  /** `_id` ranges read at once; default 4. */
  readonly parallelism?: number;
  /** Documents per read; default 1000. */
  readonly chunkSize?: number;
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
  readonly fullDocument: "updateLookup" | "required" | "whenAvailable" | "off";
  readonly fullDocumentBeforeChange: "off" | "whenAvailable" | "required";
  readonly batch: IdBatchLimits;
  readonly concurrency: number;
  readonly handlerRetry: HandlerRetryPolicy;
  readonly copy: CopySettings | undefined;
  /** How values are delivered: as they came, or plain with these options. */
  readonly values: { readonly mode: "bson" } | { readonly mode: "plain"; readonly largeLongs: LargeLongs };
  readonly retry: BackoffOptions;
  readonly maxAwaitTimeMs: number;
  readonly serverSelectionTimeoutMs: number;
  readonly logger: Logger;
  /** How far the change stream is read ahead of the consumer ({@link WATCH_READ_AHEAD}; the bench sets it to compare). @internal */
  readonly readAhead: ReadAheadLimits;
}

/**
 * What a watcher reads ahead of its consumer: while a handler or a loop body awaits its own I/O,
 * the change stream goes on with its next `getMore` and the driver decodes its events (which it
 * does only when asked). About one `getMore` reply: 1000 changes, or 16 MiB of BSON estimated.
 * In slices of 0.05 ms: a loop body that waits on one round trip per change (80 µs to a local
 * PostgreSQL) went 0.98× as fast as without reading ahead with the sync's slices of 0.25 ms, which
 * held its replies back, and 1.04–1.10× with these (docs/benchmarks.md, eighteenth pass).
 */
export const WATCH_READ_AHEAD: ReadAheadLimits = Object.freeze({ maxItems: 1_000, maxBytes: 16 * 1024 * 1024, sliceMs: 0.05 });

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return isPlainObjectLike(value) && names.every((name) => typeof value[name] === "function");
}

function isPlainObjectLike(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}


function isWatchStart(value: unknown): value is WatchStart {
  return value === "now" || value === "oldest" || (value instanceof Date && !Number.isNaN(value.getTime())) || isTimestamp(value) || isPosition(value) || isResumeToken(value);
}

/** `startAt` written as `--start-at` takes it (an ISO time, `1700000000:5`, a token's `_data`); a file path is left as it is, and refused. */
function startAtOfText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    const start = parseStartPoint(value, "startAt");
    return isStartPointFile(start) ? value : start;
  } catch {
    return value;
  }
}

const predicate = z.custom<EventPredicate>((value) => typeof value === "function", "must be a function (event) => boolean");

const handlerRetrySchema = z
  .object({
    attempts: positiveInt.max(1_000).default(1),
    initialDelayMs: positiveInt.default(500),
    maxDelayMs: positiveInt.default(30_000),
    onExhausted: z.enum(["stop", "dead-letter"]).default("stop"),
    deadLetter: z.custom<DeadLetterHandler>((value) => typeof value === "function", "must be a function (letter) => void").optional(),
  })
  .strict()
  .refine((retry) => retry.maxDelayMs >= retry.initialDelayMs, { message: "maxDelayMs must be at least initialDelayMs", path: ["maxDelayMs"] })
  .refine((retry) => retry.onExhausted !== "dead-letter" || retry.deadLetter !== undefined, { message: "onExhausted \"dead-letter\" needs a deadLetter function", path: ["deadLetter"] })
  .default({ attempts: 1, initialDelayMs: 500, maxDelayMs: 30_000, onExhausted: "stop" });

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
    startAt: z
      .preprocess(
        startAtOfText,
        z.custom<WatchStart>(
          isWatchStart,
          'must be "now", "oldest", a Date, a BSON Timestamp, a Position, a resume token ({ _data }), or one of these as text: an ISO time with its zone, "1700000000:5", a token\'s _data',
        ),
      )
      .default("now"),
    resumePoints: z
      .custom<ResumePointStore>((value) => hasMethods(value, ["load", "save", "close"]), "must be a ResumePointStore (description, load(), save(position), close())")
      .optional(),
    saveEvery: z.object({ events: positiveInt.default(100), ms: positiveInt.default(1_000) }).strict().default({ events: 100, ms: 1_000 }),
    // "off" only here: a sync's sinks write whole documents.
    fullDocument: z.union([fullDocumentMode, z.literal("off")]).default("updateLookup"),
    fullDocumentBeforeChange: fullDocumentBeforeChangeMode.default("off"),
    batch: z.object({ size: positiveInt.max(1_000_000).default(100), latencyMs: positiveInt.default(200) }).strict().default({ size: 100, latencyMs: 200 }),
    retry: retryBackoff,
    maxAwaitTimeMs: positiveInt.max(60_000).default(500),
    serverSelectionTimeoutMs,
    logger: z.custom<Logger>((value) => hasMethods(value, ["info", "warn", "error", "debug"]), "must be a pino logger").optional(),
    concurrency: positiveInt.max(10_000).default(1),
    handlerRetry: handlerRetrySchema,
    copy: z
      .object({ collections: z.array(namespacePattern("app.*")).min(1, "list at least one collection to copy"), parallelism: positiveInt.max(64).default(4), chunkSize: positiveInt.max(100_000).default(1_000) })
      .strict()
      .optional(),
    values: z.enum(["bson", "plain"]).default("bson"),
    largeLongs: z.enum(["bigint", "string"]).optional(),
  })
  .strict()
  .refine((options) => options.largeLongs === undefined || options.values === "plain", { message: 'largeLongs applies to values: "plain"', path: ["largeLongs"] })
  .superRefine((options, context) => {
    // A copied collection the watcher does not deliver would be read for nothing.
    const watched = new NamespaceFilter(options.include, options.exclude);
    for (const [index, pattern] of (options.copy?.collections ?? []).entries()) {
      if (hasGlob(pattern) || !pattern.includes(".") || watched.includes(splitNamespace(pattern))) continue;
      context.addIssue({ code: "custom", message: `${pattern} is not among the namespaces this watcher delivers (include/exclude)`, path: ["copy", "collections", index] });
    }
  })
  .refine((options) => options.copy === undefined || options.operations === undefined || options.operations.includes("insert"), {
    message: "the copy delivers each document as an insert: list \"insert\" in operations, or leave operations out",
    path: ["operations"],
  });

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
    concurrency: parsed.concurrency,
    handlerRetry: {
      attempts: parsed.handlerRetry.attempts,
      backoff: { initialDelayMs: parsed.handlerRetry.initialDelayMs, maxDelayMs: parsed.handlerRetry.maxDelayMs },
      onExhausted: parsed.handlerRetry.onExhausted,
      deadLetter: parsed.handlerRetry.deadLetter,
    },
    copy: parsed.copy,
    values: parsed.values === "plain" ? { mode: "plain", largeLongs: parsed.largeLongs ?? "bigint" } : { mode: "bson" },
    retry: parsed.retry,
    maxAwaitTimeMs: parsed.maxAwaitTimeMs,
    serverSelectionTimeoutMs: parsed.serverSelectionTimeoutMs,
    // The caller's logger never sees a secret: every line is redacted, as the CLI's are.
    logger: parsed.logger ? redactingLogger(parsed.logger) : silentLogger(),
    readAhead: WATCH_READ_AHEAD,
  };
}

function scopeOf(scope: { db?: string; coll?: string }): WatchScope {
  if (scope.db === undefined) return { kind: "deployment" };
  return scope.coll === undefined ? { kind: "database", db: scope.db } : { kind: "collection", db: scope.db, coll: scope.coll };
}

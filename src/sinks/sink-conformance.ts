import { BSON, type Document } from "../core/bson.js";
import type { Position } from "../core/position.js";
import type { Batch, Sink } from "../core/sink.js";
import { conformanceChanges, type ConformanceChanges } from "./sink-conformance-changes.js";

/**
 * The rules {@link checkSinkConformance} checks, in the order it checks them, each with what it
 * demands.
 * @public
 */
export const SinkConformanceRules = {
  shape: "a sink has a non-empty `name`, a boolean `transactional`, `open`, `apply` and `close` functions, and well-formed `capabilities` when it has any",
  open: "open() resolves to a position or to undefined",
  "snapshot-batch": "a batch of snapshot events (source: \"snapshot\", no position) is applied",
  "change-batch": "a batch of inserts, updates (one without its full document), a replace and deletes of several keys (one never inserted) is applied",
  replay: "the same batch applied again is applied (writes are idempotent)",
  "position-only-batch": "a batch with no events and a later position is applied",
  "batch-untouched": "apply() leaves the batch it was given as it was",
  close: "close() resolves",
  "reopen-position": "a new sink over the same storage opens at the last position applied",
  "read-back": "with the readBack capability: the documents still present are read back, the deleted ones are not",
  "read-back-content": "with the readBack capability: what is read back is the last state of each document",
} as const;

/** @public */
export type SinkConformanceRule = keyof typeof SinkConformanceRules;

/** @public */
export interface SinkConformanceOptions {
  /** The collection (`db.coll`) the test changes belong to; default `"tributary_conformance.customers"`. */
  readonly namespace?: string;
  /**
   * Whether the sink keeps its position across restarts (default true). A sink that keeps none
   * (it always starts from now) skips `reopen-position`.
   */
  readonly keepsPosition?: boolean;
  /**
   * The read-back check, when the sink has the `readBack` capability: `false` skips it;
   * `toDocument` turns a row read back into the document it stands for (default: the row's `doc`
   * field, when it is a document; otherwise only presence is checked).
   */
  readonly readBack?: false | { readonly toDocument?: (row: Readonly<Record<string, unknown>>) => Document | undefined };
  /** How long each call into the sink may take before it counts as hung; default 60000 ms. */
  readonly timeoutMs?: number;
  /** The time of the test changes' positions and dates; default now. */
  readonly now?: Date;
}

/** What a conforming sink passed and which rules did not apply to it. @public */
export interface SinkConformanceReport {
  readonly sink: string;
  readonly transactional: boolean;
  readonly passed: readonly SinkConformanceRule[];
  readonly skipped: readonly { readonly rule: SinkConformanceRule; readonly reason: string }[];
}

/** The first rule a sink broke, what happened, and the sink's own error as `cause`. @public */
export class SinkConformanceError extends Error {
  readonly rule: SinkConformanceRule;
  readonly sink: string;

  constructor(sink: string, rule: SinkConformanceRule, detail: string, cause?: unknown) {
    super(`Sink '${sink}' breaks rule '${rule}' (${SinkConformanceRules[rule]}): ${detail}`, cause === undefined ? undefined : { cause });
    this.name = "SinkConformanceError";
    this.rule = rule;
    this.sink = sink;
  }
}

/**
 * Checks that a sink keeps the contract every sink must keep, with realistic changes: it opens,
 * takes snapshot events, a batch of changes to several documents, the same batch again, a
 * position-only batch, closes, and a new sink from `createSink` opens at the last position (and,
 * with the `readBack` capability, holds the last state of each document). Independent of any
 * test runner: resolves to a report, or rejects with a {@link SinkConformanceError} naming the
 * first rule broken.
 *
 * `createSink` is called twice and must give sinks over the same storage (same file, same
 * database, same position store), empty or holding only earlier runs of this check.
 * @public
 */
export async function checkSinkConformance(createSink: () => Sink | Promise<Sink>, options: SinkConformanceOptions = {}): Promise<SinkConformanceReport> {
  const changes = conformanceChanges(options.namespace ?? "tributary_conformance.customers", options.now);
  const run = new ConformanceRun(options.timeoutMs ?? 60_000);

  const first = await run.create(createSink);
  await run.step(first, "open", async () => checkPosition(first, await run.call(first, "open", () => first.open())));
  await run.applies(first, "snapshot-batch", changes.snapshot);
  await run.applies(first, "change-batch", changes.changes);
  await run.applies(first, "replay", changes.changes);
  await run.applies(first, "position-only-batch", changes.positionOnly);
  run.pass("batch-untouched");
  await run.closes(first);

  const second = await run.create(createSink);
  try {
    const reopened = await run.call(second, "reopen-position", () => second.open());
    if (options.keepsPosition === false) run.skip("reopen-position", "the sink keeps no position (keepsPosition: false)");
    else {
      if (reopened?.key !== changes.positionOnly.position.key) {
        throw new SinkConformanceError(second.name, "reopen-position", `open() returned ${describePosition(reopened)}, expected ${describePosition(changes.positionOnly.position)}`);
      }
      run.pass("reopen-position");
    }
    await checkReadBack(run, second, changes, options.readBack);
  } catch (error) {
    await second.close().catch(() => undefined);
    throw error;
  }
  await run.closes(second);
  return { sink: first.name, transactional: first.transactional, passed: run.passed, skipped: run.skipped };
}

class ConformanceRun {
  readonly passed: SinkConformanceRule[] = [];
  readonly skipped: { rule: SinkConformanceRule; reason: string }[] = [];
  private readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  pass(rule: SinkConformanceRule): void {
    if (!this.passed.includes(rule)) this.passed.push(rule);
  }

  skip(rule: SinkConformanceRule, reason: string): void {
    if (!this.skipped.some((each) => each.rule === rule)) this.skipped.push({ rule, reason });
  }

  async create(createSink: () => Sink | Promise<Sink>): Promise<Sink> {
    let sink: unknown;
    try {
      sink = await createSink();
    } catch (error) {
      throw new SinkConformanceError("(not created)", "shape", `createSink() threw: ${messageOf(error)}`, error);
    }
    checkShape(sink);
    this.pass("shape");
    return sink;
  }

  /** Runs one call into the sink under the rule, closing the sink when it breaks it. */
  async step(sink: Sink, rule: SinkConformanceRule, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      await sink.close().catch(() => undefined);
      throw error instanceof SinkConformanceError ? error : new SinkConformanceError(sink.name, rule, `it threw: ${messageOf(error)}`, error);
    }
    this.pass(rule);
  }

  /** A call into the sink that must settle within the timeout; a throw breaks `rule`. */
  async call<T>(sink: Sink, rule: SinkConformanceRule, work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SinkConformanceError(sink.name, rule, `it did not settle within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } catch (error) {
      throw error instanceof SinkConformanceError ? error : new SinkConformanceError(sink.name, rule, `it threw: ${messageOf(error)}`, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async applies(sink: Sink, rule: SinkConformanceRule, batch: Batch): Promise<void> {
    const before = canonical(batch);
    await this.step(sink, rule, async () => {
      await this.call(sink, rule, () => sink.apply(batch));
      if (canonical(batch) !== before) throw new SinkConformanceError(sink.name, "batch-untouched", `apply() of the ${rule} changed the batch it was given`);
    });
  }

  async closes(sink: Sink): Promise<void> {
    await this.call(sink, "close", () => sink.close());
    this.pass("close");
  }
}

function checkShape(sink: unknown): asserts sink is Sink {
  const problem = shapeProblem(sink);
  if (problem) {
    const name = typeof (sink as { name?: unknown } | null)?.name === "string" ? (sink as { name: string }).name : "(unnamed)";
    throw new SinkConformanceError(name, "shape", problem);
  }
}

function shapeProblem(sink: unknown): string | undefined {
  if (typeof sink !== "object" || sink === null) return `createSink() gave ${sink === null ? "null" : typeof sink}, not a sink object`;
  const candidate = sink as Record<string, unknown>;
  if (typeof candidate.name !== "string" || candidate.name === "") return "`name` is not a non-empty string";
  if (typeof candidate.transactional !== "boolean") return "`transactional` is not a boolean";
  for (const method of ["open", "apply", "close"]) if (typeof candidate[method] !== "function") return `\`${method}\` is not a function`;
  const capabilities = candidate.capabilities;
  if (capabilities === undefined) return undefined;
  if (typeof capabilities !== "object" || capabilities === null) return "`capabilities` is not an object";
  const readBack = (capabilities as Record<string, unknown>).readBack;
  if (readBack !== undefined && typeof (readBack as { read?: unknown } | null)?.read !== "function") return "`capabilities.readBack.read` is not a function";
  return undefined;
}

function checkPosition(sink: Sink, position: unknown): void {
  if (position === undefined) return;
  const candidate = position as Partial<Position> | null;
  if (typeof candidate?.key !== "string" || typeof candidate.resumeToken?._data !== "string" || candidate.clusterTime === undefined) {
    throw new SinkConformanceError(sink.name, "open", `open() resolved to ${describeValue(position)}, which is neither undefined nor a position`);
  }
}

async function checkReadBack(run: ConformanceRun, sink: Sink, changes: ConformanceChanges, option: SinkConformanceOptions["readBack"]): Promise<void> {
  const readBack = sink.capabilities?.readBack;
  if (!readBack || option === false) {
    const reason = readBack ? "turned off (readBack: false)" : "the sink has no readBack capability";
    run.skip("read-back", reason);
    run.skip("read-back-content", reason);
    return;
  }
  const rows = await run.call(sink, "read-back", () => readBack.read(changes.namespace, changes.ids));
  if (!(rows instanceof Map)) throw new SinkConformanceError(sink.name, "read-back", `read() resolved to ${describeValue(rows)}, not a Map`);
  for (const key of changes.expected.keys()) {
    if (!rows.has(key)) throw new SinkConformanceError(sink.name, "read-back", `the document with key ${key} is missing`);
  }
  for (const key of rows.keys()) {
    if (!changes.expected.has(key)) throw new SinkConformanceError(sink.name, "read-back", `the document with key ${String(key)} was read back, but it was deleted or never written`);
  }
  run.pass("read-back");
  const toDocument = (option === undefined ? undefined : option.toDocument) ?? docOfRow;
  let compared = 0;
  for (const [key, expected] of changes.expected) {
    const actual = toDocument(rows.get(key) ?? {});
    if (actual === undefined) continue;
    compared += 1;
    if (canonical(actual) !== canonical(expected)) {
      throw new SinkConformanceError(sink.name, "read-back-content", `the document with key ${key} reads back as ${canonical(actual)}, expected ${canonical(expected)}`);
    }
  }
  if (compared === 0) run.skip("read-back-content", "its rows have no `doc` document; give readBack.toDocument to compare them");
  else run.pass("read-back-content");
}

function docOfRow(row: Readonly<Record<string, unknown>>): Document | undefined {
  const doc = row.doc;
  return typeof doc === "object" && doc !== null && !Array.isArray(doc) ? (doc as Document) : undefined;
}

/** Canonical Extended JSON with sorted keys: equal for the same BSON values in any field order. */
function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(BSON.EJSON.serialize({ value }, { relaxed: false })));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  );
}

function describePosition(position: Position | undefined): string {
  return position ? `the position ${position.key}` : "no position";
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return `${typeof value} ${String(value)}`;
  return Array.isArray(value) ? "an array" : `an object with keys ${Object.keys(value).join(", ") || "(none)"}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

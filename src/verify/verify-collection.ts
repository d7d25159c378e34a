import type { Logger } from "../core/logger.js";
import { comparePositions, positionDate, type Position } from "../core/position.js";
import type { Sink, Verifiable } from "../core/sink.js";
import type { IdRange } from "../core/snapshot-contract.js";
import { narrowSegments } from "./bisect-narrowing.js";
import { copyAgain } from "./copy-again.js";
import { DifferenceList } from "./difference-list.js";
import { compareKeysNow } from "./key-classifier.js";
import { tallyHeld, tallySource, type PassContext } from "./range-passes.js";
import type { RangeTally } from "./range-tally.js";
import type { Segment } from "./segments.js";
import type { CollectionVerification, KeyDifference, Recheck } from "./verify-report.js";
import type { VerifySource } from "./verify-source.js";

/**
 * The most documents per chunk verify reads, whatever the snapshot's `chunkSize`. Verify holds a
 * chunk's documents, their canonical texts and the copy's rows together, and its time goes more
 * and more to the garbage collector as chunks grow: 40000 documents at P=4 took 2.9 s in chunks of
 * 1000, 3.4 s in chunks of 2000, 4.5 s in chunks of 5000, and 3.0–3.1 s in chunks of 250 or 500
 * (docs/benchmarks.md, thirteenth pass). A snapshot's chunks gain from size instead: each is a
 * transaction whose round trips PostgreSQL waits for.
 */
const MAX_VERIFY_CHUNK = 1_000;

/** @internal */
export interface VerifySettings {
  readonly parallelism: number;
  /** The snapshot's documents per chunk; verify reads at most 1000 a chunk (see MAX_VERIFY_CHUNK). */
  readonly chunkSize: number;
  /** About this many documents per `_id` range, as the snapshot plans them. */
  readonly rangeSize: number;
  /** Check only this many ranges per collection, chosen at random; every range when absent (`--full`). */
  readonly sampleRanges?: number;
  /** How long to wait for the sync to pass the time differences were found, before re-checking them. */
  readonly settleTimeoutMs: number;
  /** How often to look at the sync's position while waiting. */
  readonly pollMs?: number;
  /** Copy differing keys again from the source, then check them again. */
  readonly repair: boolean;
  /** Source documents held at once while matching differing segments key by key (default 200,000). */
  readonly maxHeldWhileNarrowing?: number;
  /** Differing segments of at most this many documents are matched key by key; larger ones are split first (default 1,000). */
  readonly narrowTo?: number;
  /** Differences (and expected-missing documents) listed per collection; more are counted, not listed (default 1,000). */
  readonly maxDifferences?: number;
}

/** @internal */
export interface VerifyContext {
  readonly source: VerifySource;
  readonly sink: Sink & { readonly capabilities: { readonly verifiable: Verifiable } };
  readonly settings: VerifySettings;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Called as source ranges are read: ranges done of ranges to read, documents so far. */
  readonly onProgress?: (namespace: string, rangesDone: number, ranges: number, documents: number) => void;
}

const MAX_RANGES = 1_000;
/** Differences listed per collection unless `maxDifferences` says otherwise. */
export const MAX_DIFFERENCES = 1_000;

/**
 * Verifies one collection against one sink: plans `_id` ranges as the snapshot does, compares
 * each range's count and order-independent hash on both sides, narrows the ranges that differ
 * down to keys (by splitting them, so only the parts that differ are matched key by key), re-checks those keys once the sync has passed the time they were found (changes
 * in flight settle), and with `repair` copies them again and checks them once more.
 * @internal
 */
export async function verifyCollection(namespace: string, context: VerifyContext): Promise<CollectionVerification> {
  const started = Date.now();
  const { source, settings } = context;
  const verifiable = context.sink.capabilities.verifiable;
  const began = await source.startPosition();
  const estimated = await source.estimateCount(namespace);
  const count = Math.min(MAX_RANGES, Math.max(1, Math.ceil(estimated / settings.rangeSize)));
  const ranges = count > 1 ? await source.planRanges(namespace, count) : [{}];
  const chosen = chooseRanges(ranges.length, settings.sampleRanges);
  let rangesDone = 0;
  let documents = 0;
  const pass: PassContext = {
    namespace,
    source,
    verifiable,
    settings: { ...settings, chunkSize: Math.min(settings.chunkSize, MAX_VERIFY_CHUNK) },
    signal: context.signal,
    onRange: (read) => {
      rangesDone += 1;
      documents += read;
      context.onProgress?.(namespace, rangesDone, chosen.length, documents);
    },
  };
  const expected = await tallySource(ranges, chosen, pass);
  const held = await tallyHeld(ranges, chosen, pass);
  const differing: Segment[] = chosen.flatMap((index) => {
    const source = expected.get(index) as RangeTally;
    const target = held.get(index) as RangeTally;
    return source.equals(target) ? [] : [{ range: ranges[index] as IdRange, source: source.count, held: target.count }];
  });
  const heldCount = [...held.values()].reduce((sum, tally) => sum + tally.count, 0);
  const list = new DifferenceList(settings.maxDifferences ?? MAX_DIFFERENCES, positionDate(began));
  let narrowing: CollectionVerification["narrowing"];
  let recheck: Recheck | undefined;
  let repair: CollectionVerification["repair"];
  if (differing.length > 0) {
    const deadLetters = await verifiable.deadLetterKeys(namespace);
    narrowing = await narrowSegments(differing, deadLetters, list, { ...pass, onRange: undefined });
    if (list.differences.length > 0) recheck = await recheckListed(namespace, list, deadLetters, context);
    if (settings.repair && list.differences.length > 0) {
      const listed = [...list.differences];
      await repairKeys(namespace, listed, context);
      const now = await compareKeysNow(namespace, listed, deadLetters, { source, verifiable });
      list.replace(listed, now);
      repair = { keys: listed.length, remaining: now.differences.length };
    }
  }
  const verification: CollectionVerification = {
    namespace,
    sink: context.sink.name,
    documents,
    held: heldCount,
    ranges: ranges.length,
    rangesChecked: chosen.length,
    rangesDiffering: differing.length,
    differences: list.differences,
    differenceCounts: list.counts,
    differenceCount: list.total,
    expectedMissing: list.expectedMissing,
    expectedMissingCount: list.expectedMissingCount,
    capped: list.capped,
    ...(narrowing ? { narrowing } : {}),
    ...(recheck ? { recheck } : {}),
    ...(repair ? { repair } : {}),
    equal: list.total === 0,
    durationMs: Date.now() - started,
  };
  context.logger.info({ collection: namespace, sink: context.sink.name, documents, differences: list.total, expectedMissing: list.expectedMissingCount }, "collection verified");
  return verification;
}

/**
 * Re-checks the listed differences: the source is read again first, the target once the sync has
 * passed the time of that read, so changes that were in flight settle. What is still different
 * replaces them in the list.
 */
async function recheckListed(namespace: string, list: DifferenceList, deadLetters: ReadonlySet<string>, context: VerifyContext): Promise<Recheck> {
  const { source, settings } = context;
  const verifiable = context.sink.capabilities.verifiable;
  const listed = [...list.differences];
  const changedDuringVerify = list.changedDuringVerify;
  const again = await compareKeysNow(namespace, listed, deadLetters, { source, verifiable }, async () => waitForSync(verifiable, await source.startPosition(), settings, context.signal));
  if (typeof again === "string") return { keys: 0, resolved: [], changedDuringVerify, skipped: again };
  const still = new Set(again.differences.map((difference) => difference.key));
  list.replace(listed, again);
  return { keys: listed.length, resolved: listed.filter((difference) => !still.has(difference.key)).map((difference) => difference.key), changedDuringVerify };
}

/** Every range, or `sample` of them at random, in range order. */
function chooseRanges(total: number, sample: number | undefined): number[] {
  const all = Array.from({ length: total }, (_, index) => index);
  if (sample === undefined || sample >= total) return all;
  for (let index = all.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [all[index], all[other]] = [all[other] as number, all[index] as number];
  }
  return all.slice(0, sample).sort((a, b) => a - b);
}

/** Waits until the sink's data has reached `mark`: true, or why not. */
async function waitForSync(verifiable: Verifiable, mark: Position, settings: VerifySettings, signal: AbortSignal): Promise<true | string> {
  const deadline = Date.now() + settings.settleTimeoutMs;
  let synced = await verifiable.syncedTo();
  while (!synced || comparePositions(synced, mark) < 0) {
    if (signal.aborted) return "verify was stopped";
    if (Date.now() >= deadline) {
      const where = synced ? `its position is ${positionDate(synced).toISOString()}` : "it has stored no position";
      return `the sync did not reach ${positionDate(mark).toISOString()} within ${Math.round(settings.settleTimeoutMs / 1000)} s (${where}); is it running?`;
    }
    await new Promise((resolve) => setTimeout(resolve, settings.pollMs ?? 500));
    synced = await verifiable.syncedTo();
  }
  return true;
}

/**
 * Copies differing keys again as the snapshot copies documents (`copyAgain`: inserts at a
 * position fixed before reading, upserts by key, so repeating it is harmless; a batch per group
 * MongoDB reads), and deletes what the source no longer has; a row the running sync wrote from a
 * change of that position's second or later stays as it is (`keepNewer`).
 */
async function repairKeys(namespace: string, differences: readonly KeyDifference[], context: VerifyContext): Promise<void> {
  const at = await context.source.startPosition();
  const { copied, deleted } = await copyAgain(namespace, differences.map((difference) => difference.id), at, context.source, context.sink, context.signal);
  context.logger.info({ collection: namespace, copied, deleted }, "differing keys repaired");
}


import type { ExpectedFingerprint, HeldFingerprint, Verifiable } from "../core/sink.js";
import type { IdRange } from "../core/snapshot-contract.js";
import { runParallel } from "../snapshot/run-parallel.js";
import { classifyNow, KeyClassifier, readKeysNow } from "./key-classifier.js";
import { rangeIndexOf } from "./range-lookup.js";
import { RangeTally } from "./range-tally.js";
import type { ExpectedMissing, KeyDifference } from "./verify-report.js";
import type { VerifySource } from "./verify-source.js";

/** How a collection is read: the snapshot's settings. */
export interface PassSettings {
  readonly parallelism: number;
  readonly chunkSize: number;
  /** Target documents held at once while narrowing (default {@link MAX_HELD_WHILE_NARROWING}). */
  readonly maxHeldWhileNarrowing?: number;
}

export interface PassContext {
  readonly namespace: string;
  readonly source: VerifySource;
  readonly verifiable: Verifiable;
  readonly settings: PassSettings;
  readonly signal: AbortSignal;
  /** Called as each source range has been read, with its documents. */
  readonly onRange?: (documents: number) => void;
}

/** The tally of a rejected document: it differs from every held one, so its range is narrowed and the document classified. */
function tallied(expected: ExpectedFingerprint): string {
  return "rejected" in expected ? `\u0000rejected:${expected.key}` : expected.canonical;
}

/**
 * Tallies the chosen ranges on the source side: each range read as the snapshot reads it
 * (`parallelism` at once, in chunks), each document fingerprinted as the target would hold it.
 * Memory holds one chunk per range in flight.
 */
export async function tallySource(ranges: readonly IdRange[], chosen: readonly number[], context: PassContext): Promise<Map<number, RangeTally>> {
  const tallies = new Map(chosen.map((index) => [index, new RangeTally()]));
  await runParallel(
    chosen,
    context.settings.parallelism,
    async (index, signal) => {
      const tally = tallies.get(index) as RangeTally;
      for await (const chunk of context.source.readRange(context.namespace, ranges[index] as IdRange, context.settings.chunkSize, signal)) {
        for (const expected of await context.verifiable.expected(context.namespace, chunk)) tally.add(tallied(expected));
      }
      context.onRange?.(tally.count);
    },
    context.signal,
  );
  return tallies;
}

/** Tallies what the target holds, each document into the range its `_id` falls in (one streamed scan). */
export async function tallyHeld(ranges: readonly IdRange[], chosen: readonly number[], context: PassContext): Promise<Map<number, RangeTally>> {
  const tallies = new Map(chosen.map((index) => [index, new RangeTally()]));
  for await (const chunk of context.verifiable.held(context.namespace, context.settings.chunkSize, context.signal)) {
    for (const held of chunk) tallies.get(rangeIndexOf(ranges, held.id))?.add(held.canonical);
  }
  return tallies;
}

/** Target documents held at once while narrowing: differing ranges are narrowed in groups that hold about this many. */
const MAX_HELD_WHILE_NARROWING = 200_000;

/**
 * Narrows differing ranges down to keys, in groups of ranges whose target documents fit in
 * {@link MAX_HELD_WHILE_NARROWING} (by their tallies): per group, one more scan of the target
 * keeps the group's documents, then each range is read from the source again and matched key by
 * key. Memory stays bounded whatever the number of differing ranges; each group costs one scan.
 */
export async function narrowRanges(
  ranges: readonly IdRange[],
  differing: readonly number[],
  sizes: ReadonlyMap<number, number>,
  deadLetters: ReadonlySet<string>,
  context: PassContext,
): Promise<{ differences: KeyDifference[]; expectedMissing: ExpectedMissing[]; held: HeldFingerprint[] }> {
  const differences: KeyDifference[] = [];
  const expectedMissing: ExpectedMissing[] = [];
  const held: HeldFingerprint[] = [];
  for (const group of groupBySize(differing, sizes, context.settings.maxHeldWhileNarrowing ?? MAX_HELD_WHILE_NARROWING)) {
    const narrowed = await narrowGroup(ranges, group, deadLetters, context);
    differences.push(...narrowed.differences);
    expectedMissing.push(...narrowed.expectedMissing);
    // Only what differs is kept for the caller (when each differing key was last written).
    const differingKeys = new Set(narrowed.differences.map((difference) => difference.key));
    held.push(...narrowed.held.filter((each) => differingKeys.has(each.key)));
  }
  return { ...(await reconcileAcrossGroups(differences, deadLetters, context)), expectedMissing, held };
}

/**
 * A key both missing (its document in one group's range) and extra (its row placed in another
 * group's range: a relational key whose text reads as another `_id` type) is one document:
 * compared again by key.
 */
async function reconcileAcrossGroups(differences: KeyDifference[], deadLetters: ReadonlySet<string>, context: PassContext): Promise<{ differences: KeyDifference[] }> {
  const missing = new Set(differences.filter((each) => each.kind === "missing").map((each) => each.key));
  const split = new Set(differences.filter((each) => each.kind === "extra" && missing.has(each.key)).map((each) => each.key));
  if (split.size === 0) return { differences };
  const again = classifyNow(await readKeysNow(context.namespace, differences.filter((each) => each.kind === "missing" && split.has(each.key)), context.source, context.verifiable), deadLetters);
  return { differences: [...differences.filter((each) => !split.has(each.key)), ...again.differences] };
}

/** Consecutive groups of ranges whose sizes add up to at most `limit` (a range larger than it is a group of its own). */
function groupBySize(indexes: readonly number[], sizes: ReadonlyMap<number, number>, limit: number): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let total = 0;
  for (const index of indexes) {
    const size = sizes.get(index) ?? 0;
    if (current.length > 0 && total + size > limit) {
      groups.push(current);
      current = [];
      total = 0;
    }
    current.push(index);
    total += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

async function narrowGroup(ranges: readonly IdRange[], differing: readonly number[], deadLetters: ReadonlySet<string>, context: PassContext): Promise<{ differences: KeyDifference[]; expectedMissing: ExpectedMissing[]; held: HeldFingerprint[] }> {
  const wanted = new Set(differing);
  const held: HeldFingerprint[] = [];
  for await (const chunk of context.verifiable.held(context.namespace, context.settings.chunkSize, context.signal)) {
    for (const each of chunk) if (wanted.has(rangeIndexOf(ranges, each.id))) held.push(each);
  }
  const classifier = new KeyClassifier(held, deadLetters);
  await runParallel(
    differing,
    context.settings.parallelism,
    async (index, signal) => {
      for await (const chunk of context.source.readRange(context.namespace, ranges[index] as IdRange, context.settings.chunkSize, signal)) {
        for (const expected of await context.verifiable.expected(context.namespace, chunk)) classifier.expect(expected);
      }
    },
    context.signal,
  );
  return { ...classifier.finish(), held };
}

import type { ExpectedFingerprint, HeldFingerprint, Verifiable } from "../core/sink.js";
import type { IdRange } from "../core/snapshot-contract.js";
import { runParallel } from "../snapshot/run-parallel.js";
import { KeyClassifier } from "./key-classifier.js";
import { rangeIndexOf } from "./range-lookup.js";
import { RangeTally } from "./range-tally.js";
import type { ExpectedMissing, KeyDifference } from "./verify-report.js";
import type { VerifySource } from "./verify-source.js";

/** How a collection is read: the snapshot's settings. */
export interface PassSettings {
  readonly parallelism: number;
  readonly chunkSize: number;
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

/**
 * Narrows differing ranges down to keys: the target's documents of those ranges are kept (one
 * more scan), then each range is read from the source again and matched key by key. Memory
 * holds the differing ranges' target documents, about `rangeSize` each.
 */
export async function narrowRanges(ranges: readonly IdRange[], differing: readonly number[], deadLetters: ReadonlySet<string>, context: PassContext): Promise<{ differences: KeyDifference[]; expectedMissing: ExpectedMissing[]; held: HeldFingerprint[] }> {
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

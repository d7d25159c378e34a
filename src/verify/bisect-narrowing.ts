import type { IdRange } from "../core/snapshot-contract.js";
import { isFaithfulIdValue } from "../codec/id-bound.js";
import { runParallel } from "../snapshot/run-parallel.js";
import type { DifferenceList } from "./difference-list.js";
import { matchKeys, matchSplitKeys, type NarrowingWork } from "./key-matching.js";
import { tallied, type PassContext } from "./range-passes.js";
import { RangeTally } from "./range-tally.js";
import { rangeBetween, segmentIndexOf, type Segment } from "./segments.js";

/** Differing segments of at most this many documents (on either side) are matched key by key. */
const NARROW_TO = 1_000;
/** A differing segment is split into at most this many parts at a time. */
const MAX_PARTS = 64;

/**
 * Narrows differing segments down to keys by splitting them: a segment larger than the
 * threshold is read from the source again and cut, at the `_id`s it reads, into parts of about
 * half the threshold (at most {@link MAX_PARTS}), each tallied on both sides (one more scan of the
 * target per level, for every segment split at that level); only the parts whose tallies differ
 * go on, until they are small enough to match key by key. A large range with few differences is
 * thus matched key by key only around them, and memory holds tallies and small segments.
 * Segments are sorted and disjoint.
 */
export async function narrowSegments(segments: readonly Segment[], deadLetters: ReadonlySet<string>, list: DifferenceList, context: PassContext): Promise<NarrowingWork> {
  const threshold = context.settings.narrowTo ?? NARROW_TO;
  const work: NarrowingWork = { levels: 0, documentsMatched: 0 };
  const small = (segment: Segment): boolean => segment.whole === true || segment.source === 0 || segment.held === 0 || Math.max(segment.source, segment.held) <= threshold;
  let pending = segments;
  while (pending.length > 0 && !context.signal.aborted) {
    await matchKeys(pending.filter(small), deadLetters, list, context, work);
    const larger = pending.filter((segment) => !small(segment));
    if (larger.length === 0) break;
    work.levels += 1;
    pending = await splitDiffering(larger, threshold, context);
  }
  await matchSplitKeys(list, deadLetters, context);
  return work;
}

interface Part {
  readonly range: IdRange;
  readonly tally: RangeTally;
}

/** Splits each segment into parts tallied on both sides: the parts that differ. */
async function splitDiffering(segments: readonly Segment[], threshold: number, context: PassContext): Promise<Segment[]> {
  const parts: Part[][] = segments.map(() => []);
  await runParallel(
    segments.map((_, index) => index),
    context.settings.parallelism,
    async (index, signal) => {
      parts[index] = await splitRead(segments[index] as Segment, threshold, context, signal);
    },
    context.signal,
  );
  const all = parts.flat();
  const held = all.map(() => new RangeTally());
  for await (const chunk of context.verifiable.held(context.namespace, context.settings.chunkSize, context.signal)) {
    for (const each of chunk) held[segmentIndexOf(all, each.id)]?.add(each.canonical);
  }
  const whole = new Set(parts.filter((each) => each.length === 1).map((each) => each[0]));
  return all.flatMap((part, index) => {
    const target = held[index] as RangeTally;
    return part.tally.equals(target) ? [] : [{ range: part.range, source: part.tally.count, held: target.count, ...(whole.has(part) ? { whole: true } : {}) }];
  });
}

/**
 * Reads a segment from the source and cuts it, as it reads, into parts of about
 * `segment.source / parts` documents, each starting at an `_id` that can serve as a bound
 * (`isFaithfulIdValue`), each tallied. One part when no `_id` could split it.
 */
async function splitRead(segment: Segment, threshold: number, context: PassContext, signal: AbortSignal): Promise<Part[]> {
  // Parts of about half the threshold, so that a part with a difference or two is small enough to match.
  const count = Math.min(MAX_PARTS, Math.max(2, Math.ceil((2 * Math.max(segment.source, segment.held)) / threshold)));
  const per = Math.max(1, Math.ceil(segment.source / count));
  const parts: Part[] = [];
  let lower = segment.range.lower;
  let tally = new RangeTally();
  for await (const chunk of context.source.readRange(context.namespace, segment.range, context.settings.chunkSize, signal)) {
    for (const expected of await context.verifiable.expected(context.namespace, chunk)) {
      if (tally.count >= per && isFaithfulIdValue(expected.id)) {
        parts.push({ range: rangeBetween(lower, expected.id), tally });
        lower = expected.id;
        tally = new RangeTally();
      }
      tally.add(tallied(expected));
    }
  }
  parts.push({ range: rangeBetween(lower, segment.range.upper), tally });
  return parts;
}

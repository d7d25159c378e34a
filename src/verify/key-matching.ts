import type { ExpectedFingerprint } from "../core/sink.js";
import { runParallel } from "../snapshot/run-parallel.js";
import { compareKey, type DifferenceList } from "./difference-list.js";
import { compareKeysNow } from "./key-classifier.js";
import type { PassContext } from "./range-passes.js";
import { segmentIndexOf, type Segment } from "./segments.js";

/** Source documents held at once while matching key by key: segments are matched in groups that hold about this many. */
const MAX_HELD_WHILE_MATCHING = 200_000;

/** What narrowing did: split levels, and source documents matched key by key. */
export interface NarrowingWork {
  levels: number;
  documentsMatched: number;
}

/**
 * Matches differing segments key by key. A segment the target holds nothing of is streamed: each
 * source document is missing (or expected missing). Others are matched in groups whose source
 * documents fit in {@link MAX_HELD_WHILE_MATCHING}: the group's source documents are kept by key,
 * then one scan of the target matches each row in the group's segments with its document; a row
 * no document claims is extra, a document no row claimed is missing. `segments` are sorted.
 */
export async function matchKeys(segments: readonly Segment[], deadLetters: ReadonlySet<string>, list: DifferenceList, context: PassContext, work: NarrowingWork): Promise<void> {
  await readExpected(
    segments.filter((segment) => segment.held === 0),
    context,
    work,
    (each) => list.add(compareKey(each, undefined, deadLetters)),
  );
  const limit = context.settings.maxHeldWhileNarrowing ?? MAX_HELD_WHILE_MATCHING;
  for (const group of groupBySize(segments.filter((segment) => segment.held > 0), limit)) await matchGroup(group, deadLetters, list, context, work);
}

async function matchGroup(group: readonly Segment[], deadLetters: ReadonlySet<string>, list: DifferenceList, context: PassContext, work: NarrowingWork): Promise<void> {
  const expected = new Map<string, ExpectedFingerprint>();
  await readExpected(group, context, work, (each) => expected.set(each.key, each));
  for await (const chunk of context.verifiable.held(context.namespace, context.settings.chunkSize, context.signal)) {
    for (const held of chunk) {
      if (segmentIndexOf(group, held.id) < 0) continue;
      list.add(compareKey(expected.get(held.key), held, deadLetters), held);
      expected.delete(held.key);
    }
  }
  for (const each of expected.values()) list.add(compareKey(each, undefined, deadLetters));
}

/** Reads segments from the source (`parallelism` at once), hands on each document as the target would hold it, and counts it as matched. */
async function readExpected(segments: readonly Segment[], context: PassContext, work: NarrowingWork, each: (expected: ExpectedFingerprint) => void): Promise<void> {
  await runParallel(
    segments,
    context.settings.parallelism,
    async (segment, signal) => {
      for await (const chunk of context.source.readRange(context.namespace, segment.range, context.settings.chunkSize, signal)) {
        const expected = await context.verifiable.expected(context.namespace, chunk);
        work.documentsMatched += expected.length;
        for (const one of expected) each(one);
      }
    },
    context.signal,
  );
}

/** Consecutive groups of segments whose source documents add up to at most `limit` (a larger segment is a group of its own). */
function groupBySize(segments: readonly Segment[], limit: number): Segment[][] {
  const groups: Segment[][] = [];
  let current: Segment[] = [];
  let total = 0;
  for (const segment of segments) {
    if (current.length > 0 && total + segment.source > limit) {
      groups.push(current);
      current = [];
      total = 0;
    }
    current.push(segment);
    total += segment.source;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * A key listed both missing (its document in one segment) and extra (its row placed in another:
 * a relational key whose text reads as another `_id` type, matched in another group) is one
 * document: compared again by key.
 */
export async function matchSplitKeys(list: DifferenceList, deadLetters: ReadonlySet<string>, context: PassContext): Promise<void> {
  const missing = new Set(list.differences.filter((each) => each.kind === "missing").map((each) => each.key));
  const both = new Set(list.differences.filter((each) => each.kind === "extra" && missing.has(each.key)).map((each) => each.key));
  const split = list.differences.filter((each) => both.has(each.key));
  if (split.length === 0) return;
  const reread = split.filter((each) => each.kind === "missing");
  list.replace(split, await compareKeysNow(context.namespace, reread, deadLetters, context));
}

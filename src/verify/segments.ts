import type { IdRange } from "../core/snapshot-contract.js";
import { compareBsonValues } from "../snapshot/bson-order.js";

/** A part of a collection by `_id` whose tallies differed, with the counts each side had in it. */
export interface Segment {
  readonly range: IdRange;
  /** Documents the source had in it when tallied. */
  readonly source: number;
  /** Documents the target had in it when tallied. */
  readonly held: number;
  /** True when the source had no `_id` in it to split it at: it is matched key by key, whatever its size. */
  readonly whole?: boolean;
}

/** The range from `lower` (inclusive) to `upper` (exclusive); an absent bound is open. */
export function rangeBetween(lower: unknown, upper: unknown): IdRange {
  return { ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }) };
}

/**
 * The index of the segment an `_id` falls into, among disjoint segments sorted in BSON order
 * (not necessarily contiguous); -1 when it falls into none.
 */
export function segmentIndexOf(segments: readonly { readonly range: IdRange }[], id: unknown): number {
  // The last segment whose lower bound is at or below the id.
  let low = 0;
  let high = segments.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const lower = segments[middle]?.range.lower;
    if (lower === undefined || compareBsonValues(lower, id) <= 0) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  const upper = segments[found]?.range.upper;
  return found >= 0 && (upper === undefined || compareBsonValues(id, upper) < 0) ? found : -1;
}

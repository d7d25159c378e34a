import type { IdRange } from "../core/snapshot-contract.js";
import { compareBsonValues } from "../snapshot/bson-order.js";

/**
 * The index of the range an `_id` falls into, among contiguous ranges in BSON order (as the
 * snapshot's planner makes them: the first without a lower bound, the last without an upper one).
 */
export function rangeIndexOf(ranges: readonly IdRange[], id: unknown): number {
  let low = 0;
  let high = ranges.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    const upper = ranges[middle]?.upper;
    if (upper !== undefined && compareBsonValues(id, upper) >= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

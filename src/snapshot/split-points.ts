import { compareBsonValues } from "./bson-order.js";
import type { IdRange } from "../core/snapshot-contract.js";

/**
 * Up to `rangeCount - 1` split points, evenly spaced through a sample of `_id`s, distinct and
 * strictly increasing in the `_id` index's order: split there, the collection falls into ranges
 * of about the same number of documents. None when `rangeCount <= 1` or the sample is empty;
 * fewer when the sample has fewer distinct values than ranges.
 *
 * The sample is expected sorted by the server (`$sort` on `_id`). With `order: "bson"` (a
 * collection without a collation) it is sorted again here, since a point out of order would make
 * a range whose lower bound is above its upper bound. With `order: "server"` (a collection with a
 * collation, whose index orders strings by collation keys, which no code here can reproduce) the
 * server's order is kept as it is. `$sample` can return a document more than once; repeats are
 * dropped before picking.
 */
export function chooseSplitPoints(sortedIds: readonly unknown[], rangeCount: number, order: "bson" | "server" = "bson"): unknown[] {
  const ranges = Math.floor(rangeCount);
  if (!(ranges > 1) || sortedIds.length === 0) return [];
  const sorted = order === "bson" ? [...sortedIds].sort(compareBsonValues) : sortedIds;
  // Under a collation no two distinct `_id`s compare equal (the `_id` index is unique under it),
  // so a repeat of the server's sample is the same value, next to itself.
  const distinct = sorted.filter((id, index) => index === 0 || compareBsonValues(sorted[index - 1], id) !== 0);
  const points: unknown[] = [];
  for (let rangeNo = 1; rangeNo < ranges; rangeNo += 1) {
    // Never the smallest sampled value: a range below it would most likely be empty.
    const index = Math.max(1, Math.floor((rangeNo * distinct.length) / ranges));
    if (index >= distinct.length) break;
    const pick = distinct[index];
    if (points.length === 0 || (order === "server" ? points[points.length - 1] !== pick : compareBsonValues(points[points.length - 1], pick) < 0)) points.push(pick);
  }
  return points;
}

/**
 * The ranges between consecutive split points, from below the first to above the last:
 * `[{ upper: p0 }, { lower: p0, upper: p1 }, …, { lower: pn }]`; one unbounded range with no
 * points. Each `_id` falls into exactly one of them (lower bounds inclusive, upper exclusive).
 */
export function rangesFromSplitPoints(points: readonly unknown[]): IdRange[] {
  if (points.length === 0) return [{}];
  return [{ upper: points[0] }, ...points.slice(1).map((upper, index) => ({ lower: points[index], upper })), { lower: points[points.length - 1] }];
}

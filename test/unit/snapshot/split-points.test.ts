import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { compareBsonValues } from "../../../src/snapshot/bson-order.js";
import type { IdRange } from "../../../src/core/snapshot-contract.js";
import { chooseSplitPoints, rangesFromSplitPoints } from "../../../src/snapshot/split-points.js";
import { seededRandom } from "../../support/realistic-documents.js";

type IdMaker = (random: () => number, index: number) => unknown;

const objectIdOf: IdMaker = (random) => new ObjectId(Array.from({ length: 24 }, () => Math.floor(random() * 16).toString(16)).join(""));

const numberOf: IdMaker = (random, index) => {
  const value = Math.floor((random() - 0.5) * 2_000_000);
  switch (index % 5) {
    case 0:
      return new Int32(value);
    case 1:
      return Long.fromBigInt(BigInt(value) * 1_000_000_000n + 7n);
    case 2:
      return new Double(value + 0.25);
    case 3:
      return Decimal128.fromString(`${value}.125`);
    default:
      return new Double(value);
  }
};

const stringOf: IdMaker = (random) => {
  const alphabet = ["a", "B", "z", "é", "0", "-", "\u{1F600}", "Ω"];
  return Array.from({ length: 1 + Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
};

const mixedOf: IdMaker = (random, index) => {
  switch (index % 9) {
    case 0:
      return objectIdOf(random, index);
    case 1:
    case 2:
      return numberOf(random, index);
    case 3:
      return stringOf(random, index);
    case 4:
      return { part: numberOf(random, index), name: stringOf(random, index) };
    case 5:
      return new Date(Math.floor(random() * 2_000_000_000_000));
    case 6:
      return random() < 0.5;
    case 7:
      return new Binary(Buffer.from([Math.floor(random() * 256), Math.floor(random() * 256)]));
    default:
      return new Timestamp({ t: Math.floor(random() * 1_000_000), i: 1 });
  }
};

/** About `count` distinct ids (as a unique `_id` index would hold them), in random order. */
function population(make: IdMaker, count: number, seed: number): unknown[] {
  const random = seededRandom(seed);
  const made = Array.from({ length: count }, (_, index) => ({ id: make(random, index), index }));
  const sorted = [...made].sort((a, b) => compareBsonValues(a.id, b.id));
  const repeats = new Set(sorted.filter((each, at) => at > 0 && compareBsonValues(sorted[at - 1]?.id, each.id) === 0).map((each) => each.index));
  return made.filter((each) => !repeats.has(each.index)).map((each) => each.id);
}

/** What `$sample` gives: `size` picks, repeats possible, here left in random order. */
function sampleOf(ids: readonly unknown[], size: number, seed: number): unknown[] {
  const random = seededRandom(seed);
  return Array.from({ length: size }, () => ids[Math.floor(random() * ids.length)]);
}

function inRange(id: unknown, range: IdRange): boolean {
  return (range.lower === undefined || compareBsonValues(range.lower, id) <= 0) && (range.upper === undefined || compareBsonValues(id, range.upper) < 0);
}

function expectStrictlyIncreasing(points: readonly unknown[]): void {
  for (let i = 1; i < points.length; i += 1) expect(compareBsonValues(points[i - 1], points[i])).toBeLessThan(0);
}

function expectPartition(ids: readonly unknown[], ranges: readonly IdRange[]): number[] {
  const sizes = ranges.map(() => 0);
  for (const id of ids) {
    const holders = ranges.flatMap((range, index) => (inRange(id, range) ? [index] : []));
    expect(holders).toHaveLength(1);
    const holder = holders[0] as number;
    sizes[holder] = (sizes[holder] ?? 0) + 1;
  }
  return sizes;
}

describe("chooseSplitPoints", () => {
  it("picks evenly spaced points of a sorted sample", () => {
    const ids = Array.from({ length: 100 }, (_, index) => new Int32(index));
    expect(chooseSplitPoints(ids, 4)).toEqual([new Int32(25), new Int32(50), new Int32(75)]);
    expect(chooseSplitPoints(ids, 2)).toEqual([new Int32(50)]);
  });

  it("gives no points for one range or none, or an empty sample", () => {
    expect(chooseSplitPoints([1, 2, 3], 1)).toEqual([]);
    expect(chooseSplitPoints([1, 2, 3], 0)).toEqual([]);
    expect(chooseSplitPoints([1, 2, 3], Number.NaN)).toEqual([]);
    expect(chooseSplitPoints([], 8)).toEqual([]);
    expect(chooseSplitPoints(["only"], 8)).toEqual([]);
  });

  it("gives fewer, distinct points when the sample has fewer distinct values than ranges", () => {
    expect(chooseSplitPoints([1, 1, 1, 2, 2, 3, 3, 3, 3], 8)).toEqual([2, 3]);
    expect(chooseSplitPoints([new Int32(7), new Double(7), Long.fromNumber(7), 8], 4)).toEqual([8]);
  });

  it("never splits at the smallest sampled value, nor below MinKey", () => {
    expect(chooseSplitPoints([new MinKey(), 1, 2, 3], 8)).toEqual([1, 2, 3]);
  });

  it("sorts a sample that is out of order and drops repeats", () => {
    const points = chooseSplitPoints(["b", 3, new ObjectId("000000000000000000000001"), 3, "a", 1, "b", new MaxKey()], 4);
    expect(points).toEqual([3, "b", new ObjectId("000000000000000000000001")]);
  });

  it.each([
    ["ObjectId", objectIdOf],
    ["numeric (Int32, Long, Double, Decimal128)", numberOf],
    ["string", stringOf],
    ["mixed-type", mixedOf],
  ] as const)("splits %s _ids into ranges that hold every _id exactly once", (_, make) => {
    for (const seed of [1, 2, 3]) {
      const ids = population(make, 600, seed);
      for (const rangeCount of [2, 3, 8, 25]) {
        const sample = sampleOf(ids, rangeCount * 8, seed * 100 + rangeCount);
        const points = chooseSplitPoints(sample, rangeCount);
        expect(points.length).toBeLessThanOrEqual(rangeCount - 1);
        expect(points.length).toBeGreaterThan(0);
        expectStrictlyIncreasing(points);
        const ranges = rangesFromSplitPoints(points);
        expect(ranges).toHaveLength(points.length + 1);
        expectPartition(ids, ranges);
      }
    }
  });

  it("gives ranges of about even size from a sample of the data", () => {
    const ids = population(mixedOf, 2_000, 7);
    const points = chooseSplitPoints(sampleOf(ids, 8 * 32, 70), 8);
    expect(points).toHaveLength(7);
    const sizes = expectPartition(ids, rangesFromSplitPoints(points));
    for (const size of sizes) expect(size).toBeGreaterThan(2_000 / 8 / 3);
  });
});

describe("rangesFromSplitPoints", () => {
  it("bounds consecutive ranges by consecutive points, open at both ends", () => {
    expect(rangesFromSplitPoints([10, "m", true])).toEqual([{ upper: 10 }, { lower: 10, upper: "m" }, { lower: "m", upper: true }, { lower: true }]);
    expect(rangesFromSplitPoints([5])).toEqual([{ upper: 5 }, { lower: 5 }]);
  });

  it("is one unbounded range without points", () => {
    expect(rangesFromSplitPoints([])).toEqual([{}]);
  });

  it("places MinKey and MaxKey _ids in the first and last range", () => {
    const ranges = rangesFromSplitPoints([0, "x"]);
    expect(expectPartition([new MinKey(), new MaxKey(), null, -1, 0, "a", "x", new ObjectId()], ranges)).toEqual([3, 2, 3]);
  });

  it("keeps the server's order for a collection with a collation, which no byte order reproduces", () => {
    // Sorted as the server sorts under { locale: "en", strength: 2 }: case and accents ignored first.
    const collationOrder = ["apple", "apple", "Banana", "cherry", "Éclair", "fig", "Grape", "kiwi"];
    const points = chooseSplitPoints(collationOrder, 4, "server");
    expect(points).toEqual(["Banana", "Éclair", "Grape"]);
    expect(rangesFromSplitPoints(points)).toEqual([{ upper: "Banana" }, { lower: "Banana", upper: "Éclair" }, { lower: "Éclair", upper: "Grape" }, { lower: "Grape" }]);
    // Byte order puts capitals first and "Éclair" last: the range [Grape, cherry) it gives is
    // upside down under the collation, and the server refuses it (51175, min above max).
    expect(chooseSplitPoints(collationOrder, 4, "bson")).toEqual(["Grape", "cherry", "kiwi"]);
  });
});

import { Int32, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { Sink } from "../../../src/core/sink.js";
import { rangesFromSplitPoints } from "../../../src/snapshot/split-points.js";
import { firstDifference } from "../../../src/verify/first-difference.js";
import { formatVerifyJson, formatVerifyText } from "../../../src/verify/format-report.js";
import { DifferenceList } from "../../../src/verify/difference-list.js";
import { rangeIndexOf } from "../../../src/verify/range-lookup.js";
import { segmentIndexOf } from "../../../src/verify/segments.js";
import { RangeTally } from "../../../src/verify/range-tally.js";
import { runVerify } from "../../../src/verify/run-verify.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";

describe("RangeTally", () => {
  const tally = (texts: readonly string[]): RangeTally => {
    const result = new RangeTally();
    for (const text of texts) result.add(text);
    return result;
  };

  it("is the same whatever the order, and changes with one document more, less or different", () => {
    const texts = ['{"a": 1}', '{"a": 2}', '{"b": "x"}'];
    expect(tally(texts).equals(tally([...texts].reverse()))).toBe(true);
    expect(tally(texts).hex()).toBe(tally([texts[2], texts[0], texts[1]] as string[]).hex());
    expect(tally(texts).equals(tally(texts.slice(1)))).toBe(false);
    expect(tally(texts).equals(tally(['{"a": 1}', '{"a": 3}', '{"b": "x"}']))).toBe(false);
    // Two equal documents do not cancel out (as an XOR would).
    expect(tally(['{"a": 1}', '{"a": 1}']).hex()).not.toBe(tally([]).hex());
  });
});

describe("rangeIndexOf", () => {
  it("finds the range of an _id in BSON order, across types", () => {
    const ranges = rangesFromSplitPoints([new Int32(10), "m", new ObjectId("65f1c0ffee0000000000abcd")]);
    expect([5, 10, 1e9, "a", "m", "z", { a: 1 }, new ObjectId("ffffffffffffffffffffffff"), true, null].map((id) => rangeIndexOf(ranges, id))).toEqual([0, 1, 1, 1, 2, 2, 2, 3, 3, 0]);
    expect(rangeIndexOf([{}], "anything")).toBe(0);
  });
});

describe("segmentIndexOf", () => {
  it("finds the segment of an _id among disjoint, sorted segments with gaps between them, and none in a gap", () => {
    const segments = [{ range: { upper: new Int32(5) } }, { range: { lower: "b", upper: "d" } }, { range: { lower: new ObjectId("65f1c0ffee0000000000abcd") } }];
    expect([1, 5, "a", "b", "c", "d", { a: 1 }, new ObjectId("65f1c0ffee0000000000abcd"), true].map((id) => segmentIndexOf(segments, id))).toEqual([0, -1, -1, 1, 1, -1, -1, 2, 2]);
    expect(segmentIndexOf([], "x")).toBe(-1);
  });
});

describe("DifferenceList", () => {
  const began = new Date("2026-01-01T00:00:00Z");
  const missing = (key: string) => ({ difference: { kind: "missing" as const, key, id: key } });

  it("counts every difference, lists at most its limit, and notes keys the copy wrote after verify began", () => {
    const list = new DifferenceList(2, began);
    list.add(missing("a"));
    list.add({ difference: { kind: "different", key: "b", id: "b", path: "x" } }, { key: "b", id: "b", canonical: "{}", clusterTime: new Date("2026-01-01T00:00:01Z") });
    list.add(missing("c"));
    list.add({ expectedMissing: { key: "d", id: "d", reason: "a dead letter" } });
    list.add(undefined);
    expect(list.differences.map((each) => each.key)).toEqual(["a", "b"]);
    expect({ counts: list.counts, total: list.total, capped: list.capped, changed: list.changedDuringVerify, expectedMissing: list.expectedMissingCount }).toEqual({
      counts: { missing: 2, extra: 0, different: 1 },
      total: 3,
      capped: true,
      changed: 1,
      expectedMissing: 1,
    });
  });

  it("replaces listed differences by what comparing them again found, the counts following", () => {
    const list = new DifferenceList(10, began);
    list.add(missing("a"));
    list.add(missing("b"));
    list.replace(list.differences.slice(0, 1), { differences: [], expectedMissing: [{ key: "a", id: "a", reason: "a dead letter" }] });
    expect({ keys: list.differences.map((each) => each.key), total: list.total, expectedMissing: list.expectedMissingCount, capped: list.capped }).toEqual({ keys: ["b"], total: 1, expectedMissing: 1, capped: false });
  });
});

describe("firstDifference", () => {
  it("names the first differing field in sorted order, array elements by index, without type wrappers", () => {
    expect(firstDifference('{"a": 1, "b": {"c": [1, 2, 3]}}', '{"a": 1, "b": {"c": [1, 2, 4]}}')).toBe("b.c.2");
    expect(firstDifference('{"a": 1, "n": {"$numberLong": "5"}}', '{"a": 1, "n": {"$numberLong": "6"}}')).toBe("n");
    expect(firstDifference('{"a": 1}', '{"a": 1, "z": 2}')).toBe("z");
    expect(firstDifference('{"t": [1]}', '{"t": [1, 2]}')).toBe("t.1");
    expect(firstDifference("[1]", "{}")).toBe("");
  });
});

describe("runVerify", () => {
  it("refuses, as a usage error, a pipeline none of whose sinks can read back what it holds", async () => {
    const sink: Sink = { name: "audit", transactional: false, open: () => Promise.resolve(undefined), apply: () => Promise.resolve(), close: () => Promise.resolve() };
    const source = new SyntheticSnapshotSource({ "shop.orders": [{ _id: 1 }] });
    const run = runVerify({ source, sinks: [sink], settings: { parallelism: 1, chunkSize: 10, rangeSize: 100, settleTimeoutMs: 0, repair: false }, logger: silentLogger(), signal: new AbortController().signal });
    await expect(run).rejects.toMatchObject({ code: ErrorCode.ConfigInvalid, message: expect.stringMatching(/^None of the pipeline's sinks can be verified: audit cannot read back what they hold/) as unknown });
    expect(source.reads).toEqual([]);
  });
});

describe("the report", () => {
  const outcome = {
    collections: [
      { namespace: "shop.orders", sink: "postgres", documents: 450, held: 450, ranges: 5, rangesChecked: 5, rangesDiffering: 0, differences: [], differenceCounts: { missing: 0, extra: 0, different: 0 }, differenceCount: 0, expectedMissing: [], expectedMissingCount: 0, capped: false, equal: true, durationMs: 1234 },
      {
        namespace: "shop.items",
        sink: "postgres",
        documents: 120,
        held: 120,
        ranges: 4,
        rangesChecked: 2,
        rangesDiffering: 1,
        differences: [
          { kind: "missing" as const, key: "7", id: new Int32(7) },
          { kind: "different" as const, key: "9", id: 9, path: "price" },
        ],
        differenceCounts: { missing: 1, extra: 0, different: 1 },
        differenceCount: 2,
        expectedMissing: [{ key: "11", id: 11, reason: "a dead letter" }],
        expectedMissingCount: 1,
        capped: false,
        recheck: { keys: 3, resolved: ["8"], changedDuringVerify: 1 },
        equal: false,
        durationMs: 800,
      },
    ],
    notVerifiable: ["audit"],
    equal: false,
  };

  it("says per collection what was compared and what differs", () => {
    expect(formatVerifyText(outcome).split("\n")).toEqual([
      "shop.orders → postgres: equal — 450 document(s) in MongoDB, 450 in the copy, 5 range(s), 1.2 s",
      "shop.items → postgres: 2 difference(s) — 120 document(s) in MongoDB, 120 in the copy, 2 of 4 range(s) (1 differed), 0.8 s",
      "  missing in the copy: 1",
      "    7",
      "  different in the copy: 1",
      "    9 (at price)",
      "  expected missing (dead letters): 1",
      "    11: a dead letter",
      "  re-checked 3 key(s) once the sync had caught up: 1 were changes in flight and are now equal (1 written to the copy while verify ran)",
      "audit: not verified: this sink cannot read back what it holds",
      "verify: 1 of 2 collection(s) differ from the source",
      "",
    ]);
  });

  it("as JSON writes _ids in relaxed Extended JSON", () => {
    const parsed = JSON.parse(formatVerifyJson(outcome)) as { collections: { differences: { id: unknown }[] }[] };
    expect(parsed.collections[1]?.differences[0]?.id).toBe(7);
    expect(formatVerifyJson(outcome)).toContain('"equal": false');
  });
});

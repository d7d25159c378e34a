import { Int32, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { Sink } from "../../../src/core/sink.js";
import { rangesFromSplitPoints } from "../../../src/snapshot/split-points.js";
import { firstDifference } from "../../../src/verify/first-difference.js";
import { formatVerifyJson, formatVerifyText } from "../../../src/verify/format-report.js";
import { rangeIndexOf } from "../../../src/verify/range-lookup.js";
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
      { namespace: "shop.orders", sink: "postgres", documents: 450, held: 450, ranges: 5, rangesChecked: 5, rangesDiffering: 0, differences: [], expectedMissing: [], equal: true, durationMs: 1234 },
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
        expectedMissing: [{ key: "11", id: 11, reason: "a dead letter" }],
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

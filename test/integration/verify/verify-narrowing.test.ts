import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { formatVerifyText } from "../../../src/verify/format-report.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";
import { copied, oid, orders, summary, VERIFY_NS, VERIFY_TABLE, verifyWith } from "../../support/verify-fixture.js";

let url: string;
const sinks: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "verify_narrowing");
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

/** One range of 3,000 documents (rangeSize above the collection's size). */
const ONE_RANGE = { rangeSize: 10_000, chunkSize: 200 };

describe("verify narrows a differing range by splitting it", () => {
  it("matches key by key only the parts of a large range around its few differences", async () => {
    const source = new SyntheticSnapshotSource({ [VERIFY_NS]: orders(3_000) });
    const sink = await copied(url, source, sinks);
    await query(url, `DELETE FROM ${VERIFY_TABLE} WHERE _id = $1`, [oid(17).toHexString()]);
    await query(url, `UPDATE ${VERIFY_TABLE} SET doc = jsonb_set(doc, '{item}', '"changed"') WHERE _id = $1`, [oid(2_222).toHexString()]);
    await query(url, `INSERT INTO ${VERIFY_TABLE} (_id, doc, _cluster_time) VALUES ($1, '{"_id": {"$oid": "00000000000000000000ffff"}}', now())`, [oid(0xffff).toHexString()]);
    const result = await verifyWith(source, sink, { ...ONE_RANGE, narrowTo: 100 });
    expect(summary(result)).toEqual({
      equal: false,
      differences: [`different ${oid(2_222).toHexString()} at item`, `extra ${oid(0xffff).toHexString()}`, `missing ${oid(17).toHexString()}`],
      expectedMissing: [],
    });
    expect(result).toMatchObject({ ranges: 1, rangesDiffering: 1, differenceCount: 3, capped: false });
    // Three parts of about 50 documents are matched key by key, not the range's 3,000.
    expect(result.narrowing?.levels).toBe(1);
    expect(result.narrowing?.documentsMatched).toBeLessThanOrEqual(3 * 50);
  });

  it("splits again the parts still larger than the threshold", async () => {
    const source = new SyntheticSnapshotSource({ [VERIFY_NS]: orders(3_000) });
    const sink = await copied(url, source, sinks);
    await query(url, `UPDATE ${VERIFY_TABLE} SET doc = jsonb_set(doc, '{n}', '-1') WHERE _id = $1`, [oid(1_500).toHexString()]);
    // 3,000 documents: 64 parts of 47, then 10 parts of about 5.
    const result = await verifyWith(source, sink, { ...ONE_RANGE, narrowTo: 10 });
    expect(summary(result)).toEqual({ equal: false, differences: [`different ${oid(1_500).toHexString()} at n`], expectedMissing: [] });
    expect(result.narrowing?.levels).toBe(2);
    expect(result.narrowing?.documentsMatched).toBeLessThanOrEqual(10);
  });

  it("finds a faithful copy equal without narrowing anything", async () => {
    const source = new SyntheticSnapshotSource({ [VERIFY_NS]: orders(3_000) });
    const result = await verifyWith(source, await copied(url, source, sinks), { ...ONE_RANGE, narrowTo: 100 });
    expect(result).toMatchObject({ equal: true, differenceCount: 0, documents: 3_000, held: 3_000 });
    expect(result.narrowing).toBeUndefined();
  });
});

describe("verify lists at most --max-differences keys and counts the rest", () => {
  it("counts every document of a wholly missing table, lists the first ones and says the list was cut", async () => {
    const source = new SyntheticSnapshotSource({ [VERIFY_NS]: orders(2_500) });
    const sink = await copied(url, source, sinks);
    await query(url, `TRUNCATE ${VERIFY_TABLE}`);
    const found = await verifyWith(source, sink, { rangeSize: 1_000, maxDifferences: 40 });
    expect(found).toMatchObject({ equal: false, differenceCount: 2_500, differenceCounts: { missing: 2_500, extra: 0, different: 0 }, capped: true });
    expect(found.differences).toHaveLength(40);
    // A range the copy holds nothing of is streamed: no split, every document classified once.
    expect(found.narrowing).toEqual({ levels: 0, documentsMatched: 2_500 });
    const text = formatVerifyText({ collections: [found], notVerifiable: [], equal: false }).split("\n");
    expect(text.slice(0, 4)).toEqual([
      expect.stringMatching(/^shop\.orders → postgres: 2500 difference\(s\) — 2500 document\(s\) in MongoDB, 0 in the copy, 3 range\(s\) \(3 differed\)/) as unknown,
      "  missing in the copy: 2500",
      expect.stringMatching(/^    [0-9a-f]{24}$/) as unknown,
      expect.stringMatching(/^    [0-9a-f]{24}$/) as unknown,
    ]);
    expect(text).toContain("    … and 2480 more (--json lists the first --max-differences)");
    expect(text).toContain("  2460 difference(s) counted but not listed (--max-differences): not re-checked");

    // --repair copies the listed keys only; the others are still counted.
    const repaired = await verifyWith(source, sink, { rangeSize: 1_000, maxDifferences: 40, repair: true });
    expect(repaired).toMatchObject({ equal: false, differenceCount: 2_460, capped: true, repair: { keys: 40, remaining: 0 }, differences: [] });
    expect(Number((await query<{ n: string }>(url, `SELECT count(*) AS n FROM ${VERIFY_TABLE}`))[0]?.n)).toBe(40);
  });
});

import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { SnapshotProgress } from "../../../src/snapshot/snapshot-progress.js";

/** A progress with a clock the test moves. */
function progressAt(start = 1_000_000): { progress: SnapshotProgress; advance: (ms: number) => void } {
  let now = start;
  const progress = new SnapshotProgress({ now: () => now });
  return { progress, advance: (ms) => (now += ms) };
}

/** Records `chunks` chunks of `size` documents, one every `everyMs`. */
function copyAtPace(progress: SnapshotProgress, advance: (ms: number) => void, namespace: string, chunks: number, size: number, everyMs: number): void {
  for (let chunk = 0; chunk < chunks; chunk += 1) {
    progress.recordCopied(namespace, size);
    advance(everyMs);
  }
}

describe("SnapshotProgress", () => {
  it("counts copied documents against the estimate, with the rate and the time left", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.orders", { estimated: 100_000, alreadyCopied: 0 });
    // 1,000 documents every 100 ms: 10,000 docs/s. The first chunk starts the clock.
    copyAtPace(progress, advance, "shop.orders", 21, 1_000, 100);
    progress.recordCopied("shop.orders", 1_000);

    const { collections, total } = progress.snapshot();
    expect(collections).toEqual([
      {
        namespace: "shop.orders",
        copied: 22_000,
        alreadyCopied: 0,
        estimated: 100_000,
        percent: 22,
        docsPerSecond: 10_000,
        averageDocsPerSecond: 10_000,
        etaSeconds: 8,
        done: false,
        elapsedMs: 2_100,
      },
    ]);
    expect(total).toEqual({ copied: 22_000, alreadyCopied: 0, estimated: 100_000, percent: 22, docsPerSecond: 10_000, averageDocsPerSecond: 10_000, etaSeconds: 8, done: false, elapsedMs: 2_100 });
  });

  it("knows no rate, and so no time left, during the first second", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.orders", { estimated: 10_000, alreadyCopied: 0 });
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 0, docsPerSecond: undefined, etaSeconds: undefined, elapsedMs: 0 });
    progress.recordCopied("shop.orders", 500);
    advance(999);
    progress.recordCopied("shop.orders", 500);
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 1_000, docsPerSecond: undefined, etaSeconds: undefined, elapsedMs: 999 });
    advance(1);
    expect(progress.snapshot().collections[0]).toMatchObject({ docsPerSecond: 500, etaSeconds: 18 });
  });

  it("measures the rate over the last 10 seconds only, so that it tells how fast the copy goes now", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.orders", { estimated: 1_000_000, alreadyCopied: 0 });
    // 20 s at 10,000 docs/s, then 10 s at 2,000 docs/s.
    copyAtPace(progress, advance, "shop.orders", 200, 1_000, 100);
    copyAtPace(progress, advance, "shop.orders", 100, 200, 100);
    // The average over the whole run: 219,000 documents after the first chunk in 30 s.
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 220_000, docsPerSecond: 2_000, averageDocsPerSecond: 7_300, etaSeconds: 390 });

    // Halfway through the window at the old pace: between the two.
    copyAtPace(progress, advance, "shop.orders", 50, 1_000, 100);
    expect(progress.snapshot().collections[0]?.docsPerSecond).toBe(6_000);

    // Nothing for 10 s: the rate falls to 0, and the time left is unknown.
    advance(10_000);
    expect(progress.snapshot().collections[0]).toMatchObject({ docsPerSecond: 0, etaSeconds: undefined, percent: 27 });
  });

  it("honours another window length", () => {
    let now = 0;
    const progress = new SnapshotProgress({ now: () => now, windowMs: 2_000 });
    progress.addCollection("a.b", { estimated: 100_000, alreadyCopied: 0 });
    for (let chunk = 0; chunk < 50; chunk += 1) {
      progress.recordCopied("a.b", chunk < 30 ? 1_000 : 100);
      now += 100;
    }
    // The last 2 s held 20 chunks of 100.
    expect(progress.snapshot().collections[0]?.docsPerSecond).toBe(1_000);
  });

  it("counts what an earlier run committed as copied, but not toward the rate", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.orders", { estimated: 100_000, alreadyCopied: 60_000 });
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 60_000, alreadyCopied: 60_000, percent: 60, docsPerSecond: undefined, elapsedMs: 0 });

    copyAtPace(progress, advance, "shop.orders", 21, 1_000, 100);
    progress.recordCopied("shop.orders", 1_000);
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 82_000, alreadyCopied: 60_000, percent: 82, docsPerSecond: 10_000, etaSeconds: 2 });

    progress.finishCollection("shop.orders");
    // The average of this run: 21,000 documents after the first chunk, in 2.1 s.
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 82_000, estimated: 82_000, percent: 100, docsPerSecond: 10_000, etaSeconds: 0, done: true, elapsedMs: 2_100 });
  });

  it("shows the copied count as the estimate once it is exceeded, at most 99% until done, never a negative time left", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.orders", { estimated: 10_000, alreadyCopied: 0 });
    copyAtPace(progress, advance, "shop.orders", 15, 1_000, 100);
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 15_000, estimated: 15_000, percent: 99, docsPerSecond: 9_333, etaSeconds: 0, done: false });

    progress.finishCollection("shop.orders");
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 15_000, estimated: 15_000, percent: 100, etaSeconds: 0, done: true });
  });

  it("makes the estimate what was copied when a collection finishes short of it", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.orders", { estimated: 10_000, alreadyCopied: 0 });
    copyAtPace(progress, advance, "shop.orders", 30, 200, 100);
    progress.finishCollection("shop.orders");
    advance(5_000);
    // Frozen at the finish: 5,800 documents after the first chunk in 3 s.
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 6_000, estimated: 6_000, percent: 100, docsPerSecond: 1_933, etaSeconds: 0, done: true, elapsedMs: 3_000 });
  });

  it("handles empty collections: 0 of 0, done at 100% in no time, with no rate", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.empty", { estimated: 0, alreadyCopied: 0 });
    expect(progress.snapshot().collections[0]).toStrictEqual({
      namespace: "shop.empty", copied: 0, alreadyCopied: 0, estimated: 0, percent: 0, docsPerSecond: undefined, averageDocsPerSecond: undefined, etaSeconds: undefined, done: false, elapsedMs: 0,
    });
    advance(2_000);
    progress.recordCopied("shop.empty", 0);
    progress.finishCollection("shop.empty");
    expect(progress.snapshot()).toStrictEqual({
      collections: [{ namespace: "shop.empty", copied: 0, alreadyCopied: 0, estimated: 0, percent: 100, docsPerSecond: undefined, averageDocsPerSecond: undefined, etaSeconds: 0, done: true, elapsedMs: 0 }],
      total: { copied: 0, alreadyCopied: 0, estimated: 0, percent: 100, docsPerSecond: undefined, averageDocsPerSecond: undefined, etaSeconds: 0, done: true, elapsedMs: 0 },
    });
  });

  it("sums every collection in the total, with a rate of its own over the window", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("shop.orders", { estimated: 50_000, alreadyCopied: 0 });
    progress.addCollection("shop.users", { estimated: 10_000, alreadyCopied: 4_000 });
    progress.addCollection("shop.empty", { estimated: 0, alreadyCopied: 0 });
    progress.finishCollection("shop.empty");
    for (let step = 0; step < 20; step += 1) {
      progress.recordCopied("shop.orders", 1_000);
      progress.recordCopied("shop.users", 200);
      advance(100);
    }
    const { collections, total } = progress.snapshot();
    expect(collections.map((each) => [each.namespace, each.copied, each.docsPerSecond, each.done])).toEqual([
      ["shop.orders", 20_000, 9_500, false],
      ["shop.users", 8_000, 1_900, false],
      ["shop.empty", 0, undefined, true],
    ]);
    // 60,000 estimated; every chunk after the very first one (200 + 19 × 1,200) in 2 s.
    expect(total).toEqual({ copied: 28_000, alreadyCopied: 4_000, estimated: 60_000, percent: 46, docsPerSecond: 11_500, averageDocsPerSecond: 11_500, etaSeconds: 3, done: false, elapsedMs: 2_000 });

    progress.finishCollection("shop.users");
    progress.recordCopied("shop.orders", 1_000);
    advance(1_000);
    progress.finishCollection("shop.orders");
    advance(60_000);
    // Done once all are, at the last finish; the average over the whole copy.
    expect(progress.snapshot().total).toEqual({ copied: 29_000, alreadyCopied: 4_000, estimated: 29_000, percent: 100, docsPerSecond: 8_000, averageDocsPerSecond: 8_000, etaSeconds: 0, done: true, elapsedMs: 3_000 });
  });

  it("is not done with no collection, and starts a collection added again afresh", () => {
    const { progress, advance } = progressAt();
    expect(progress.snapshot()).toStrictEqual({
      collections: [],
      total: { copied: 0, alreadyCopied: 0, estimated: 0, percent: 0, docsPerSecond: undefined, averageDocsPerSecond: undefined, etaSeconds: undefined, done: false, elapsedMs: 0 },
    });
    progress.addCollection("a.b", { estimated: 10, alreadyCopied: 0 });
    copyAtPace(progress, advance, "a.b", 3, 5, 100);
    progress.addCollection("a.b", { estimated: 20, alreadyCopied: 0 });
    expect(progress.snapshot().collections).toStrictEqual([
      { namespace: "a.b", copied: 0, alreadyCopied: 0, estimated: 20, percent: 0, docsPerSecond: undefined, averageDocsPerSecond: undefined, etaSeconds: undefined, done: false, elapsedMs: 0 },
    ]);
  });

  it("keeps its memory bounded by the window on a long copy", () => {
    const { progress, advance } = progressAt();
    progress.addCollection("a.b", { estimated: 10_000_000, alreadyCopied: 0 });
    for (let chunk = 0; chunk < 100_000; chunk += 1) {
      progress.recordCopied("a.b", 10);
      advance(10);
      if (chunk % 1_000 === 0) progress.snapshot();
    }
    expect(progress.snapshot().collections[0]).toMatchObject({ copied: 1_000_000, docsPerSecond: 1_000, etaSeconds: 9_000 });
  });

  it("refuses counts for a collection it was not told about, naming it", () => {
    const { progress } = progressAt();
    expect(() => progress.recordCopied("shop.unknown", 10)).toThrow(expect.objectContaining({ code: ErrorCode.SnapshotFailed, message: expect.stringContaining("shop.unknown") }));
    expect(() => progress.finishCollection("shop.unknown")).toThrow(/shop\.unknown/);
  });
});

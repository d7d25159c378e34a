import { describe, expect, it } from "vitest";
import { BSON } from "../../../src/core/bson.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { EventBytesEstimate } from "../../../src/pipeline/event-bytes.js";
import { serverChange } from "../../support/server-changes.js";

/** An insert as the server emits it, its document `bytes` long or so. */
function insert(id: number, bytes: number): ChangeEvent {
  return serverChange({ operationType: "insert", id, at: { t: 1_800_000_000, i: id }, fields: { fullDocument: { _id: id, body: "x".repeat(bytes) } } });
}

/** A small deterministic generator of numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("EventBytesEstimate", () => {
  it("measures the first event exactly, as its BSON, and knows nothing before it", () => {
    const estimate = new EventBytesEstimate(() => 0.5);
    expect(estimate.of(10)).toBe(0);
    const event = insert(1, 1_000);
    estimate.observe(event);
    expect(estimate.of(3)).toBe(3 * BSON.calculateObjectSize(event.doc!));
  });

  it("measures the first event, then one after each gap drawn (1 to 63)", () => {
    const measuredAt = (random: () => number): number[] => {
      const estimate = new EventBytesEstimate(random);
      const at: number[] = [];
      for (let n = 0; n < 130; n += 1) {
        const before = estimate.of(1);
        // Each event larger than all before it: a measured one raises the estimate.
        estimate.observe(insert(n + 1, 100 * (n + 1)));
        if (estimate.of(1) !== before) at.push(n);
      }
      return at;
    };
    expect(measuredAt(() => 0)).toEqual(Array.from({ length: 130 }, (_, n) => n));
    expect(measuredAt(() => 0.9999)).toEqual([0, 63, 126]);
  });

  it("sees large events that come at a fixed stride a fixed sampling would step over", () => {
    const estimate = new EventBytesEstimate(seeded(7));
    // Every 32nd event, offset 16, is 100 times larger.
    for (let n = 0; n < 32 * 50; n += 1) estimate.observe(insert(n + 1, n % 32 === 16 ? 100_000 : 1_000));
    const trueMean = (31 * 1_000 + 100_000) / 32;
    expect(estimate.of(1)).toBeGreaterThan(trueMean / 2);
  });

  it("keeps a mix of sizes near its mean, and falls back once large events stop", () => {
    const random = seeded(11);
    const estimate = new EventBytesEstimate(seeded(3));
    for (let n = 0; n < 20_000; n += 1) estimate.observe(insert(n + 1, random() < 0.1 ? 100_000 : 1_000));
    // A tenth of 100 KB, the rest 1 KB: about 11 KB an event; never below half of it.
    expect(estimate.of(1)).toBeGreaterThan(5_500);
    for (let n = 0; n < 20_000; n += 1) estimate.observe(insert(30_000 + n, 1_000));
    expect(estimate.of(1)).toBeLessThan(1_200);
  });
});

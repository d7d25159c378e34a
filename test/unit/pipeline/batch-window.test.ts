import { describe, expect, it } from "vitest";
import { BatchWindow } from "../../../src/pipeline/batch-window.js";

describe("BatchWindow", () => {
  it("is due when full, or when its first item has waited the latency, and never when empty", () => {
    let now = 1_000;
    const window = new BatchWindow({ size: 3, latencyMs: 200 }, () => now);
    expect(window.msUntilDue(0)).toBeUndefined();
    expect(window.isDue(0)).toBe(false);
    window.open();
    now += 50;
    expect(window.msUntilDue(1)).toBe(150);
    expect(window.isDue(3)).toBe(true);
    now += 150;
    expect(window.isDue(1)).toBe(true);
    window.open();
    expect(window.msUntilDue(2)).toBe(200);
  });
});

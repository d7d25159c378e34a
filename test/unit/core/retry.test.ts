import { describe, expect, it } from "vitest";
import { backoffDelay, sleep } from "../../../src/core/retry.js";

describe("backoffDelay", () => {
  const options = { initialDelayMs: 100, maxDelayMs: 5_000 };

  it("doubles per attempt between half and all of the ceiling", () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, options, () => 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, options, () => 1))).toEqual([100, 200, 400, 800]);
  });

  it("never exceeds the maximum, however many attempts", () => {
    expect(backoffDelay(10, options, () => 1)).toBe(5_000);
    expect(backoffDelay(10_000, options, () => 0.5)).toBe(3_750);
  });
});

describe("sleep", () => {
  it("ends at once when aborted", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await pending;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

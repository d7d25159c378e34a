import { describe, expect, it } from "vitest";
import { retryWithProbe } from "../../../src/core/retry.js";
import { observeRetries, tellRetry, type RetryTaken } from "../../../src/core/retry-observer.js";

/** A try that fails with `kinds` in turn, then succeeds. */
function failing(kinds: ("transient" | "unreachable")[]): { attempt: () => Promise<string>; classify: (error: unknown) => "transient" | "unreachable" | "permanent" } {
  const errors = kinds.map((kind) => Object.assign(new Error(kind), { kind }));
  let tries = 0;
  return {
    attempt: () => (tries < errors.length ? Promise.reject(errors[tries++]!) : Promise.resolve("done")),
    classify: (error) => (error as { kind?: "transient" | "unreachable" }).kind ?? "permanent",
  };
}

const policy = { giveUp: (error: unknown) => error as Error, onRetry: () => undefined, backoff: { initialDelayMs: 1, maxDelayMs: 2 } };

describe("observeRetries", () => {
  it("is told of every retry the core retry makes inside it, with its component and the error's kind", async () => {
    const told: RetryTaken[] = [];
    const result = await observeRetries(
      (retry) => told.push(retry),
      () => retryWithProbe({ ...failing(["transient", "unreachable"]), ...policy, component: "postgres" }),
    );
    expect(result).toBe("done");
    expect(told).toEqual([
      { component: "postgres", kind: "transient" },
      { component: "postgres", kind: "unreachable" },
    ]);
  });

  it("names a retry without a component 'other', and is told of nothing on a permanent error or outside it", async () => {
    const told: RetryTaken[] = [];
    await observeRetries(
      (retry) => told.push(retry),
      async () => {
        await retryWithProbe({ ...failing(["transient"]), ...policy });
        await expect(retryWithProbe({ attempt: () => Promise.reject(new Error("no")), classify: () => "permanent" as const, ...policy })).rejects.toThrow("no");
      },
    );
    await retryWithProbe({ ...failing(["transient"]), ...policy, component: "webhook" });
    tellRetry({ component: "webhook", kind: "transient" });
    expect(told).toEqual([{ component: "other", kind: "transient" }]);
  });

  it("keeps two runs apart: each observer counts the retries made in its own async context", async () => {
    const first: RetryTaken[] = [];
    const second: RetryTaken[] = [];
    await Promise.all([
      observeRetries((retry) => first.push(retry), () => retryWithProbe({ ...failing(["transient", "transient"]), ...policy, component: "startup" })),
      observeRetries((retry) => second.push(retry), () => retryWithProbe({ ...failing(["unreachable"]), ...policy, component: "postgres" })),
    ]);
    expect(first).toEqual([
      { component: "startup", kind: "transient" },
      { component: "startup", kind: "transient" },
    ]);
    expect(second).toEqual([{ component: "postgres", kind: "unreachable" }]);
  });
});

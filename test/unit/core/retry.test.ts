import { describe, expect, it, vi } from "vitest";
import { backoffDelay, retryDelay, retryWithProbe, sleep, UNREACHABLE_POLL_MS, type RetryNotice } from "../../../src/core/retry.js";

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

describe("retryDelay", () => {
  const options = { initialDelayMs: 500, maxDelayMs: 30_000 };

  it("backs off a transient error as backoffDelay does", () => {
    expect(retryDelay(8, "transient", options, () => 1)).toBe(30_000);
  });

  it("asks an unreachable server again every second at most, however long it has been down", () => {
    expect(UNREACHABLE_POLL_MS).toBe(1_000);
    expect([0, 1, 8, 1_000].map((attempt) => retryDelay(attempt, "unreachable", options, () => 1))).toEqual([500, 1_000, 1_000, 1_000]);
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

describe("retryWithProbe", () => {
  const transient = new Error("connection lost");
  const permanent = new Error("syntax error");
  const policy = (notices: RetryNotice[], backoff = { initialDelayMs: 1, maxDelayMs: 4 }, signal?: AbortSignal) => ({
    classify: (error: unknown) => (error === transient ? ("transient" as const) : ("permanent" as const)),
    giveUp: (error: unknown) => new Error(`gave up: ${(error as Error).message}`),
    onRetry: (notice: RetryNotice) => notices.push(notice),
    backoff,
    signal,
  });

  it("retries transient errors with back-off, telling each retry", async () => {
    const notices: RetryNotice[] = [];
    const attempt = vi.fn().mockRejectedValueOnce(transient).mockRejectedValueOnce(transient).mockResolvedValue("done");
    await expect(retryWithProbe<string>({ attempt, ...policy(notices) })).resolves.toBe("done");
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(notices.map(({ attempt, error }) => ({ attempt, error }))).toEqual([
      { attempt: 1, error: transient },
      { attempt: 2, error: transient },
    ]);
    const [first, second] = notices;
    expect(first?.delayMs).toBe(1);
    expect(second?.delayMs).toBeGreaterThanOrEqual(1);
    expect(second?.delayMs).toBeLessThanOrEqual(2);
  });

  it("gives up at once on a permanent error", async () => {
    const notices: RetryNotice[] = [];
    const attempt = vi.fn().mockRejectedValue(permanent);
    const committed = vi.fn().mockResolvedValue(false);
    await expect(retryWithProbe<void>({ attempt, committed, ...policy(notices) })).rejects.toThrow("gave up: syntax error");
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(committed).not.toHaveBeenCalled();
    expect(notices).toEqual([]);
  });

  it("asks the probe before each redo, never before the first try, and skips the redo when the lost try committed", async () => {
    const attempt = vi.fn().mockRejectedValueOnce(transient).mockResolvedValue(undefined);
    const committed = vi.fn().mockResolvedValue(true);
    await expect(retryWithProbe<void>({ attempt, committed, ...policy([]) })).resolves.toBeUndefined();
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(committed).toHaveBeenCalledTimes(1);

    const order: string[] = [];
    const redone = vi.fn(() => {
      order.push("attempt");
      return order.length === 1 ? Promise.reject(transient) : Promise.resolve();
    });
    const notCommitted = vi.fn(() => {
      order.push("probe");
      return Promise.resolve(false);
    });
    await retryWithProbe<void>({ attempt: redone, committed: notCommitted, ...policy([]) });
    expect(order).toEqual(["attempt", "probe", "attempt"]);
  });

  it("counts an error of the probe as an error of the try", async () => {
    const notices: RetryNotice[] = [];
    const attempt = vi.fn().mockRejectedValueOnce(transient).mockResolvedValue(undefined);
    const committed = vi.fn().mockRejectedValueOnce(transient).mockResolvedValue(false);
    await retryWithProbe<void>({ attempt, committed, ...policy(notices) });
    expect(notices.map(({ attempt }) => attempt)).toEqual([1, 2]);
    expect(committed).toHaveBeenCalledTimes(2);
    expect(attempt).toHaveBeenCalledTimes(2);
  });

  it("stops on abort: the wait ends at once and a try that fails after it is not retried", async () => {
    const controller = new AbortController();
    const notices: RetryNotice[] = [];
    const attempt = vi.fn().mockRejectedValue(transient);
    const started = Date.now();
    const running = retryWithProbe<void>({ attempt, ...policy(notices, { initialDelayMs: 60_000, maxDelayMs: 60_000 }, controller.signal) });
    await vi.waitFor(() => expect(notices).toHaveLength(1));
    controller.abort();
    await expect(running).rejects.toThrow("gave up: connection lost");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(attempt).toHaveBeenCalledTimes(2);
    expect(notices).toHaveLength(1);
  });

  it("does not retry once aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const attempt = vi.fn().mockRejectedValue(transient);
    await expect(retryWithProbe<void>({ attempt, ...policy([], undefined, controller.signal) })).rejects.toThrow("gave up: connection lost");
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it("gives up after maxAttempts tries, on the last error", async () => {
    const notices: RetryNotice[] = [];
    const attempt = vi.fn().mockRejectedValue(transient);
    await expect(retryWithProbe<void>({ attempt, ...policy(notices), maxAttempts: 3 })).rejects.toThrow("gave up: connection lost");
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(notices.map((notice) => notice.attempt)).toEqual([1, 2]);
  });

  it("waits no longer than UNREACHABLE_POLL_MS between tries while the server is unreachable", async () => {
    const notices: RetryNotice[] = [];
    const refused = new Error("refused");
    const attempt = vi.fn().mockRejectedValueOnce(refused).mockRejectedValueOnce(refused).mockResolvedValue(undefined);
    const classify = (error: unknown) => (error === refused ? ("unreachable" as const) : ("permanent" as const));
    await retryWithProbe<void>({ attempt, ...policy(notices), classify, backoff: { initialDelayMs: 20_000, maxDelayMs: 60_000 } });
    expect(notices.map((notice) => notice.delayMs <= UNREACHABLE_POLL_MS)).toEqual([true, true]);
  }, 10_000);

  it("waits what the error asks (a Retry-After), capped at maxDelayMs, instead of the back-off", async () => {
    const notices: RetryNotice[] = [];
    const attempt = vi.fn().mockRejectedValueOnce(transient).mockRejectedValueOnce(transient).mockResolvedValue(undefined);
    const asked = [3, 50];
    await retryWithProbe<void>({ attempt, ...policy(notices, { initialDelayMs: 1, maxDelayMs: 20 }), askedDelay: () => asked.shift() });
    expect(notices.map((notice) => notice.delayMs)).toEqual([3, 20]);
  });
});

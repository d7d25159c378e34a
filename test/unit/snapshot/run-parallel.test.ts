import { describe, expect, it } from "vitest";
import { runParallel } from "../../../src/snapshot/run-parallel.js";

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("runParallel", () => {
  it("runs every item, at most `concurrency` at once, taking them in order", async () => {
    const started: number[] = [];
    let active = 0;
    let most = 0;
    await runParallel(
      [1, 2, 3, 4, 5, 6, 7],
      3,
      async (item) => {
        started.push(item);
        active += 1;
        most = Math.max(most, active);
        await tick(item % 3);
        active -= 1;
      },
      new AbortController().signal,
    );
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it("throws the first failure after the running items finish, and starts no new ones", async () => {
    const finished: number[] = [];
    const run = runParallel(
      [1, 2, 3, 4, 5],
      2,
      async (item, signal) => {
        if (item === 1) throw new Error("item 1 failed");
        await tick(5);
        finished.push(item);
        expect(signal.aborted).toBe(true);
      },
      new AbortController().signal,
    );
    await expect(run).rejects.toThrow("item 1 failed");
    expect(finished).toEqual([2]);
  });

  it("stops taking items when the signal aborts, and resolves", async () => {
    const controller = new AbortController();
    const done: number[] = [];
    await runParallel(
      [1, 2, 3, 4],
      1,
      async (item) => {
        await tick();
        done.push(item);
        if (item === 2) controller.abort();
      },
      controller.signal,
    );
    expect(done).toEqual([1, 2]);
  });
});

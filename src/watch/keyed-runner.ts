/**
 * Runs tasks in the background, at most `limit` at once, with per-key order: a task starts only
 * once the previous task of its key has settled, so the tasks of one key never overlap and run
 * in the order submitted. A task without a key is a barrier: it waits for every task before it
 * and runs alone. (gtm's `WorkerCount` with `Ordering: Document`.)
 *
 * Tasks must not reject: the caller's task records its own failure.
 */
export class KeyedRunner {
  private readonly limit: number;
  private readonly running = new Set<Promise<void>>();
  /** The last task submitted for each key still running or waiting. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /**
   * Starts `task` (after the last task of `key`, or alone when `key` is undefined) and resolves
   * once there is room for another: fewer than `limit` tasks running or waiting.
   */
  async submit(key: string | undefined, task: () => Promise<void>): Promise<void> {
    if (key === undefined) await this.idle();
    const before = key === undefined ? undefined : this.tails.get(key);
    const tracked: Promise<void> = (before ?? Promise.resolve())
      .then(task)
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(tracked);
        if (key !== undefined && this.tails.get(key) === tracked) this.tails.delete(key);
      });
    this.running.add(tracked);
    if (key === undefined) {
      await tracked;
      return;
    }
    this.tails.set(key, tracked);
    while (this.running.size >= this.limit) await Promise.race(this.running);
  }

  /** Resolves once every task submitted has settled. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

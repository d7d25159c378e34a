import type { TributaryError } from "../core/tributary-error.js";
import type { Delivery } from "./deliveries.js";
import { asTributaryError } from "./watch-errors.js";
import type { WatcherLifecycle } from "./watcher-lifecycle.js";

/**
 * Where a `for await` loop is: `created` until it first asks for a value, `waiting` while it
 * waits for the next one, `holding` while its body runs with one in hand.
 */
type IterationPhase = "created" | "waiting" | "holding";

/**
 * The `for await` way of consuming a watcher (each change, or each id batch): iterating opens
 * the watcher, and leaving the loop — at its end, by `break`, by a throw — ends it. A value
 * counts as done when the loop asks for the next one, so the value in hand when the loop is
 * left is not done.
 */
export class WatcherIteration<T> {
  /** What `[Symbol.asyncIterator]()` / `batches()` hand out. */
  readonly iterator: AsyncGenerator<T, void, undefined>;
  private readonly lifecycle: WatcherLifecycle;
  private readonly openDeliveries: () => AsyncGenerator<Delivery, void, undefined>;
  private readonly pick: (delivery: Delivery) => T | undefined;
  private phase: IterationPhase = "created";

  /**
   * @param openDeliveries starts the delivery loop (once the watcher is open).
   * @param pick the value a delivery holds for this loop, if any.
   */
  constructor(lifecycle: WatcherLifecycle, openDeliveries: () => AsyncGenerator<Delivery, void, undefined>, pick: (delivery: Delivery) => T | undefined) {
    this.lifecycle = lifecycle;
    this.openDeliveries = openDeliveries;
    this.pick = pick;
    this.iterator = this.run();
  }

  /**
   * `stop()` while the loop body holds a value, or before the loop asked for one: ends the
   * iteration here (and the watcher with it). A loop waiting for a value ends by itself, as the
   * stop aborts the read.
   */
  async stop(): Promise<void> {
    if (this.phase === "created") {
      await this.iterator.return(undefined);
      await this.lifecycle.finish(undefined);
    } else if (this.phase === "holding") {
      await this.iterator.return(undefined);
    }
  }

  private async *run(): AsyncGenerator<T, void, undefined> {
    this.phase = "waiting";
    let failure: TributaryError | undefined;
    let loop: AsyncGenerator<Delivery, void, undefined> | undefined;
    try {
      await this.lifecycle.open();
      if (this.lifecycle.signal.aborted) return;
      loop = this.openDeliveries();
      for (;;) {
        const next = await loop.next();
        if (next.done) break;
        const value = this.pick(next.value);
        if (value === undefined) continue;
        this.phase = "holding";
        try {
          yield value;
        } finally {
          this.phase = "waiting";
        }
      }
    } catch (error) {
      failure = asTributaryError(error);
    } finally {
      await loop?.return(undefined).catch(() => undefined);
      await this.lifecycle.finish(failure);
    }
    const error = this.lifecycle.error;
    if (error) throw error;
  }
}

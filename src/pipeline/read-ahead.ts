import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { SourceItem } from "../core/change-event.js";
import { EventBytesEstimate } from "./event-bytes.js";

/** How much a {@link ReadAhead} holds that its consumer has not taken yet. */
export interface ReadAheadLimits {
  /** Items at most (events, and the `caughtUp` reports of a quiet stream). */
  readonly maxItems: number;
  /** About this many bytes of BSON at most (estimated as the accumulator estimates them). */
  readonly maxBytes: number;
  /** The longest the reader works before it lets the event loop run ({@link SLICE_MS} unless given). */
  readonly sliceMs?: number;
}

/**
 * The longest the reader works before it lets the event loop run, unless its limits say otherwise.
 * Items a source has buffered (the rest of a `getMore` reply) come one after another without a
 * turn of the event loop, each decoded as it is taken: read ahead in one go, a batch of them would
 * hold the sink's own I/O (its `COPY` waiting to send) for tens of milliseconds, and nothing would
 * overlap. A consumer that waits on a round trip per item wants shorter slices (`watch()`'s).
 */
const SLICE_MS = 0.25;

/** The most bytes read ahead, whatever `batch.maxBytes` says: about what one MongoDB `getMore` reply holds. */
const MAX_READ_AHEAD_BYTES = 16 * 1024 * 1024;

/**
 * What a pump reads ahead of its batches: one batch (`batch.maxSize` items), and no more than
 * one `getMore` reply's bytes, so that memory stays within one batch and one reply more.
 */
export function readAheadLimits(batch: { readonly maxSize: number; readonly maxBytes?: number }): ReadAheadLimits {
  return { maxItems: batch.maxSize, maxBytes: Math.min(batch.maxBytes ?? MAX_READ_AHEAD_BYTES, MAX_READ_AHEAD_BYTES) };
}

/**
 * Reads a source's items ahead of the one consuming them, up to `limits`: while a batch is
 * applied, the change stream goes on with its next `getMore` and the driver decodes its events,
 * work the sink's waits on its target would otherwise leave the process idle for. The mongodb
 * driver's cursor fetches only when asked (`AbstractCursor.tryNext` runs `getMore` once its
 * buffer is empty), so without this nothing is read while a batch is applied.
 *
 * Items come out in the order they were read. A source failure reaches the consumer after every
 * item read before it. Once `signal` aborts, nothing more comes out: a stop applies what was
 * taken, not the batch read ahead. When the consumer stops (it returns or throws), the source is
 * told to stop through the signal it was opened with, and its own `return` runs (closing its
 * stream) before the consumer's iteration ends: a source waiting out a MongoDB outage stops
 * waiting, one in a `getMore` stops once that returns. What was read and not taken is dropped;
 * it is read again after a restart, since no stored position got past it.
 */
export class ReadAhead implements AsyncIterable<SourceItem> {
  private readonly items: AsyncIterator<SourceItem>;
  /** The caller's: once it aborts, nothing more is handed out (what a stop applies is the batch in flight and what was taken). */
  private readonly signal: AbortSignal;
  private readonly stopReading = new AbortController();
  private readonly limits: ReadAheadLimits;
  private readonly bytes = new EventBytesEstimate();
  /** Read and not taken, from `head` on (taken ones are cleared at once and the array reset when empty). */
  private queue: (SourceItem | undefined)[] = [];
  private head = 0;
  /** Events among the items not taken, for the bytes they hold. */
  private events = 0;
  private ended = false;
  private failure: { readonly error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeReader: (() => void) | undefined;
  private reading: Promise<void> | undefined;

  /**
   * @param open opens the source; its signal aborts when `signal` does or when the consumer stops.
   */
  constructor(open: (signal: AbortSignal) => AsyncIterable<SourceItem>, signal: AbortSignal, limits: ReadAheadLimits) {
    this.items = open(AbortSignal.any([signal, this.stopReading.signal]))[Symbol.asyncIterator]();
    this.signal = signal;
    this.limits = limits;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem, void, undefined> {
    this.reading ??= this.read();
    try {
      while (!this.signal.aborted) {
        const item = this.take();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (this.failure) throw this.failure.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
      }
    } finally {
      this.stopReading.abort();
      this.wake("reader");
      await this.reading;
    }
  }

  private async read(): Promise<void> {
    const sliceMs = this.limits.sliceMs ?? SLICE_MS;
    let sliceStart = performance.now();
    try {
      while (!this.stopReading.signal.aborted) {
        if (this.isFull()) {
          await new Promise<void>((resolve) => (this.wakeReader = resolve));
          sliceStart = performance.now();
          continue;
        }
        if (performance.now() - sliceStart >= sliceMs) {
          await nextTurn();
          sliceStart = performance.now();
        }
        const next = await this.items.next();
        if (next.done === true) break;
        this.queue.push(next.value);
        if (next.value.kind === "event") {
          this.events += 1;
          this.bytes.observe(next.value.event);
        }
        this.wake("consumer");
      }
      if (this.stopReading.signal.aborted) await this.items.return?.();
    } catch (error) {
      this.failure = { error };
    } finally {
      this.ended = true;
      this.wake("consumer");
    }
  }

  private take(): SourceItem | undefined {
    if (this.head === this.queue.length) return undefined;
    const item = this.queue[this.head] as SourceItem;
    this.queue[this.head] = undefined;
    this.head += 1;
    if (item.kind === "event") this.events -= 1;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      // A full reader waits for an empty queue, not for one free place: taking one item at a time
      // after each read would spread the reading over the consumer's work between two batches,
      // which is what the read-ahead is for, and leave none of it for the wait on the sink.
      this.wake("reader");
    }
    return item;
  }

  /** Whether the reader waits: one event is always let in, so that an event larger than `maxBytes` still passes. */
  private isFull(): boolean {
    return this.queue.length - this.head >= this.limits.maxItems || (this.events > 0 && this.bytes.of(this.events) >= this.limits.maxBytes);
  }

  private wake(which: "consumer" | "reader"): void {
    const wake = which === "consumer" ? this.wakeConsumer : this.wakeReader;
    if (which === "consumer") this.wakeConsumer = undefined;
    else this.wakeReader = undefined;
    wake?.();
  }
}

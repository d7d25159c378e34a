import { isDataOp, formatNamespace, type ChangeEvent } from "../core/change-event.js";
import type { SourceItem } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import type { EventSelector } from "../pipeline/event-selector.js";
import type { PipelineStats } from "../pipeline/pipeline-stats.js";
import type { CompletionOrder } from "./completion-order.js";
import type { IdBatch, IdBatcher } from "./id-batcher.js";

/** One thing handed to the consumer: a change, or a batch of changed ids. */
export type Delivery = { readonly kind: "event"; readonly event: ChangeEvent } | { readonly kind: "batch"; readonly batch: IdBatch };

/**
 * What the watcher reads: the source's items, led by the initial copy when there is one (its
 * documents as `source: "snapshot"` events, then `copied` at the position the stream continues from).
 */
export type WatchItem = SourceItem | { readonly kind: "copied"; readonly position: Position; readonly onPassed: () => void };

/** What the delivery loop works with. */
export interface DeliveryContext {
  readonly items: AsyncIterator<WatchItem>;
  /** Aborted by `stop()`: the loop ends at the next item without delivering it. */
  readonly signal: AbortSignal;
  readonly selector: EventSelector;
  /** The event as the consumer gets it (with plain values, or as it came), before the selection. */
  readonly present: (event: ChangeEvent) => ChangeEvent;
  /** Deliver each event. */
  readonly events: boolean;
  /** Deliver id batches (when present). */
  readonly batcher: IdBatcher | undefined;
  /** On a stop (not a failure), deliver the ids still waiting before ending. */
  readonly drainOnStop: boolean;
  /** Where what the loop reaches goes, in stream order, to be passed once the handlers before it are done. */
  readonly order: CompletionOrder;
  /** Saves the completed position when a save is due. */
  readonly saves: { saveIfDue(): Promise<void> };
  readonly stats: PipelineStats;
}

const TIMED_OUT = Symbol("timed out");

/** The promise's result, or `TIMED_OUT` after `ms`, whichever comes first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads source items, filters them, and yields what the consumer gets, one at a time. What the
 * loop reaches goes to `order` when the consumer asks for the next delivery; a consumer that
 * hands a delivery to a handler running in the background holds its place in `order` first, so
 * the completed position moves past a delivery (and, for a batch, past every event whose id it
 * holds) only once it is done. A consumer that stops asking — a `for await` body that throws or
 * breaks, a handler that throws — leaves the position before the delivery in hand, so a new
 * watcher receives it again.
 *
 * Skipped events and the server's "nothing more" positions complete at once, unless ids are
 * waiting in the batch: then the position waits for the batch.
 */
export async function* deliveries(context: DeliveryContext): AsyncGenerator<Delivery, void, undefined> {
  const { items, signal, selector, batcher, order, stats } = context;
  /** The position of the last item read while ids wait in the batch, and how many events that spans. */
  let held: { position: Position | undefined; events: number } | undefined;
  let pending: Promise<IteratorResult<WatchItem>> | undefined;

  /** A copied document has no position of its own: the copy's is reached once the whole copy is done. */
  const complete = (position: Position | undefined, events: number): void => {
    if (batcher !== undefined && batcher.size > 0) {
      held = { position: position ?? held?.position, events: (held?.events ?? 0) + events };
    } else {
      order.complete(position, events);
    }
  };

  const takeBatch = (batch: IdBatcher): Delivery => {
    stats.batchDelivered();
    return { kind: "batch", batch: batch.take() };
  };

  const flushed = (): void => {
    if (held) order.complete(held.position, held.events);
    held = undefined;
  };

  while (!signal.aborted) {
    pending ??= items.next();
    const wait = batcher?.msUntilDue();
    const result = wait === undefined ? await pending : await within(pending, wait);
    if (result === TIMED_OUT) {
      if (batcher !== undefined && batcher.isDue() && !signal.aborted) {
        yield takeBatch(batcher);
        flushed();
      }
      continue;
    }
    pending = undefined;
    if (result.done || signal.aborted) break;
    const item = result.value;
    if (item.kind === "caughtUp") {
      stats.caughtUp();
      if (item.position) complete(item.position, 0);
    } else if (item.kind === "copied") {
      // The copy ends a batch: "copied" is told once every copied document is handled.
      if (batcher !== undefined && batcher.size > 0) {
        yield takeBatch(batcher);
        flushed();
      }
      order.complete(item.position, 0, item.onPassed);
    } else {
      stats.read(item.event);
      const event = selector.select(context.present(item.event));
      if (event !== undefined) {
        stats.delivered(event);
        if (context.events) yield { kind: "event", event };
        const id: unknown = event.key?._id;
        if (batcher !== undefined && isDataOp(event.op) && id !== undefined) batcher.add(formatNamespace(event.ns), event.op, id);
        complete(positionOf(event), 1);
      } else {
        stats.skipped();
        complete(positionOf(item.event), 0);
      }
    }
    if (batcher !== undefined && batcher.isDue()) {
      yield takeBatch(batcher);
      flushed();
    }
    await context.saves.saveIfDue();
  }
  if (context.drainOnStop && batcher !== undefined && batcher.size > 0) {
    yield takeBatch(batcher);
    flushed();
  }
}

/** Where the stream is once the event is done; none for a copied document. */
function positionOf(event: ChangeEvent): Position | undefined {
  return event.source === "snapshot" ? undefined : event.position;
}

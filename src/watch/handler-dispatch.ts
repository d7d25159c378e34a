import { AsyncLocalStorage } from "node:async_hooks";
import { keyText } from "../codec/key-text.js";
import { formatNamespace, type ChangeEvent } from "../core/change-event.js";
import type { TributaryError } from "../core/tributary-error.js";
import type { Delivery } from "./deliveries.js";
import { callWithRetry, type HandlerCall } from "./handler-retry.js";
import type { IdBatch } from "./id-batcher.js";
import { KeyedRunner } from "./keyed-runner.js";
import { asTributaryError, handlerFailedOnBatch, handlerFailedOnEvent } from "./watch-errors.js";
import type { DeliveryKinds, WatcherLifecycle } from "./watcher-lifecycle.js";
import type { WatcherListeners } from "./watcher-listeners.js";

/** Marks code running inside a handler, so that `stop()` called there does not wait for itself. */
const handlerScope = new AsyncLocalStorage<WatcherLifecycle>();

/** Whether the caller runs inside a `"change"` or `"batch"` handler of this watcher. */
export function insideHandlerOf(lifecycle: WatcherLifecycle): boolean {
  return handlerScope.getStore() === lifecycle;
}

/**
 * The document an event is about (namespace and `_id`): the events of one key are handled one
 * after another, in stream order. Commands and invalidations have none: they wait for every
 * handler before them and run alone.
 */
function orderKey(event: ChangeEvent): string | undefined {
  const id: unknown = event.key?._id;
  return id === undefined ? undefined : `${formatNamespace(event.ns)}\u0000${keyText(id)}`;
}

/**
 * The handler way of consuming a watcher, in the background until `stop()` or a failure; then
 * the watcher ends. Each change goes to every `"change"` handler in turn, up to `concurrency`
 * changes at once with per-document order (`KeyedRunner`); an id batch goes to every `"batch"`
 * handler once the changes before it are handled, alone. A handler that throws is retried under
 * `handlerRetry`; then the watcher ends with `HandlerFailed` (that change not done), or the
 * change goes to the dead-letter handler. A change counts as done when its handlers are; the
 * resume point passes it once every change before it is done too (`CompletionOrder`). On a stop
 * (or a failure), changes not yet started stay undone, those running finish, and the ids still
 * waiting are delivered first on a stop.
 */
export class HandlerDispatch {
  /** What the handlers receive: fixed by the handlers registered when `start()` was called. */
  readonly kinds: DeliveryKinds;
  private readonly lifecycle: WatcherLifecycle;
  private readonly listeners: WatcherListeners;
  private readonly openDeliveries: () => AsyncGenerator<Delivery, void, undefined>;
  private failure: TributaryError | undefined;

  /** @param openDeliveries starts the delivery loop (the watcher is open). */
  constructor(lifecycle: WatcherLifecycle, listeners: WatcherListeners, kinds: DeliveryKinds, openDeliveries: () => AsyncGenerator<Delivery, void, undefined>) {
    this.lifecycle = lifecycle;
    this.listeners = listeners;
    this.kinds = kinds;
    this.openDeliveries = openDeliveries;
  }

  /** Dispatches in the background. */
  start(): void {
    void this.run();
  }

  private async run(): Promise<void> {
    const runner = new KeyedRunner(this.lifecycle.options.concurrency);
    let loop: AsyncGenerator<Delivery, void, undefined> | undefined;
    try {
      loop = this.openDeliveries();
      const order = this.lifecycle.completion;
      while (this.failure === undefined) {
        const next = await loop.next();
        if (next.done || this.failure !== undefined) break;
        const delivery = next.value;
        // Taken before the loop is asked for more: what the loop reaches next waits for this delivery.
        const ticket = order.hold();
        const key = delivery.kind === "event" ? orderKey(delivery.event) : undefined;
        await runner.submit(key, async () => {
          // Failed, or stopping: a change not started yet stays undone (the ids still waiting are delivered on a stop).
          if (this.failure !== undefined || (this.lifecycle.signal.aborted && delivery.kind === "event")) return;
          if (await this.handle(delivery)) order.release(ticket);
        });
      }
    } catch (error) {
      this.fail(asTributaryError(error));
    } finally {
      await runner.idle();
      await loop?.return(undefined).catch(() => undefined);
    }
    await this.lifecycle.finish(this.failure, true);
  }

  /** Runs every handler of the delivery; whether it is done. */
  private async handle(delivery: Delivery): Promise<boolean> {
    const calls = delivery.kind === "event" ? this.listeners.change.map((handler) => eventCall(delivery.event, handler)) : this.listeners.batch.map((handler) => batchCall(delivery.batch, handler));
    for (const call of calls) {
      const run = (): Promise<void> => handlerScope.run(this.lifecycle, call.run);
      try {
        const outcome = await callWithRetry({ ...call, run }, this.lifecycle.options.handlerRetry, this.lifecycle.signal, this.lifecycle.options.logger);
        if (outcome === "interrupted") return false;
      } catch (error) {
        this.fail(asTributaryError(error));
        return false;
      }
    }
    return true;
  }

  /** The first failure ends the watcher: reading stops, handlers running finish. */
  private fail(error: TributaryError): void {
    this.failure ??= error;
    this.lifecycle.requestStop();
  }
}

function eventCall(event: ChangeEvent, handler: (event: ChangeEvent) => void | Promise<void>): HandlerCall {
  return {
    run: async () => handler(event),
    failure: (error, attempts) => handlerFailedOnEvent('"change" handler', event, error, attempts),
    letter: (error, attempts) => ({ kind: "change", event, error, attempts }),
  };
}

function batchCall(batch: IdBatch, handler: (batch: IdBatch) => void | Promise<void>): HandlerCall {
  return {
    run: async () => handler(batch),
    failure: (error, attempts) => handlerFailedOnBatch(batch, error, attempts),
    letter: (error, attempts) => ({ kind: "batch", batch, error, attempts }),
  };
}

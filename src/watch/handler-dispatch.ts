import { AsyncLocalStorage } from "node:async_hooks";
import type { TributaryError } from "../core/tributary-error.js";
import type { Delivery } from "./deliveries.js";
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
 * The handler way of consuming a watcher: each delivery goes to every `"change"` (or
 * `"batch"`) handler in turn, each awaited before the next, in the background until `stop()`
 * or a failure; then the watcher ends. A handler that throws ends it with `HandlerFailed`, the
 * delivery in hand not done. On a stop, the ids still waiting are delivered first.
 */
export class HandlerDispatch {
  /** What the handlers receive: fixed by the handlers registered when `start()` was called. */
  readonly kinds: DeliveryKinds;
  private readonly lifecycle: WatcherLifecycle;
  private readonly listeners: WatcherListeners;
  private readonly openDeliveries: () => AsyncGenerator<Delivery, void, undefined>;

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
    let failure: TributaryError | undefined;
    let loop: AsyncGenerator<Delivery, void, undefined> | undefined;
    try {
      loop = this.openDeliveries();
      for (;;) {
        const next = await loop.next();
        if (next.done) break;
        const delivery = next.value;
        if (delivery.kind === "event") {
          for (const handler of [...this.listeners.change]) {
            await this.call(() => handler(delivery.event), (error) => handlerFailedOnEvent('"change" handler', delivery.event, error));
          }
        } else {
          for (const handler of [...this.listeners.batch]) {
            await this.call(() => handler(delivery.batch), (error) => handlerFailedOnBatch(delivery.batch, error));
          }
        }
      }
    } catch (error) {
      failure = asTributaryError(error);
    } finally {
      await loop?.return(undefined).catch(() => undefined);
    }
    await this.lifecycle.finish(failure, true);
  }

  private async call(handler: () => void | Promise<void>, wrap: (error: unknown) => TributaryError): Promise<void> {
    try {
      await handlerScope.run(this.lifecycle, handler);
    } catch (error) {
      throw wrap(error);
    }
  }
}

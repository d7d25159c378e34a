import { NamespaceFilter } from "../core/namespace-filter.js";
import type { ChangeEvent, ChangeOp } from "../core/change-event.js";
import { handlerFailedOnEvent } from "./handler-failure.js";

/**
 * A test on a normalized event, run in process; `true` keeps the event.
 * @public
 */
export type EventPredicate = (event: ChangeEvent) => boolean;

/** What the in-process filter is made of. */
export interface EventSelection {
  readonly operations?: readonly ChangeOp[];
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly predicates: readonly EventPredicate[];
}

/**
 * Decides in process which events a watcher delivers: the operation list (the server already
 * filtered on it, but `invalidate` always comes through), the namespace globs, then the user's
 * predicates in the order they were given.
 *
 * `invalidate` is a control event: the stream reopens after it by itself, so it is delivered
 * only to watchers that list it in `operations`, and then whatever its namespace.
 */
export class EventSelector {
  private readonly operations: ReadonlySet<ChangeOp> | undefined;
  private readonly namespaces: NamespaceFilter;
  private readonly predicates: readonly EventPredicate[];

  constructor(selection: EventSelection) {
    this.operations = selection.operations === undefined ? undefined : new Set(selection.operations);
    this.namespaces = new NamespaceFilter(selection.include, selection.exclude);
    this.predicates = selection.predicates;
  }

  /** Whether to deliver the event; a predicate that throws becomes a `HandlerFailed` error. */
  accepts(event: ChangeEvent): boolean {
    if (event.op === "invalidate") {
      if (!this.operations?.has("invalidate")) return false;
    } else {
      if (this.operations !== undefined && !this.operations.has(event.op)) return false;
      if (!this.namespaces.includes(event.ns)) return false;
    }
    for (const predicate of this.predicates) {
      let kept: boolean;
      try {
        kept = predicate(event);
      } catch (error) {
        throw handlerFailedOnEvent("filter predicate", event, error);
      }
      if (!kept) return false;
    }
    return true;
  }
}

import type { ChangeEvent, ChangeOp } from "../core/change-event.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";

/**
 * A test on a normalized event, run in process; `true` keeps the event.
 * @public
 */
export type EventPredicate = (event: ChangeEvent) => boolean;

/** What a selection is made of. */
export interface EventSelection {
  /** Only these operations; every one when left out. `invalidate` is selected only when listed. */
  readonly operations?: readonly ChangeOp[];
  /** The namespaces selected. */
  readonly namespaces: NamespaceFilter;
  /** Tests run in order after the operation and the namespace; all must return `true`. */
  readonly predicates?: readonly EventPredicate[];
  /**
   * Judge a rename by both its ends: kept when both are selected, turned into a `drop` of its
   * source when only the source is (from a target's point of view the collection is gone), left
   * out otherwise. Without it a rename is judged by its source namespace, as any event.
   */
  readonly renameOutAsDrop?: boolean;
}

/**
 * Decides in process which events a pipeline passes on, and in what form: the operation list
 * (a change stream filtered on it already, but `invalidate` always comes through), the
 * namespace filter, then the predicates in the order they were given.
 *
 * `watch()` selects with its `operations`, `include`/`exclude` and `filter` options; `sync`
 * selects its synced namespaces with `renameOutAsDrop`.
 *
 * `invalidate` is a control event: the stream reopens after it by itself, so it is selected
 * only when `operations` lists it, and then whatever its namespace. An error thrown by a
 * predicate propagates.
 */
export class EventSelector {
  private readonly operations: ReadonlySet<ChangeOp> | undefined;
  private readonly namespaces: NamespaceFilter;
  private readonly predicates: readonly EventPredicate[];
  private readonly renameOutAsDrop: boolean;

  constructor(selection: EventSelection) {
    this.operations = selection.operations === undefined ? undefined : new Set(selection.operations);
    this.namespaces = selection.namespaces;
    this.predicates = selection.predicates ?? [];
    this.renameOutAsDrop = selection.renameOutAsDrop ?? false;
  }

  /** The event to pass on (a rename out of the selection may become a drop), or `undefined` to leave it out. */
  select(event: ChangeEvent): ChangeEvent | undefined {
    const selected = this.selectByKind(event);
    if (selected === undefined) return undefined;
    return this.predicates.every((predicate) => predicate(selected)) ? selected : undefined;
  }

  private selectByKind(event: ChangeEvent): ChangeEvent | undefined {
    if (event.op === "invalidate") return this.operations?.has("invalidate") ? event : undefined;
    if (this.operations !== undefined && !this.operations.has(event.op)) return undefined;
    if (!this.namespaces.includes(event.ns)) return undefined;
    if (!this.renameOutAsDrop || event.op !== "rename" || event.to === undefined) return event;
    return this.namespaces.includes(event.to) ? event : { ...event, op: "drop", to: undefined };
  }
}

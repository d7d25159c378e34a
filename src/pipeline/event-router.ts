import type { ChangeEvent } from "../core/change-event.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";

/**
 * What the sink should see of an event, given the namespaces a pipeline syncs: the event
 * itself, nothing, or — for a rename that moves a collection out of the synced set — a
 * drop, since from the target's point of view the collection is gone.
 */
export function routeEvent(filter: NamespaceFilter, event: ChangeEvent): ChangeEvent | undefined {
  if (event.op === "invalidate") return undefined;
  if (event.op === "rename" && event.to) {
    const fromIncluded = filter.includes(event.ns);
    const toIncluded = filter.includes(event.to);
    if (fromIncluded && toIncluded) return event;
    if (fromIncluded) return { ...event, op: "drop", to: undefined };
    return undefined;
  }
  return filter.includes(event.ns) ? event : undefined;
}

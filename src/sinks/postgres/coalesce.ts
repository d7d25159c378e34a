import type { Document } from "bson";
import { keyText } from "../../codec/key-text.js";
import { formatNamespace, isDataOp, type ChangeEvent } from "../../core/change-event.js";

/** The last known state of one document within a batch: its new content, or deleted. */
export type RowChange =
  | { readonly kind: "upsert"; readonly key: string; readonly doc: Document; readonly event: ChangeEvent }
  | { readonly kind: "delete"; readonly key: string; readonly event: ChangeEvent };

/** The row changes of one collection, at most one per key. */
export interface RowChanges {
  readonly kind: "rows";
  readonly namespace: string;
  readonly changes: readonly RowChange[];
}

/** A collection or database command (drop, rename, dropDatabase, …), applied in order. */
export interface CommandStep {
  readonly kind: "command";
  readonly event: ChangeEvent;
}

export type ApplyStep = RowChanges | CommandStep;

/**
 * Plans a batch: document changes between two commands are coalesced to one change per
 * key (the last state wins), grouped by collection; commands stay where they were. The
 * result applied in order leaves the target exactly as applying every event would.
 *
 * An update whose full document could not be looked up (the document was deleted or
 * replaced after the update) is skipped: the later event that explains the miss follows in
 * the stream and carries the state to converge to.
 */
export function planBatch(events: readonly ChangeEvent[]): ApplyStep[] {
  const steps: ApplyStep[] = [];
  let pending = new Map<string, Map<string, RowChange>>();

  const flushRows = (): void => {
    for (const [namespace, byKey] of pending) steps.push({ kind: "rows", namespace, changes: [...byKey.values()] });
    pending = new Map();
  };

  for (const event of events) {
    if (!isDataOp(event.op)) {
      if (event.op === "invalidate") continue;
      flushRows();
      steps.push({ kind: "command", event });
      continue;
    }
    const change = rowChangeOf(event);
    if (change === undefined) continue;
    const namespace = formatNamespace(event.ns);
    let byKey = pending.get(namespace);
    if (byKey === undefined) {
      byKey = new Map();
      pending.set(namespace, byKey);
    }
    // Delete and re-insert keeps the map's order meaningful for readers of the plan.
    byKey.delete(change.key);
    byKey.set(change.key, change);
  }
  flushRows();
  return steps;
}

function rowChangeOf(event: ChangeEvent): RowChange | undefined {
  const id: unknown = event.key?._id ?? event.doc?._id;
  if (id === undefined) return undefined;
  const key = keyText(id);
  if (event.op === "delete") return { kind: "delete", key, event };
  if (event.doc === undefined) return undefined;
  return { kind: "upsert", key, doc: event.doc, event };
}

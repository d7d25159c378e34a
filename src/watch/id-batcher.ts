import { keyText } from "../codec/key-text.js";
import type { DataOp } from "../core/change-event.js";
import { BatchWindow } from "../pipeline/batch-window.js";

/**
 * The changed `_id`s of one namespace and operation, in stream order.
 * @public
 */
export interface IdGroup {
  /** `db.collection`. */
  readonly namespace: string;
  readonly op: DataOp;
  /** Each `_id` once, in the order of its first change in the batch. */
  readonly ids: readonly unknown[];
}

/**
 * One delivery of `batches()`: groups of changed ids. Handling the groups in order gives each
 * document its changes in stream order.
 * @public
 */
export type IdBatch = readonly IdGroup[];

/** @public */
export interface IdBatchLimits {
  /** Flush once the batch holds this many ids. */
  readonly size: number;
  /** Flush once the oldest id has waited this long (milliseconds). */
  readonly latencyMs: number;
}

interface OpenGroup {
  readonly namespace: string;
  readonly op: DataOp;
  readonly ids: unknown[];
  readonly members: Set<string>;
}

/**
 * Collects changed ids into groups per namespace and operation (as superduperdb's listener
 * does), and says when a batch is due: at `size` ids or when the oldest has waited `latencyMs`.
 *
 * Merging every change of one kind into one group would reorder changes of one document: an
 * insert of B after a delete of B must not be handled first. So an id joins the latest group of
 * its namespace and operation only if no later group already holds it; otherwise a new group
 * starts. Within a group each id appears once (a second update of a document adds nothing a
 * consumer that reads the current document does not already get).
 */
export class IdBatcher {
  private groups: OpenGroup[] = [];
  /** `namespace op` → index of its latest group. */
  private latestGroup = new Map<string, number>();
  /** `namespace id` → index of the last group holding it. */
  private lastGroupOfId = new Map<string, number>();
  private count = 0;
  private readonly window: BatchWindow;

  constructor(limits: IdBatchLimits, now: () => number = Date.now) {
    this.window = new BatchWindow(limits, now);
  }

  /** Ids waiting in the batch. */
  get size(): number {
    return this.count;
  }

  add(namespace: string, op: DataOp, id: unknown): void {
    const groupKey = `${namespace}\u0000${op}`;
    const idKey = `${namespace}\u0000${keyText(id)}`;
    const latest = this.latestGroup.get(groupKey);
    const lastHolding = this.lastGroupOfId.get(idKey);
    let index = latest;
    if (index === undefined || (lastHolding !== undefined && lastHolding > index)) {
      index = this.groups.length;
      this.groups.push({ namespace, op, ids: [], members: new Set() });
      this.latestGroup.set(groupKey, index);
    }
    const group = this.groups[index];
    if (group === undefined || group.members.has(idKey)) return;
    if (this.count === 0) this.window.open();
    group.members.add(idKey);
    group.ids.push(id);
    this.lastGroupOfId.set(idKey, index);
    this.count += 1;
  }

  /** Milliseconds until the batch is due by age; `undefined` when it is empty. */
  msUntilDue(): number | undefined {
    return this.window.msUntilDue(this.count);
  }

  /** Whether the batch should be delivered now. */
  isDue(): boolean {
    return this.window.isDue(this.count);
  }

  /** Hands over the batch and starts an empty one. */
  take(): IdBatch {
    const batch = this.groups.map(({ namespace, op, ids }) => Object.freeze({ namespace, op, ids: Object.freeze(ids) }));
    this.groups = [];
    this.latestGroup = new Map();
    this.lastGroupOfId = new Map();
    this.count = 0;
    return Object.freeze(batch);
  }
}

import type { CollectionSnapshotPlan, CollectionSnapshotState, SnapshotChunk, SnapshotTarget } from "../core/snapshot-contract.js";
import type { Sink } from "../core/sink.js";

/**
 * The snapshot of a sink without a bulk path of its own (jsonl, webhook, mongodb, DocManagers,
 * plugins): each chunk reaches the sink through `apply` as a batch of `insert` events marked
 * `source: "snapshot"`, with no position. Progress is kept for this run only: the sink stores a
 * position once the whole copy is done, so a copy cut short starts over on the next start
 * (at-least-once, like everything such a sink receives).
 */
export class EventSnapshotTarget implements SnapshotTarget {
  private readonly sink: Sink;
  private readonly signal: AbortSignal | undefined;
  private readonly states = new Map<string, CollectionSnapshotState>();

  constructor(sink: Sink, signal?: AbortSignal) {
    this.sink = sink;
    this.signal = signal;
  }

  loadSnapshots(): Promise<Map<string, CollectionSnapshotState>> {
    return Promise.resolve(new Map(this.states));
  }

  startSnapshot(plan: CollectionSnapshotPlan): Promise<void> {
    const ranges = plan.ranges.map((range, rangeNo) => ({ rangeNo, range, copied: 0, done: false }));
    this.states.set(plan.namespace, { namespace: plan.namespace, status: "copying", startedAt: plan.startedAt, estimated: plan.estimated, ranges });
    return Promise.resolve();
  }

  async writeChunk(chunk: SnapshotChunk): Promise<void> {
    if (chunk.events.length > 0) await this.sink.apply({ events: chunk.events }, this.signal);
    const state = this.states.get(chunk.namespace);
    if (!state) return;
    const last = chunk.events.at(-1)?.key?._id as unknown;
    const ranges = state.ranges.map((range) =>
      range.rangeNo === chunk.rangeNo ? { ...range, copied: range.copied + chunk.events.length, done: chunk.last, resumeFrom: last ?? range.resumeFrom } : range,
    );
    this.states.set(chunk.namespace, { ...state, ranges });
  }

  finishSnapshot(namespace: string): Promise<void> {
    const state = this.states.get(namespace);
    if (state) this.states.set(namespace, { ...state, status: "done" });
    return Promise.resolve();
  }
}

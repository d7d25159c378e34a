import type { ChangeEvent } from "../core/change-event.js";
import type { CollectionSnapshotPlan, CollectionSnapshotState, SnapshotChunk, SnapshotTarget } from "../core/snapshot-contract.js";

/**
 * The snapshot as events, for whatever has no bulk path of its own: a sink (jsonl, webhook,
 * mongodb, DocManagers, plugins) through its `apply`, or a `watch()` with an initial copy. Each
 * chunk goes to `write` as `insert` events marked `source: "snapshot"`. Progress is kept for this
 * run only: the position after the copy is stored once the whole copy is done, so a copy cut
 * short starts over on the next start (at-least-once, like everything these receive).
 */
export class EventSnapshotTarget implements SnapshotTarget {
  private readonly write: (events: readonly ChangeEvent[]) => Promise<void>;
  private readonly states = new Map<string, CollectionSnapshotState>();

  /** @param write takes a chunk's events; the next chunk of that range waits for it. */
  constructor(write: (events: readonly ChangeEvent[]) => Promise<void>) {
    this.write = write;
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
    if (chunk.events.length > 0) await this.write(chunk.events);
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

import type { Document } from "mongodb";
import { keyText } from "../../src/codec/key-text.js";
import type { CollectionSnapshotPlan, CollectionSnapshotState, SnapshotChunk, SnapshotRangeState, SnapshotTarget } from "../../src/core/snapshot-contract.js";

/**
 * A snapshot target in memory, for the runner's rules: rows by key text and range progress,
 * changed together per chunk as the PostgreSQL target does in a transaction.
 */
export class MemorySnapshotTarget implements SnapshotTarget {
  readonly states = new Map<string, CollectionSnapshotState>();
  readonly rows = new Map<string, Map<string, Document>>();
  readonly chunks: SnapshotChunk[] = [];
  /** Throws from writeChunk when it returns true for a chunk. */
  failOn: ((chunk: SnapshotChunk) => boolean) | undefined;

  loadSnapshots(): Promise<Map<string, CollectionSnapshotState>> {
    return Promise.resolve(new Map(this.states));
  }

  startSnapshot(plan: CollectionSnapshotPlan): Promise<void> {
    const ranges = plan.ranges.map((range, rangeNo): SnapshotRangeState => ({ rangeNo, range, copied: 0, done: false }));
    this.states.set(plan.namespace, { namespace: plan.namespace, status: "copying", startedAt: plan.startedAt, estimated: plan.estimated, ranges });
    return Promise.resolve();
  }

  async writeChunk(chunk: SnapshotChunk): Promise<void> {
    await Promise.resolve();
    if (this.failOn?.(chunk)) throw new Error(`chunk of ${chunk.namespace} range ${chunk.rangeNo} refused`);
    this.chunks.push(chunk);
    const rows = this.rows.get(chunk.namespace) ?? new Map<string, Document>();
    this.rows.set(chunk.namespace, rows);
    for (const event of chunk.events) if (event.doc) rows.set(keyText(event.doc._id), event.doc);
    const state = this.states.get(chunk.namespace);
    if (!state) throw new Error(`no snapshot of ${chunk.namespace} started`);
    const ranges = state.ranges.map((range) => {
      if (range.rangeNo !== chunk.rangeNo) return range;
      const last = chunk.events.at(-1)?.key;
      return { ...range, copied: range.copied + chunk.events.length, done: chunk.last, resumeFrom: last ? (last._id as unknown) : range.resumeFrom };
    });
    this.states.set(chunk.namespace, { ...state, ranges });
  }

  finishSnapshot(namespace: string): Promise<void> {
    const state = this.states.get(namespace);
    if (state) this.states.set(namespace, { ...state, status: "done" });
    return Promise.resolve();
  }
}

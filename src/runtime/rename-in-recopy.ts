import { formatNamespace, type ChangeEvent, type Namespace } from "../core/change-event.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";
import type { Sink } from "../core/sink.js";
import type { SnapshotSource, SnapshotTarget } from "../core/snapshot-contract.js";
import type { Position } from "../core/position.js";
import type { ChangeInterrupt } from "./pump-changes.js";
import { copyIntoSink, type SnapshotPhaseContext } from "./snapshot-phase.js";

/** The sinks of the pipeline, and which of them have not reached a position yet. */
export interface SinksBehind {
  sinksBefore(position: Position): readonly Sink[];
}

/**
 * A rename from a namespace the pipeline does not sync into one it does: what `$out` and
 * `$merge`-free "build aside, then swap" jobs do (`renameCollection(shop.tmp → shop.orders,
 * dropTarget)`). The server sends these on purpose, but none of the documents: they were written
 * under a name the pipeline leaves out. So the target collection is copied again, in every sink
 * that has not passed the rename yet, as a collection newly included would be: its old content
 * is dropped (a `drop` event, applied by each sink's drop policy), then the snapshot machinery
 * copies it afresh (a bulk sink's stored progress for it is set aside, so it starts over).
 *
 * The stream then goes on from the rename itself. The copy starts after the rename, so every
 * change between the two is both in the copy and in the stream; replaying it is harmless since
 * applies are idempotent by key. Nothing before the copy is complete moves a sink's position past
 * the rename: a crash or a stop in between replays the rename on the next start, and the copy
 * is made again.
 */
export class RenameInRecopy implements ChangeInterrupt {
  private readonly filter: NamespaceFilter;
  private readonly sinks: SinksBehind;
  private readonly context: SnapshotPhaseContext;

  constructor(filter: NamespaceFilter, sinks: SinksBehind, context: SnapshotPhaseContext) {
    this.filter = filter;
    this.sinks = sinks;
    this.context = context;
  }

  matches(event: ChangeEvent): boolean {
    return event.op === "rename" && event.to?.coll !== undefined && !this.filter.includes(event.ns) && this.filter.includes(event.to);
  }

  async handle(event: ChangeEvent): Promise<boolean> {
    const to = event.to as Namespace;
    const namespace = formatNamespace(to);
    const { logger, signal } = this.context;
    const drop: ChangeEvent = { op: "drop", ns: to, clusterTime: event.clusterTime, position: event.position, source: "stream" };
    for (const sink of this.sinks.sinksBefore(event.position)) {
      logger.info({ sink: sink.name, from: formatNamespace(event.ns), to: namespace }, "collection renamed into the synced set from outside it: copying it again");
      // No position: until the copy is complete, the sink stays before the rename.
      await sink.apply({ events: [drop] }, signal);
      const outcome = await copyIntoSink(sink, { ...this.context, source: onlyCollection(this.context.source, namespace), config: alwaysCopy(this.context) }, (target) =>
        startingAfresh(target, namespace),
      );
      if (!outcome.complete) return false;
    }
    return true;
  }
}

function alwaysCopy(context: SnapshotPhaseContext): SnapshotPhaseContext["config"] {
  return { ...context.config, snapshot: { ...context.config.snapshot, mode: "always" } };
}

/** The source, listing only one collection. */
function onlyCollection(source: SnapshotSource, namespace: string): SnapshotSource {
  return {
    listCollections: () => Promise.resolve([namespace]),
    startPosition: () => source.startPosition(),
    estimateCount: (...args) => source.estimateCount(...args),
    planRanges: (...args) => source.planRanges(...args),
    readRange: (...args) => source.readRange(...args),
  };
}

/** The target, with the stored progress of one collection set aside, so that its copy starts over. */
function startingAfresh(target: SnapshotTarget, namespace: string): SnapshotTarget {
  return {
    loadSnapshots: async () => {
      const stored = await target.loadSnapshots();
      stored.delete(namespace);
      return stored;
    },
    startSnapshot: (plan) => target.startSnapshot(plan),
    writeChunk: (chunk) => target.writeChunk(chunk),
    finishSnapshot: (name) => target.finishSnapshot(name),
  };
}

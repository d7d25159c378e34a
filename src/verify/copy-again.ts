import { keyText } from "../codec/key-text.js";
import type { Document } from "../core/bson.js";
import type { Position } from "../core/position.js";
import type { Sink } from "../core/sink.js";
import { snapshotDeletes, snapshotEvents } from "../snapshot/snapshot-events.js";

/** Where documents are read again by `_id`. */
export interface DocumentsById {
  /** The documents that have these `_id`s now, no older than `after`; ids no document has are left out. In groups of about 16 MiB at most (see `VerifySource.readIds`). */
  readIds(namespace: string, ids: readonly unknown[], after: Position): AsyncIterable<Document[]>;
}

/** What {@link copyAgain} wrote. */
export interface CopiedAgain {
  /** Documents MongoDB holds, written as they are now. */
  readonly copied: number;
  /** Ids no document has now, deleted. */
  readonly deleted: number;
}

/**
 * Copies the documents of these `_id`s again as they are now in MongoDB, as the snapshot copies
 * documents: inserts marked `source: "snapshot"` at `at`, a position fixed before reading (so
 * applying them again is harmless), then deletes of the ids MongoDB no longer holds. Each batch
 * has no position, so the stream's stored position does not move, and is marked `keepNewer`: a
 * row the running sync wrote from a change of `at`'s second or later stays as it is.
 *
 * Each group the source reads (about 16 MiB at most) is a batch of its own, applied before the
 * next is read: the documents of a thousand keys are never all held at once, nor written in one
 * transaction. A failure leaves the groups before it written, which a new attempt writes again.
 */
export async function copyAgain(namespace: string, ids: readonly unknown[], at: Position, source: DocumentsById, sink: Sink, signal?: AbortSignal): Promise<CopiedAgain> {
  const present = new Set<string>();
  let copied = 0;
  for await (const docs of source.readIds(namespace, ids, at)) {
    for (const doc of docs) present.add(keyText(doc._id));
    await sink.apply({ events: snapshotEvents(namespace, docs, at), keepNewer: true }, signal);
    copied += docs.length;
  }
  const gone = ids.filter((id) => !present.has(keyText(id)));
  if (gone.length > 0) await sink.apply({ events: snapshotDeletes(namespace, gone, at), keepNewer: true }, signal);
  return { copied, deleted: gone.length };
}

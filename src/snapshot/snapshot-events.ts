import type { Document } from "../core/bson.js";
import { splitNamespace, type ChangeEvent } from "../core/change-event.js";
import type { Position } from "../core/position.js";

/**
 * Documents read by a snapshot as the changes they amount to: inserts at the snapshot's
 * position, marked `source: "snapshot"`. Every sink takes them like any other change; applying
 * one again, or after the same document's later changes from the stream, is harmless because
 * every apply is idempotent by key and the stream replays what happened after `startedAt`.
 */
export function snapshotEvents(namespace: string, documents: readonly Document[], startedAt: Position): ChangeEvent[] {
  const ns = splitNamespace(namespace);
  return documents.map((doc) => ({
    op: "insert",
    ns,
    key: { _id: doc._id as unknown },
    doc,
    clusterTime: startedAt.clusterTime,
    position: startedAt,
    source: "snapshot",
  }));
}

/**
 * The deletes, marked `source: "snapshot"`, of documents a re-read found gone from the source
 * (`verify --repair`, `dead-letters retry`): the target then holds nothing for them.
 */
export function snapshotDeletes(namespace: string, ids: readonly unknown[], at: Position): ChangeEvent[] {
  const ns = splitNamespace(namespace);
  return ids.map((id) => ({ op: "delete", ns, key: { _id: id }, clusterTime: at.clusterTime, position: at, source: "snapshot" }));
}

import { idFromKeyText } from "../codec/key-text-parse.js";
import { keyText } from "../codec/key-text.js";
import type { Document } from "../core/bson.js";
import type { Position } from "../core/position.js";
import type { Sink } from "../core/sink.js";
import { snapshotDeletes, snapshotEvents } from "../snapshot/snapshot-events.js";

/**
 * Where a retry reads the documents as they are now (MongoDB's `MongoVerifySource` in the
 * CLI; the tests pass documents in directly).
 */
export interface CurrentDocuments {
  /** The cluster time now, as a position: the retried rows are written as of it. */
  startPosition(): Promise<Position>;
  /** The documents that have these `_id`s now, no older than `after`; ids no document has are left out. */
  readIds(namespace: string, ids: readonly unknown[], after: Position): Promise<Document[]>;
}

/** A dead letter to retry: its collection and the `keyText` of its document's `_id`. */
export interface RetriedLetter {
  readonly namespace: string;
  readonly key: string;
}

/** What a retry did, in documents (distinct keys; several dead letters of one key are one document). */
export interface RetryOutcome {
  readonly letters: number;
  readonly documents: number;
  readonly written: number;
  readonly setAsideAgain: number;
  readonly gone: number;
}

/**
 * After a collection's batch committed: removes its retried dead letters and says how many of
 * their keys the sink set aside again.
 */
export type SettleRetried<L extends RetriedLetter> = (namespace: string, letters: readonly L[]) => Promise<number>;

/**
 * Retries dead letters by copying their documents again as they are NOW in MongoDB, never the
 * stored copy (a later change may have been applied since it was set aside): one batch per
 * collection, as `verify --repair` does it (inserts marked `source: "snapshot"` at a position
 * fixed before reading, so applying them is idempotent by key; deletes of keys MongoDB no
 * longer holds), with no position, so the stream's stored position does not move, and marked
 * `keepNewer`: a row the running sync wrote from a later change stays as it is. A document
 * that still does not fit is set aside again by the sink itself, in a new row.
 */
export async function retryDeadLetters<L extends RetriedLetter>(letters: readonly L[], source: CurrentDocuments, sink: Sink, settle: SettleRetried<L>, signal?: AbortSignal): Promise<RetryOutcome> {
  const totals = { letters: letters.length, documents: 0, written: 0, setAsideAgain: 0, gone: 0 };
  for (const [namespace, ofCollection] of byCollection(letters)) {
    const keys = [...new Set(ofCollection.map((letter) => letter.key))];
    const at = await source.startPosition();
    const docs = await source.readIds(namespace, keys.map(idFromKeyText), at);
    const present = new Set(docs.map((doc) => keyText(doc._id)));
    const gone = snapshotDeletes(namespace, keys.filter((key) => !present.has(key)).map(idFromKeyText), at);
    await sink.apply({ events: [...snapshotEvents(namespace, docs, at), ...gone], keepNewer: true }, signal);
    const again = await settle(namespace, ofCollection);
    totals.documents += keys.length;
    totals.gone += gone.length;
    totals.setAsideAgain += again;
    totals.written += keys.length - gone.length - again;
  }
  return totals;
}

function byCollection<L extends RetriedLetter>(letters: readonly L[]): Map<string, L[]> {
  const groups = new Map<string, L[]>();
  for (const letter of letters) {
    const group = groups.get(letter.namespace) ?? [];
    group.push(letter);
    groups.set(letter.namespace, group);
  }
  return groups;
}

import { idFromKeyText } from "../codec/key-text-parse.js";
import type { Position } from "../core/position.js";
import type { Sink } from "../core/sink.js";
import { copyAgain, type DocumentsById } from "../verify/copy-again.js";

/**
 * Where a retry reads the documents as they are now (MongoDB's `MongoVerifySource` in the
 * CLI; the tests pass documents in directly).
 */
export interface CurrentDocuments extends DocumentsById {
  /** The cluster time now, as a position: the retried rows are written as of it. */
  startPosition(): Promise<Position>;
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

/** Keys retried together: read with one `$in`, and their dead letters settled together once written. */
export const KEYS_PER_RETRY = 1_000;

/**
 * Retries dead letters by copying their documents again as they are NOW in MongoDB, never the
 * stored copy (a later change may have been applied since it was set aside), as `verify --repair`
 * does it (`copyAgain`: inserts marked `source: "snapshot"` at a position fixed before reading,
 * so applying them is idempotent by key; deletes of keys MongoDB no longer holds; no position, so
 * the stream's stored position does not move; `keepNewer`, so a row the running sync wrote from a
 * later change stays as it is). A document that still does not fit is set aside again by the
 * sink itself, in a new row.
 *
 * A collection's keys go {@link KEYS_PER_RETRY} at a time, each group MongoDB reads (about
 * 16 MiB at most) a batch of its own, and the dead letters of those keys are settled once they are
 * written: a retry of many large documents holds a few of them at a time, and one that stops
 * keeps what it settled.
 */
export async function retryDeadLetters<L extends RetriedLetter>(letters: readonly L[], source: CurrentDocuments, sink: Sink, settle: SettleRetried<L>, signal?: AbortSignal): Promise<RetryOutcome> {
  const totals = { letters: letters.length, documents: 0, written: 0, setAsideAgain: 0, gone: 0 };
  for (const [namespace, byKey] of byCollectionAndKey(letters)) {
    const keys = [...byKey.keys()];
    const at = await source.startPosition();
    for (let start = 0; start < keys.length; start += KEYS_PER_RETRY) {
      const group = keys.slice(start, start + KEYS_PER_RETRY);
      const { deleted } = await copyAgain(namespace, group.map(idFromKeyText), at, source, sink, signal);
      const again = await settle(namespace, group.flatMap((key) => byKey.get(key) ?? []));
      totals.documents += group.length;
      totals.gone += deleted;
      totals.setAsideAgain += again;
      totals.written += group.length - deleted - again;
    }
  }
  return totals;
}

/** The letters of each collection, by key (several dead letters of one key are one document), in the order they come. */
function byCollectionAndKey<L extends RetriedLetter>(letters: readonly L[]): Map<string, Map<string, L[]>> {
  const collections = new Map<string, Map<string, L[]>>();
  for (const letter of letters) {
    const byKey = collections.get(letter.namespace) ?? new Map<string, L[]>();
    collections.set(letter.namespace, byKey);
    const ofKey = byKey.get(letter.key);
    if (ofKey) ofKey.push(letter);
    else byKey.set(letter.key, [letter]);
  }
  return collections;
}

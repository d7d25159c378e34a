import type { Timestamp } from "bson";
import type { ChangeEvent, TransactionId } from "../core/change-event.js";
import type { Position } from "../core/position.js";

/**
 * Where a batch may be cut so that no MongoDB multi-document transaction is split, told from
 * the stream alone.
 *
 * What the server guarantees (mongod, document_source_change_stream_unwind_transaction.cpp):
 * the events of one transaction carry its `lsid` and `txnNumber` (batched writes carry none,
 * and retryable writes' applyOps are not transactions), all carry the one cluster time of the
 * entry that committed it, and a replica set emits them one after another in `txnOpIndex`
 * order. Through mongos, the shards' streams are merged in resume token order (cluster time
 * first): the parts a transaction wrote on several shards share that cluster time but may come
 * interleaved with each other and with other changes of the same cluster time, and a getMore
 * may end between them. So a transaction is known complete only once something later than its
 * cluster time is seen: an event, or a resume point the server reports when caught up.
 */
export class OpenTransaction {
  private open: { readonly id: TransactionId; readonly clusterTime: Timestamp; warned: boolean } | undefined;

  /** Whether a batch may end right before this event. */
  mayCutBefore(event: ChangeEvent): boolean {
    if (!this.open) return true;
    return later(event.clusterTime, this.open.clusterTime);
  }

  /** Whether a batch may end at a resume point reported while caught up. */
  mayCutAt(position: Position | undefined): boolean {
    if (!this.open) return true;
    return position !== undefined && later(position.clusterTime, this.open.clusterTime);
  }

  /** Takes an event in stream order (left-out events too: they may belong to the transaction). */
  see(event: ChangeEvent): void {
    if (this.open && later(event.clusterTime, this.open.clusterTime)) this.open = undefined;
    if (!event.txn) return;
    if (this.open && sameId(this.open.id, event.txn)) return;
    this.open = { id: event.txn, clusterTime: event.clusterTime, warned: false };
  }

  /** A resume point reported while caught up: a transaction before it is complete. */
  seePosition(position: Position | undefined): void {
    if (this.open && position && later(position.clusterTime, this.open.clusterTime)) this.open = undefined;
  }

  /** The open transaction, the first time it is cut for its size; `undefined` afterwards. */
  firstOversizedCut(): TransactionId | undefined {
    if (!this.open || this.open.warned) return undefined;
    this.open.warned = true;
    return this.open.id;
  }
}

function sameId(a: TransactionId, b: TransactionId): boolean {
  return a.lsid === b.lsid && a.txnNumber === b.txnNumber;
}

function later(a: Timestamp, b: Timestamp): boolean {
  return a.t > b.t || (a.t === b.t && a.i > b.i);
}

import { Binary, Long, Timestamp, type Document } from "mongodb";
import type { ChangeEvent } from "../../src/core/change-event.js";
import { normalizeChange } from "../../src/source/normalize-change.js";

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, "0");

/**
 * A resume token as mongod writes it (resume_token.cpp, KeyString): `82` and the cluster time,
 * version 2 (`2B04`), tokenType 128 (`2C0100`), then txnOpIndex (`29` for 0, `2B` and twice the
 * value for a small positive one), fromInvalidate false (`6E`) and the collection UUID prefix.
 */
export function serverToken(t: number, i: number, txnOpIndex = 0): { _data: string } {
  const opIndex = txnOpIndex === 0 ? "29" : `2B${hex(txnOpIndex * 2, 2)}`;
  return { _data: `82${hex(t, 8)}${hex(i, 8)}2B042C0100${opIndex}6E5A1004` };
}

/** The logical session of the transactions below. */
const session = { id: new Binary(Buffer.from("00112233445566778899aabbccddeeff", "hex"), 4), uid: new Binary(Buffer.alloc(32)) };

export interface ServerChangeSpec {
  readonly operationType: "insert" | "update" | "replace" | "delete";
  readonly id: unknown;
  /** The cluster time; inside a transaction every event has the commit's. */
  readonly at: { readonly t: number; readonly i: number; readonly txnOpIndex?: number };
  readonly txnNumber?: number;
  readonly coll?: string;
  /** `fullDocument`, `fullDocumentBeforeChange`, `updateDescription`, as the server sends them. */
  readonly fields?: Document;
}

/** A change event of `shop.<coll>` as the server emits it, normalized as the source does. */
export function serverChange(spec: ServerChangeSpec): ChangeEvent {
  const event = normalizeChange(serverChangeDocument(spec));
  if (!event) throw new Error(`normalizeChange left out a ${spec.operationType}`);
  return event;
}

/** A change event of `shop.<coll>` as the server emits it, before the source normalizes it. */
export function serverChangeDocument(spec: ServerChangeSpec): Document {
  return {
    _id: serverToken(spec.at.t, spec.at.i, spec.at.txnOpIndex),
    operationType: spec.operationType,
    clusterTime: new Timestamp({ t: spec.at.t, i: spec.at.i }),
    wallTime: new Date(spec.at.t * 1000),
    ns: { db: "shop", coll: spec.coll ?? "orders" },
    documentKey: { _id: spec.id },
    ...spec.fields,
    ...(spec.txnNumber === undefined ? {} : { lsid: session, txnNumber: Long.fromNumber(spec.txnNumber) }),
  };
}

import { ObjectId, Timestamp, type Document } from "../core/bson.js";
import { splitNamespace, type ChangeEvent, type ChangeOp, type TransactionId, type UpdateDescription } from "../core/change-event.js";
import { makePosition, type Position } from "../core/position.js";
import type { Batch, StreamBatch } from "../core/sink.js";
import { keyText } from "../codec/key-text.js";

/**
 * The changes the conformance suite sends a sink, in the order it sends them, and what a sink
 * that holds documents must hold afterwards.
 */
export interface ConformanceChanges {
  readonly namespace: string;
  /** Snapshot events (`source: "snapshot"`) of four documents, without a position. */
  readonly snapshot: Batch;
  /** Inserts, updates, a replace and deletes of several keys, in a transaction in part. */
  readonly changes: StreamBatch;
  /** No events, a later position (a quiet stream, or filtered changes). */
  readonly positionOnly: StreamBatch;
  /** Every `_id` the batches touch. */
  readonly ids: readonly unknown[];
  /** The last state of each document still present, keyed by `keyText(_id)`; deleted ones are absent. */
  readonly expected: ReadonlyMap<string, Document>;
}

/**
 * Builds the conformance changes for `namespace`, with fresh `_id`s (an ObjectId, a string and a
 * number among them) and positions at `now`, so runs against the same storage do not collide.
 */
export function conformanceChanges(namespace: string, now: Date = new Date()): ConformanceChanges {
  const t = Math.floor(now.getTime() / 1000);
  const ns = splitNamespace(namespace);
  let sequence = 0;
  const nextPosition = (): Position => positionAt(t, (sequence += 1));
  const snapshotStart = nextPosition();

  const seed = new ObjectId();
  const suffix = seed.toHexString().slice(-6);
  const ada = seed;
  const grace = `grace-${suffix}`;
  const linus = Number.parseInt(suffix, 16) + 1;
  const barbara = new ObjectId();
  const edsger = new ObjectId();
  const ken = `ken-${suffix}`;
  const never = new ObjectId();

  const snapshotDocs = [customer(ada, "Ada", now), customer(grace, "Grace", now), customer(linus, "Linus", now), customer(barbara, "Barbara", now)];
  const snapshot: Batch = {
    events: snapshotDocs.map((doc) => ({
      op: "insert",
      ns,
      key: { _id: doc._id as unknown },
      doc,
      clusterTime: snapshotStart.clusterTime,
      position: snapshotStart,
      source: "snapshot",
    })),
  };

  const txn: TransactionId = { lsid: `conformance-${suffix}`, txnNumber: "1" };
  const event = (op: ChangeOp, id: unknown, parts: { doc?: Document; update?: UpdateDescription; txn?: TransactionId } = {}): ChangeEvent => {
    const position = nextPosition();
    return { op, ns, key: { _id: id }, ...parts, clusterTime: position.clusterTime, wallTime: new Date(position.clusterTime.t * 1000), position, source: "stream" };
  };
  const adaUpdated: Document = { ...customer(ada, "Ada", now), plan: "team", visits: 4 };
  delete adaUpdated.note;
  const graceReplaced = { _id: grace, name: "Grace Hopper", email: `grace-${suffix}@example.com`, plan: "enterprise", tags: ["navy", "cobol"], createdAt: now };
  const barbaraOnce = { ...customer(barbara, "Barbara", now), visits: 10 };
  const barbaraTwice = { ...barbaraOnce, address: { city: "Boston", zip: "02139" }, visits: 11 };
  const edsgerDoc = customer(edsger, "Edsger", now);
  const kenDoc = customer(ken, "Ken", now);
  const events: ChangeEvent[] = [
    event("insert", edsger, { doc: edsgerDoc }),
    event("update", ada, { doc: adaUpdated, update: updated({ plan: "team", visits: 4 }, ["note"]) }),
    event("replace", grace, { doc: graceReplaced }),
    event("delete", linus, { txn }),
    event("update", barbara, { doc: barbaraOnce, update: updated({ visits: 10 }), txn }),
    event("insert", ken, { doc: kenDoc }),
    // Deleted before its update was read: the lookup of its full document found nothing.
    event("update", ken, { update: updated({ plan: "pro" }) }),
    event("delete", ken),
    event("delete", never),
    event("update", barbara, { doc: barbaraTwice, update: updated({ "address.city": "Boston", visits: 11 }) }),
  ];
  const last = events[events.length - 1];
  if (!last) throw new Error("no conformance events");
  const changes: StreamBatch = { events, position: last.position };
  const positionOnly: StreamBatch = { events: [], position: positionAt(t, sequence + 100) };

  const expected = new Map<string, Document>(([adaUpdated, graceReplaced, barbaraTwice, edsgerDoc] as Document[]).map((doc) => [keyText(doc._id), doc]));
  return { namespace, snapshot, changes, positionOnly, ids: [ada, grace, linus, barbara, edsger, ken, never], expected };
}

/** A customer document as a driver decodes one: numbers as numbers, dates, nested documents and arrays. */
function customer(id: unknown, name: string, now: Date): Document {
  const handle = name.toLowerCase();
  return {
    _id: id,
    name,
    email: `${handle}@example.com`,
    plan: "free",
    visits: 3,
    score: 4.5,
    active: true,
    note: null,
    createdAt: now,
    tags: ["early", handle],
    address: { city: "London", zip: "N1 9GU" },
    orders: [
      { sku: "A-1", qty: 2, price: 9.99 },
      { sku: "B-7", qty: 1, price: 120 },
    ],
  };
}

function updated(updatedFields: Document, removedFields: string[] = []): UpdateDescription {
  return { updatedFields, removedFields, truncatedArrays: [] };
}

/** A position whose resume token has the server's format for cluster time (t, i). */
function positionAt(t: number, i: number): Position {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, "0");
  return makePosition({ _data: `82${hex(t)}${hex(i)}2B022C0100296E5A1004` }, new Timestamp({ t, i }));
}

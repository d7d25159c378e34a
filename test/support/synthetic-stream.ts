import { Timestamp } from "mongodb";
import type { ChangeEvent } from "../../src/core/change-event.js";
import { makePosition } from "../../src/core/position.js";
import { tokenAt } from "./events.js";

const T = 1_700_000_000;
const KEYS = 500;

/**
 * The k-th change (k ≥ 1) of a deterministic stream over 500 keys of `crash.synthetic`:
 * inserts, updates and deletes, each document carrying `k`, each at position (T, k).
 */
export function syntheticEvent(k: number): ChangeEvent {
  const id = `key-${k % KEYS}`;
  const position = makePosition(tokenAt(T, k));
  const base = { ns: { db: "crash", coll: "synthetic" }, key: { _id: id }, clusterTime: new Timestamp({ t: T, i: k }), position, source: "stream" as const };
  if (k % 10 === 0) return { ...base, op: "delete" };
  return { ...base, op: k % 3 === 0 ? "update" : "insert", doc: { _id: id, k, payload: "x".repeat(k % 50) } };
}

/** Where the stream of `total` changes ends: key → the `k` of its last write (deleted keys absent). */
export function syntheticFinalState(total: number): Map<string, number> {
  const state = new Map<string, number>();
  for (let k = 1; k <= total; k += 1) {
    const event = syntheticEvent(k);
    const id = String(event.key?._id);
    if (event.op === "delete") state.delete(id);
    else state.set(id, k);
  }
  return state;
}

/** The `k` after which a stored position continues. */
export function syntheticIndexOf(position: { clusterTime: Timestamp } | undefined): number {
  return position ? position.clusterTime.i : 0;
}

import { Timestamp, type Document } from "mongodb";
import type { ChangeEvent, ChangeOp, TransactionId } from "../../src/core/change-event.js";
import { makePosition } from "../../src/core/position.js";

let sequence = 0;

/** A resume token in the server's format for cluster time (t, i). */
export function tokenAt(t: number, i: number): { _data: string } {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, "0");
  return { _data: `82${hex(t)}${hex(i)}2B022C0100296E5A1004` };
}

export interface EventSpec {
  readonly op: ChangeOp;
  readonly ns: string;
  readonly id?: unknown;
  readonly doc?: Document;
  readonly to?: string;
  readonly txn?: TransactionId;
  readonly t?: number;
}

function parseNs(ns: string): { db: string; coll?: string } {
  const dot = ns.indexOf(".");
  return dot === -1 ? { db: ns } : { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}

/** A `ChangeEvent` as the source would yield it, each one at a later position than the last. */
export function makeEvent(spec: EventSpec): ChangeEvent {
  sequence += 1;
  const t = spec.t ?? 1_700_000_000;
  const clusterTime = new Timestamp({ t, i: sequence });
  const event: { -readonly [K in keyof ChangeEvent]: ChangeEvent[K] } = {
    op: spec.op,
    ns: parseNs(spec.ns),
    clusterTime,
    position: makePosition(tokenAt(t, sequence)),
    source: "stream",
  };
  if (spec.id !== undefined) event.key = { _id: spec.id };
  if (spec.doc !== undefined) event.doc = spec.doc;
  if (spec.to !== undefined) event.to = parseNs(spec.to);
  if (spec.txn !== undefined) event.txn = spec.txn;
  return event;
}

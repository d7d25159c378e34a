import { describe, expect, it } from "vitest";
import { BatchAccumulator } from "../../../src/pipeline/batch-accumulator.js";
import type { Batch } from "../../../src/core/sink.js";
import { makePosition } from "../../../src/core/position.js";
import { makeEvent, tokenAt } from "../../support/events.js";

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 0;
  return { now: () => time, advance: (ms) => (time += ms) };
}

const ids = (batch: Batch | undefined): unknown[] | undefined => batch?.events.map((e) => e.key?._id);

describe("BatchAccumulator", () => {
  it("cuts a batch when it is full, with the position of its last event", () => {
    const c = clock();
    const acc = new BatchAccumulator({ maxSize: 2, maxLatencyMs: 1_000, idleCommitIntervalMs: 10_000 }, (e) => e, undefined, c.now);
    const events = [1, 2, 3].map((id) => makeEvent({ op: "insert", ns: "a.b", id, doc: { _id: id } }));
    expect(acc.push({ kind: "event", event: events[0]! })).toBeUndefined();
    expect(acc.push({ kind: "event", event: events[1]! })).toBeUndefined();
    const batch = acc.push({ kind: "event", event: events[2]! });
    expect(ids(batch)).toEqual([1, 2]);
    expect(batch?.position.key).toBe(events[1]!.position.key);
    expect(ids(acc.drain())).toEqual([3]);
  });

  it("cuts on latency and when the stream is caught up", () => {
    const c = clock();
    const acc = new BatchAccumulator({ maxSize: 100, maxLatencyMs: 200, idleCommitIntervalMs: 10_000 }, (e) => e, undefined, c.now);
    acc.push({ kind: "event", event: makeEvent({ op: "insert", ns: "a.b", id: 1, doc: { _id: 1 } }) });
    c.advance(250);
    expect(ids(acc.push({ kind: "event", event: makeEvent({ op: "insert", ns: "a.b", id: 2, doc: { _id: 2 } }) }))).toEqual([1]);
    const caughtUp = makePosition(tokenAt(1_800_000_000, 1));
    const batch = acc.push({ kind: "caughtUp", position: caughtUp });
    expect(ids(batch)).toEqual([2]);
    expect(batch?.position.key).toBe(caughtUp.key);
  });

  it("advances the position past filtered events without applying them", () => {
    const c = clock();
    const acc = new BatchAccumulator({ maxSize: 100, maxLatencyMs: 200, idleCommitIntervalMs: 10_000 }, (e) => (e.ns.coll === "keep" ? e : undefined), undefined, c.now);
    const skipped = makeEvent({ op: "insert", ns: "a.skip", id: 1, doc: { _id: 1 } });
    acc.push({ kind: "event", event: skipped });
    const batch = acc.drain();
    expect(batch?.events).toEqual([]);
    expect(batch?.position.key).toBe(skipped.position.key);
  });

  it("commits a quiet stream's advancing position at once the first time, then every idle interval", () => {
    const c = clock();
    const acc = new BatchAccumulator({ maxSize: 100, maxLatencyMs: 200, idleCommitIntervalMs: 10_000 }, (e) => e, undefined, c.now);
    const first = acc.push({ kind: "caughtUp", position: makePosition(tokenAt(1_800_000_000, 1)) });
    expect(first?.events).toEqual([]);
    acc.markCommitted(first!);
    c.advance(5_000);
    expect(acc.push({ kind: "caughtUp", position: makePosition(tokenAt(1_800_000_005, 1)) })).toBeUndefined();
    c.advance(5_000);
    const later = acc.push({ kind: "caughtUp", position: makePosition(tokenAt(1_800_000_010, 1)) });
    expect(later?.position.clusterTime.t).toBe(1_800_000_010);
    acc.markCommitted(later!);
    c.advance(20_000);
    expect(acc.push({ kind: "caughtUp", position: makePosition(tokenAt(1_800_000_010, 1)) })).toBeUndefined();
  });
});

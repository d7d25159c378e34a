// A change feed for watcher tests: an append-only log of items that every reader replays
// from its resume position, the way a change stream resumes after a token. It is our own
// `ChangeFeed` seam fed with `makeEvent` changes, not a stand-in for MongoDB.

import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { SourceItem } from "../../../src/core/change-event.js";
import { comparePositions, makePosition, type Position } from "../../../src/core/position.js";
import type { ChangeFeed } from "../../../src/watch/change-feed.js";
import type { SnapshotSource } from "../../../src/core/snapshot-contract.js";
import { resolveWatchOptions, type ResolvedWatchOptions, type WatchOptions } from "../../../src/watch/watch-options.js";
import { makeEvent, tokenAt, type EventSpec } from "../../support/events.js";

export class ScriptedFeed implements ChangeFeed {
  /** Where a reader without a stored position begins. */
  readonly start: Position;
  readonly openedWith: (Position | undefined)[] = [];
  readonly readFrom: Position[] = [];
  closed = 0;
  /** What the initial copy reads (a `SyntheticSnapshotSource`), and the collections each copy asked for. */
  copyFrom: SnapshotSource | undefined;
  readonly copiesAsked: (readonly string[])[] = [];
  /** Items every reader has handed out so far (what the watcher read, delivered or not). */
  handedOut = 0;
  private readonly log: SourceItem[] = [];
  private failure: unknown;
  private readonly waiters = new Set<() => void>();

  constructor(start: Position = makePosition(tokenAt(1_600_000_000, 1))) {
    this.start = start;
  }

  /** Appends a change; returns it. */
  write(spec: EventSpec): ChangeEvent {
    const event = makeEvent(spec);
    this.append({ kind: "event", event });
    return event;
  }

  /** Appends word that the stream is caught up, at a position after everything written. */
  caughtUp(): Position {
    // makeEvent's positions increase with each call: this one is after every change written so far.
    const position = makeEvent({ op: "insert", ns: "x.y" }).position;
    this.append({ kind: "caughtUp", position });
    return position;
  }

  /** Makes every reader fail (after the items already written) with `error`. */
  fail(error: unknown): void {
    this.failure = error;
    this.wake();
  }

  async open(stored: Position | undefined): Promise<Position> {
    this.openedWith.push(stored);
    return stored ?? this.start;
  }

  async *items(from: Position, signal: AbortSignal): AsyncGenerator<SourceItem> {
    this.readFrom.push(from);
    let next = 0;
    while (!signal.aborted) {
      const item = this.log[next];
      if (item !== undefined) {
        next += 1;
        const position = item.kind === "event" ? item.event.position : item.position;
        if (position !== undefined && comparePositions(position, from) <= 0) continue;
        this.handedOut += 1;
        yield item;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.waiters.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.waiters.add(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  copySource(collections: readonly string[]): SnapshotSource {
    this.copiesAsked.push(collections);
    if (this.copyFrom === undefined) throw new Error("this scripted feed has no copy source");
    return this.copyFrom;
  }

  async close(): Promise<void> {
    this.closed += 1;
  }

  /** Appends an item as it is (an event built by the test). */
  append(item: SourceItem): void {
    this.log.push(item);
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Options for a watcher on a scripted feed: quick latency, explicit store. */
export function scriptedOptions(options: WatchOptions = {}): ResolvedWatchOptions {
  return resolveWatchOptions(options);
}

export { MemoryResumePointStore as MemoryStore } from "../../support/memory-resume-point-store.js";

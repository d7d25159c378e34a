// watch() consumed the way a user's code consumes it: a `for await` loop whose body writes each
// change to PostgreSQL (one INSERT, one round trip, as a handler that calls a service would wait on
// it). The changes are insert events in the server's shape, serialized before the clock starts and
// decoded inside it as the driver decodes them (pump-scenarios.ts), through the watcher's own
// delivery (ChangeWatcher over a feed of those events: the seam its tests use). Once reading up to
// WATCH_READ_AHEAD ahead, as watch() does, once a single change ahead (before the eighteenth pass
// it read none ahead): the pair isolates what reading further ahead wins while the loop body waits. No network is involved: a change
// stream's `getMore` round trips, which reading ahead overlaps too, are not in these figures.

import { performance } from "node:perf_hooks";
import type { Document } from "mongodb";
import pg from "pg";
import type { SourceItem } from "../src/core/change-event.js";
import { makePosition, type Position } from "../src/core/position.js";
import type { SnapshotSource } from "../src/core/snapshot-contract.js";
import type { ChangeFeed } from "../src/watch/change-feed.js";
import { ChangeWatcher } from "../src/watch/change-watcher.js";
import { resolveWatchOptions, WATCH_READ_AHEAD } from "../src/watch/watch-options.js";
import { tokenAt } from "../test/support/events.js";
import { realisticDocuments } from "../test/support/realistic-documents.js";
import type { Measured } from "./snapshot-scenarios.js";
import { decodedItems, serializedInserts } from "./pump-scenarios.js";

/** The watcher's feed: the serialized events, each decoded as it is taken, then the end of the stream. */
class DecodedFeed implements ChangeFeed {
  private readonly serialized: readonly Uint8Array[];

  constructor(serialized: readonly Uint8Array[]) {
    this.serialized = serialized;
  }

  open(): Promise<Position> {
    return Promise.resolve(makePosition(tokenAt(1_600_000_000, 1)));
  }

  /** The watcher's read-ahead returns it when the watcher stops (its signal aborts). */
  items(): AsyncGenerator<SourceItem> {
    return decodedItems(this.serialized);
  }

  copySource(): SnapshotSource {
    throw new Error("the bench's feed has no initial copy");
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Seconds for a `for await` loop over a watcher of `documents`' insert events to write each one's `_id` to PostgreSQL. */
async function watchInto(client: pg.Client, serialized: readonly Uint8Array[], oneAhead: boolean): Promise<number> {
  const options = { ...resolveWatchOptions(), readAhead: oneAhead ? { ...WATCH_READ_AHEAD, maxItems: 1 } : WATCH_READ_AHEAD };
  const watcher = new ChangeWatcher(new DecodedFeed(serialized), options);
  const started = performance.now();
  for await (const event of watcher) await client.query("INSERT INTO seen (id, op) VALUES ($1, $2)", [String(event.key?._id), event.op]);
  return (performance.now() - started) / 1000;
}

/**
 * `docs` realistic documents of about `size` bytes as insert events through watch(), reading
 * ahead or `oneAhead`; a first pass over other documents, untimed, warms the code up (the sink-apply
 * rows do the same).
 */
export async function watchDecoded(url: string, docs: number, size: number, oneAhead: boolean): Promise<Measured> {
  const all: readonly Document[] = realisticDocuments(2 * docs, size);
  const client = new pg.Client({ connectionString: url, application_name: "tributary bench watch" });
  await client.connect();
  try {
    await client.query("CREATE TABLE seen (id text NOT NULL, op text NOT NULL)");
    await watchInto(client, serializedInserts(all.slice(docs)), oneAhead);
    const seconds = await watchInto(client, serializedInserts(all.slice(0, docs)), oneAhead);
    return { seconds, items: docs };
  } finally {
    await client.end();
  }
}

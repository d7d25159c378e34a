// The sink fed the way a sync feeds it: change events decoded from BSON as the driver decodes
// them (LOSSLESS_BSON_OPTIONS), normalized as the source normalizes them, then batched and
// applied by the pump `runSync` uses. Once reading one batch ahead while a batch is applied (as
// a sync does), once reading a single change ahead (so the decoding waits for the sink, as when
// nothing is read ahead), with the same pump, accumulator and stats otherwise. The change events
// are the server's shape (test/support/server-changes.ts), serialized before the clock starts;
// no network is involved, so only the decoding's CPU is in the source's share.

import { performance } from "node:perf_hooks";
import { BSON, type Document } from "mongodb";
import type { SourceItem } from "../src/core/change-event.js";
import { silentLogger } from "../src/core/logger.js";
import { BatchAccumulator } from "../src/pipeline/batch-accumulator.js";
import { PipelineStats } from "../src/pipeline/pipeline-stats.js";
import { readAheadLimits } from "../src/pipeline/read-ahead.js";
import { pumpChanges } from "../src/runtime/pump-changes.js";
import type { PostgresSink } from "../src/sinks/postgres/postgres-sink.js";
import { LOSSLESS_BSON_OPTIONS } from "../src/source/mongo-connection.js";
import { normalizeChange } from "../src/source/normalize-change.js";
import { serverChangeDocument } from "../test/support/server-changes.js";

/** Cluster time (seconds) of the first event. */
const EVENTS_AT = 1_700_000_000;

/** The insert events of `documents` as the server sends them, each at the next cluster time increment after `after`. */
export function serializedInserts(documents: readonly Document[], after = 0): Uint8Array[] {
  return documents.map((doc, index) =>
    BSON.serialize(serverChangeDocument({ operationType: "insert", id: doc._id, at: { t: EVENTS_AT, i: after + index + 1 }, fields: { fullDocument: doc } })),
  );
}

/** The items a change stream source would yield for `serialized`, each decoded as it is taken. */
export async function* decodedItems(serialized: readonly Uint8Array[]): AsyncGenerator<SourceItem> {
  for (const bytes of serialized) yield { kind: "event", event: decoded(bytes) };
}

function decoded(bytes: Uint8Array): NonNullable<ReturnType<typeof normalizeChange>> {
  const event = normalizeChange(BSON.deserialize(bytes, LOSSLESS_BSON_OPTIONS));
  if (!event) throw new Error("normalizeChange left out an insert");
  return event;
}

/**
 * Seconds to take `serialized` through `pumpChanges` into `sink` in batches of `batch` (cut by
 * size alone), reading one batch ahead, or with `oneAhead` a single change ahead.
 */
export async function pumpDecoded(sink: PostgresSink, serialized: readonly Uint8Array[], batch: number, oneAhead: boolean): Promise<number> {
  const accumulator = new BatchAccumulator({ maxSize: batch, maxLatencyMs: 3_600_000, idleCommitIntervalMs: 3_600_000 }, (event) => event);
  const readAhead = readAheadLimits({ maxSize: oneAhead ? 1 : batch });
  const started = performance.now();
  await pumpChanges(() => decodedItems(serialized), accumulator, sink, { signal: new AbortController().signal, readAhead, stats: new PipelineStats(), logger: silentLogger() });
  return (performance.now() - started) / 1000;
}

// A child process that snapshots a synthetic collection into PostgreSQL and then applies the
// synthetic stream, resuming both from what an earlier run committed: the subject of the fault
// suite's kill -9 test. Usage: <postgres-url> <documents> <changes> <batch> <delay-per-chunk-ms>
import { silentLogger } from "../../src/core/logger.js";
import { runSnapshot } from "../../src/snapshot/snapshot-runner.js";
import { makeSink } from "./postgres-sink-fixture.js";
import { realisticDocuments } from "./realistic-documents.js";
import { SyntheticSnapshotSource } from "./synthetic-snapshot-source.js";
import { syntheticEvent, syntheticIndexOf } from "./synthetic-stream.js";

const [url, documentsText, changesText, batchText, delayText] = process.argv.slice(2);
const changes = Number(changesText);
const batchSize = Number(batchText);
const sink = makeSink(url ?? "", { pipeline: "faults" });
await sink.open();
const target = sink.snapshotTarget(3);
const source = new SyntheticSnapshotSource({ "shop.orders": realisticDocuments(Number(documentsText), 300) }, { delayPerChunkMs: Number(delayText) });
try {
  await runSnapshot(source, target, { mode: "initial", parallelism: 3, chunkSize: 500, rangeSize: 3_000, logger: silentLogger(), signal: new AbortController().signal });
} finally {
  await target.close();
}
for (let next = syntheticIndexOf(sink.storedPosition()) + 1; next <= changes; next += batchSize) {
  const events = Array.from({ length: Math.min(batchSize, changes - next + 1) }, (_, i) => syntheticEvent(next + i));
  await sink.apply({ events, position: events.at(-1)!.position });
}
await sink.close();

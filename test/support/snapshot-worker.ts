// A child process that snapshots a synthetic collection into PostgreSQL, resuming what an
// earlier run left unfinished: the subject of the snapshot kill -9 test.
// Usage: <postgres-url> <documents> <delay-per-chunk-ms>. Prints the ranges it read as canonical
// Extended JSON on stdout when done.
import { BSON } from "mongodb";
import { silentLogger } from "../../src/core/logger.js";
import { runSnapshot } from "../../src/snapshot/snapshot-runner.js";
import { makeSink } from "./postgres-sink-fixture.js";
import { realisticDocuments } from "./realistic-documents.js";
import { SyntheticSnapshotSource } from "./synthetic-snapshot-source.js";

export const SNAPSHOT_WORKER_SETTINGS = { parallelism: 3, chunkSize: 500, rangeSize: 3_000 } as const;

const [url, countText, delayText] = process.argv.slice(2);
const sink = makeSink(url ?? "", { pipeline: "snapshot-crash" });
await sink.open();
const target = sink.snapshotTarget(SNAPSHOT_WORKER_SETTINGS.parallelism);
const source = new SyntheticSnapshotSource({ "shop.orders": realisticDocuments(Number(countText), 300) }, { delayPerChunkMs: Number(delayText) });
try {
  await runSnapshot(source, target, { mode: "initial", ...SNAPSHOT_WORKER_SETTINGS, logger: silentLogger(), signal: new AbortController().signal });
} finally {
  await target.close();
  await sink.close();
}
process.stdout.write(BSON.EJSON.stringify(source.reads, { relaxed: false }));

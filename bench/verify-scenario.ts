import { benchSink } from "./bench-sink.js";
import { performance } from "node:perf_hooks";
import { ObjectId, type Document } from "mongodb";
import { silentLogger } from "../src/core/logger.js";
import type { Verifiable } from "../src/core/sink.js";
import type { PostgresSink } from "../src/sinks/postgres/postgres-sink.js";
import { verifyCollection } from "../src/verify/verify-collection.js";
import type { VerifySource } from "../src/verify/verify-source.js";
import { DocumentGenerator, indexOfObjectId } from "./generated-documents.js";
import { GeneratedSnapshotSource } from "./generated-snapshot-source.js";
import type { GeneratedSet } from "./scenario.js";
import { defaultSnapshotSettings, GENERATED_NAMESPACE, snapshotGenerated, type Measured } from "./snapshot-scenarios.js";

/** The generated source, with documents by `_id` (verify reads them only for keys that differ). */
class GeneratedVerifySource extends GeneratedSnapshotSource implements VerifySource {
  private readonly documents: DocumentGenerator;
  private readonly total: number;

  constructor(count: number, generator: DocumentGenerator) {
    super(GENERATED_NAMESPACE, count, generator);
    this.documents = generator;
    this.total = count;
  }

  async *readIds(_namespace: string, ids: readonly unknown[]): AsyncGenerator<Document[]> {
    const indexes = ids.flatMap((id) => (id instanceof ObjectId ? [indexOfObjectId(id)] : [])).filter((index) => index < this.total);
    yield await Promise.resolve(indexes.map((index) => this.documents.document(index)));
  }
}

/**
 * `tributary verify` of a collection the snapshot just copied (the copy is made first, untimed):
 * timed from planning the ranges to the report, with the snapshot's parallelism, chunk and range
 * sizes. The copy is equal, so this is the cost of proving it: both sides read and hashed.
 */
export async function verifyGenerated(url: string, set: GeneratedSet, parallelism: number): Promise<Measured> {
  await snapshotGenerated(url, set, parallelism);
  const sink = benchSink(url);
  await sink.open();
  try {
    const source = new GeneratedVerifySource(set.docs, new DocumentGenerator(set.size, set.distinct));
    const { chunkSize, rangeSize } = defaultSnapshotSettings(parallelism);
    const started = performance.now();
    const result = await verifyCollection(GENERATED_NAMESPACE, {
      source,
      sink: sink as PostgresSink & { capabilities: { verifiable: Verifiable } },
      settings: { parallelism, chunkSize, rangeSize, settleTimeoutMs: 0, repair: false },
      logger: silentLogger(),
      signal: new AbortController().signal,
    });
    const seconds = (performance.now() - started) / 1000;
    if (!result.equal) throw new Error(`verify found ${result.differenceCount} differences in a copy the snapshot just made`);
    return { seconds, items: result.documents, detail: { held: result.held, ranges: result.ranges } };
  } finally {
    await sink.close();
  }
}

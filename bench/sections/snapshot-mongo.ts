import { DocumentGenerator } from "../generated-documents.js";
import { BENCH_DB, loadCollection } from "../mongo-setup.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import type { Scenario } from "../scenario.js";
import { measureScenarios, progress, resultOf, type BenchContext, type Repeated } from "./context.js";

const NAMESPACE = `${BENCH_DB}.snapshot`;

/**
 * The snapshot from MongoDB: `--docs` realistic documents loaded into the collection (not
 * timed), then `a` a bare baseline (one `find()` cursor → EJSON → one COPY) and `b1`/`bP`
 * Tributary's snapshot in raw mode (MongoSnapshotSource → runSnapshot → the PostgreSQL target),
 * each against `a`.
 */
export async function snapshotMongoSection(context: BenchContext): Promise<SectionOutcome> {
  const { mongo } = context;
  if (!("uri" in mongo)) return { name: "snapshot", status: "skipped", reason: mongo.skipped, results: [] };
  const { docs, size, distinct, parallelism } = context.options;
  progress(`snapshot: loading ${docs} documents into ${NAMESPACE}`);
  const { bytes, reused } = await loadCollection(mongo.uri, NAMESPACE, docs, new DocumentGenerator(size, distinct), { size, distinct });
  progress(`snapshot: ${reused ? "reusing" : "loaded"} ${docs} documents (${(bytes / 1_000_000).toFixed(1)} MB of BSON)`);
  const parallelisms = [...new Set([1, parallelism])];
  const [bare, ...tributary] = await measureScenarios(context, [
    { name: "snapshot-bare", items: docs, database: "snapshot_bare", scenario: (url) => ({ kind: "mongo-copy", url, mongoUri: mongo.uri, namespace: NAMESPACE }) },
    ...parallelisms.map((p) => ({
      name: `snapshot-tributary-p${p}`,
      items: docs,
      database: `snapshot_p${p}`,
      scenario: (url: string): Scenario => ({ kind: "mongo-snapshot", url, mongoUri: mongo.uri, namespace: NAMESPACE, parallelism: p }),
    })),
  ]);
  const baseline = resultOf("snapshot", "a", "bare: find() → EJSON → one COPY, 1 transaction", bare as Repeated, { bytes });
  const results: BenchResult[] = [baseline];
  for (const [index, p] of parallelisms.entries()) {
    const child = tributary[index] as Repeated;
    const rows = child.detail.rows;
    const note = rows === docs ? undefined : `expected ${docs} rows, the table holds ${rows}`;
    results.push(resultOf("snapshot", `b${p}`, `tributary snapshot, raw, parallelism ${p}`, child, { bytes, baseline, ...(note ? { note } : {}) }));
  }
  return { name: "snapshot", status: "ok", results };
}

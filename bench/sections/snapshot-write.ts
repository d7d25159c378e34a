import { DocumentGenerator } from "../generated-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import type { GeneratedSet } from "../scenario.js";
import { measureScenario, progress, resultOf, type BenchContext } from "./context.js";

/**
 * The snapshot's write path without MongoDB: generated documents (made as they are read) into
 * PostgreSQL. `src` is the generator alone (a ceiling: nothing can be faster), `a'` the bare
 * baseline (EJSON → one COPY), `b'1`/`b'P` Tributary's snapshot in raw mode at parallelism 1
 * and P, each against `a'`.
 */
export async function snapshotWriteSection(context: BenchContext): Promise<SectionOutcome> {
  const { docs, size, distinct, parallelism } = context.options;
  const set: GeneratedSet = { docs, size, distinct };
  const bytes = new DocumentGenerator(size, distinct).totalBytes(docs);
  progress(`snapshot-write: ${docs} generated documents, ${(bytes / 1_000_000).toFixed(1)} MB of BSON`);
  const results: BenchResult[] = [];
  const source = await measureScenario(context, "snapshot-write-source", docs, undefined, () => ({ kind: "generated-read", ...set }));
  results.push(resultOf("snapshot-write", "src", "generated source alone, no writes", source, { bytes }));
  const baseline = resultOf(
    "snapshot-write",
    "a'",
    "bare: EJSON → one COPY, 1 transaction",
    await measureScenario(context, "snapshot-write-bare", docs, "write_bare", (url) => ({ kind: "generated-copy", url, ...set })),
    { bytes },
  );
  results.push(baseline);
  for (const p of new Set([1, parallelism])) {
    const child = await measureScenario(context, `snapshot-write-tributary-p${p}`, docs, `write_p${p}`, (url) => ({ kind: "generated-snapshot", url, parallelism: p, ...set }));
    const rows = child.detail.rows;
    const note = rows === docs ? undefined : `expected ${docs} rows, the table holds ${rows}`;
    results.push(resultOf("snapshot-write", `b'${p}`, `tributary snapshot, raw, parallelism ${p}`, child, { bytes, baseline, ...(note ? { note } : {}) }));
  }
  return { name: "snapshot-write", status: "ok", results };
}

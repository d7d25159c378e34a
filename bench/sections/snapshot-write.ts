import { DocumentGenerator } from "../generated-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import { WRITE_MODE_NAME, WRITE_MODE_TAG, type GeneratedSet, type Scenario, type WriteMode } from "../scenario.js";
import { measureScenarios, progress, resultOf, type BenchContext, type Repeated } from "./context.js";

/**
 * The snapshot's write path without MongoDB: generated documents (made as they are read) into
 * PostgreSQL. `src` is the generator alone (a ceiling: nothing can be faster); `p'` the
 * peer-equivalent dump (row-at-a-time upserts into the mapped tables, a commit every 1000);
 * `a'` the bare raw baseline (EJSON → one COPY) and `a'R` the bare relational one (pre-encoded
 * parent and child rows → one COPY per table); `b'1`/`b'P` Tributary's snapshot in raw mode at
 * parallelism 1 and P against `a'`, `b'R1`/`b'RP` with the mapping file and `b'I1` with an
 * inferred mapping against `a'R` (the bench's mapping file is inferred the same way); every
 * Tributary run also against `p'`. The runs go in rounds (see `measureScenarios`).
 */
export async function snapshotWriteSection(context: BenchContext): Promise<SectionOutcome> {
  const { docs, size, distinct, parallelism } = context.options;
  const set: GeneratedSet = { docs, size, distinct };
  const bytes = new DocumentGenerator(size, distinct).totalBytes(docs);
  progress(`snapshot-write: ${docs} generated documents, ${(bytes / 1_000_000).toFixed(1)} MB of BSON`);
  const runs: { mode: WriteMode; p: number }[] = [];
  // An inferred mapping's chunks are written one at a time (the mapping evolves with them): parallelism 1 only.
  for (const mode of ["raw", "mapping", "inferred"] as const) for (const p of mode === "inferred" ? [1] : new Set([1, parallelism])) runs.push({ mode, p });
  const [source, peerRun, bare, bareRelational, ...tributary] = await measureScenarios(context, [
    { name: "snapshot-write-source", items: docs, database: undefined, scenario: () => ({ kind: "generated-read", ...set }) },
    { name: "snapshot-write-peer", items: docs, database: "write_peer", scenario: (url) => ({ kind: "generated-peer-dump", url, ...set }) },
    { name: "snapshot-write-bare", items: docs, database: "write_bare", scenario: (url) => ({ kind: "generated-copy", url, ...set }) },
    { name: "snapshot-write-bare-relational", items: docs, database: "write_bare_relational", scenario: (url) => ({ kind: "generated-relational-copy", url, ...set }) },
    ...runs.map(({ mode, p }) => ({
      name: `snapshot-write-tributary-${mode}-p${p}`,
      items: docs,
      database: `write_${mode}_p${p}`,
      scenario: (url: string): Scenario => ({ kind: "generated-snapshot", url, parallelism: p, mode, ...set }),
    })),
  ]);
  const peer = resultOf("snapshot-write", "p'", "peer: row-at-a-time upserts, mapped tables, commit/1000", peerRun as Repeated, { bytes });
  const baselines: Record<Exclude<WriteMode, "inferred">, BenchResult> = {
    raw: resultOf("snapshot-write", "a'", "bare: EJSON → one COPY, 1 transaction", bare as Repeated, { bytes }),
    mapping: resultOf("snapshot-write", "a'R", "bare: pre-encoded rows → COPY per table, 1 transaction", bareRelational as Repeated, { bytes }),
  };
  const results: BenchResult[] = [resultOf("snapshot-write", "src", "generated source alone, no writes", source as Repeated, { bytes }), peer, baselines.raw, baselines.mapping];
  for (const [index, { mode, p }] of runs.entries()) {
    const child = tributary[index] as Repeated;
    const rows = child.detail.rows;
    const note = rows === docs ? undefined : `expected ${docs} rows, the table holds ${rows}`;
    const name = `tributary snapshot, ${WRITE_MODE_NAME[mode]}, parallelism ${p}`;
    results.push(resultOf("snapshot-write", `b'${WRITE_MODE_TAG[mode]}${p}`, name, child, { bytes, baseline: baselines[mode === "raw" ? "raw" : "mapping"], peer, ...(note ? { note } : {}) }));
  }
  return { name: "snapshot-write", status: "ok", results };
}

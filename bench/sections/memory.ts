import { DocumentGenerator } from "../generated-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import { WRITE_MODE_NAME, WRITE_MODE_TAG, type Scenario, type WriteMode } from "../scenario.js";
import { measureScenarios, progress, resultOf, type BenchContext, type Repeated } from "./context.js";

/** Peak RSS of the larger run within this fraction of the smaller one's: memory does not grow with the data. */
const FLAT = 0.1;

/**
 * Bounded memory: Tributary's snapshot (generated documents, `--parallelism`; an inferred
 * mapping's chunks are written one at a time) and its streaming apply (the same documents as
 * insert events in batches of `--batch`), each in raw mode, with the mapping file and with an
 * inferred mapping, at `--docs` and at `--large` documents. The ratio is of peak RSS (large /
 * small); the rates are there to show the larger run was not slowed down to stay small.
 */
export async function memorySection(context: BenchContext): Promise<SectionOutcome> {
  if (context.options.large === 0) return { name: "memory", status: "skipped", reason: "--large 0", results: [] };
  const results: BenchResult[] = [];
  for (const path of ["snapshot", "apply"] as const) for (const mode of ["raw", "mapping", "inferred"] as const) results.push(...(await memoryPair(context, path, mode)));
  return { name: "memory", status: "ok", results };
}

/** The snapshot or the streaming apply in one mode at `--docs` (m1) and at `--large` (m2) documents, m2 against m1. */
async function memoryPair(context: BenchContext, path: "snapshot" | "apply", mode: WriteMode): Promise<BenchResult[]> {
  const { docs, large, size, distinct, batch } = context.options;
  // An inferred mapping's chunks are written one at a time (the mapping evolves with them), as in snapshot-write.
  const parallelism = mode === "inferred" ? 1 : context.options.parallelism;
  const generator = new DocumentGenerator(size, distinct);
  const suffix = `${path === "apply" ? "S" : ""}${WRITE_MODE_TAG[mode]}`;
  const what = `${path === "apply" ? `streaming apply, batches of ${batch}` : "snapshot"}, ${WRITE_MODE_NAME[mode]}`;
  const counts = [docs, large] as const;
  progress(`memory: ${what}, ${docs} and ${large} documents`);
  const [smallChild, largeChild] = (await measureScenarios(
    context,
    counts.map((count) => {
      const set = { docs: count, size, distinct };
      const name = `${path === "apply" ? "apply-" : ""}${mode}-${count}`;
      return {
        name: `memory-${name}`,
        items: count,
        database: `memory_${name.replace(/-/g, "_")}`,
        scenario: (url: string): Scenario =>
          path === "apply" ? { kind: "generated-apply", url, mode, batch, liveHeap: true, ...set } : { kind: "generated-snapshot", url, parallelism, mode, liveHeap: true, ...set },
      };
    }),
  )) as [Repeated, Repeated];
  const small = resultOf("memory", `m1${suffix}`, `tributary ${what}, ${docs} docs`, smallChild, { bytes: generator.totalBytes(docs) });
  const result = resultOf("memory", `m2${suffix}`, `tributary ${what}, ${large} docs`, largeChild, { bytes: generator.totalBytes(large) });
  const ratio = (result.peakRssMb ?? 0) / (small.peakRssMb ?? 1);
  const flat = Math.abs(ratio - 1) <= FLAT;
  // The floor (Node, tsx and the modules, before any work) is the same in both: the growth above it is the working set.
  const above = (each: BenchResult): string => `${((each.peakRssMb ?? 0) - (each.startRssMb ?? 0)).toFixed(0)} MB`;
  const live = (each: Repeated): number => each.detail.liveHeapMaxMb ?? 0;
  const liveRatio = live(largeChild) / (live(smallChild) || 1);
  const note =
    `peak RSS ${large} vs ${docs} documents: ${(ratio * 100 - 100).toFixed(1)}% (${flat ? "within" : "outside"} ±${FLAT * 100}%); above the process's floor: ${above(result)} vs ${above(small)}; ` +
    `live heap after GC: ${live(largeChild).toFixed(0)} MB vs ${live(smallChild).toFixed(0)} MB (${(liveRatio * 100 - 100).toFixed(1)}%)`;
  return [small, { ...result, ratio, ratioTo: small.tag, note }];
}

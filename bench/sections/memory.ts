import { DocumentGenerator } from "../generated-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import type { WriteMode } from "../scenario.js";
import { measureScenario, progress, resultOf, type BenchContext, type Repeated } from "./context.js";

/** Peak RSS of the larger run within this fraction of the smaller one's: memory does not grow with the data. */
const FLAT = 0.1;

/**
 * Bounded memory: Tributary's snapshot (generated documents, raw mode and with the mapping
 * file, `--parallelism`) at `--docs` and at `--large` documents. The ratio is of peak RSS (large / small); the rates are
 * there to show the larger run was not slowed down to stay small.
 */
export async function memorySection(context: BenchContext): Promise<SectionOutcome> {
  if (context.options.large === 0) return { name: "memory", status: "skipped", reason: "--large 0", results: [] };
  const results: BenchResult[] = [];
  for (const mode of ["raw", "mapping"] as const) results.push(...(await memoryPair(context, mode)));
  return { name: "memory", status: "ok", results };
}

/** The snapshot in one mode at `--docs` (m1) and at `--large` (m2) documents, m2 against m1. */
async function memoryPair(context: BenchContext, mode: WriteMode): Promise<BenchResult[]> {
  const { docs, large, size, distinct, parallelism } = context.options;
  const generator = new DocumentGenerator(size, distinct);
  const suffix = mode === "raw" ? "" : "R";
  const results: BenchResult[] = [];
  let small: BenchResult | undefined;
  let smallChild: Repeated | undefined;
  for (const [tag, count] of [
    [`m1${suffix}`, docs],
    [`m2${suffix}`, large],
  ] as const) {
    progress(`memory: ${mode}, ${count} documents`);
    const child = await measureScenario(context, `memory-${mode}-${count}`, count, `memory_${mode}_${count}`, (url) => ({ kind: "generated-snapshot", url, parallelism, mode, docs: count, size, distinct, liveHeap: true }));
    const result = resultOf("memory", tag, `tributary snapshot, ${mode === "raw" ? "raw" : "mapping file"}, ${count} docs`, child, { bytes: generator.totalBytes(count) });
    if (!small) {
      small = result;
      smallChild = child;
      results.push(result);
      continue;
    }
    const ratio = (result.peakRssMb ?? 0) / (small.peakRssMb ?? 1);
    const flat = Math.abs(ratio - 1) <= FLAT;
    // The floor (Node, tsx and the modules, before any work) is the same in both: the growth above it is the working set.
    const above = (each: BenchResult): string => `${((each.peakRssMb ?? 0) - (each.startRssMb ?? 0)).toFixed(0)} MB`;
    const live = (each: Repeated): number => each.detail.liveHeapMaxMb ?? 0;
    const liveRatio = live(child) / (live(smallChild ?? child) || 1);
    const note =
      `peak RSS ${count} vs ${docs} documents: ${(ratio * 100 - 100).toFixed(1)}% (${flat ? "within" : "outside"} ±${FLAT * 100}%); above the process's floor: ${above(result)} vs ${above(small)}; ` +
      `live heap after GC: ${live(child).toFixed(0)} MB vs ${live(smallChild ?? child).toFixed(0)} MB (${(liveRatio * 100 - 100).toFixed(1)}%)`;
    results.push({ ...result, ratio, ratioTo: small.tag, note });
  }
  return results;
}

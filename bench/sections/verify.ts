import type { BenchResult, SectionOutcome } from "../report.js";
import type { GeneratedSet } from "../scenario.js";
import { measureScenarios, progress, resultOf, type BenchContext, type Repeated } from "./context.js";

/**
 * `tributary verify` against the snapshot on the same data: generated documents copied into
 * PostgreSQL by the snapshot (`b'P`, as in snapshot-write), then verified (`v'P`: every range
 * read from the source and from PostgreSQL, each document hashed as the table holds it). The
 * ratio is verify's rate over the snapshot's.
 */
export async function verifySection(context: BenchContext): Promise<SectionOutcome> {
  const { docs, size, distinct, parallelism } = context.options;
  const set: GeneratedSet = { docs, size, distinct };
  progress(`verify: ${docs} generated documents, parallelism ${parallelism}`);
  const [copied, verified] = await measureScenarios(context, [
    { name: `verify-snapshot-p${parallelism}`, items: docs, database: `verify_snapshot_p${parallelism}`, scenario: (url) => ({ kind: "generated-snapshot", url, parallelism, ...set }) },
    { name: `verify-p${parallelism}`, items: docs, database: `verify_p${parallelism}`, scenario: (url) => ({ kind: "generated-verify", url, parallelism, ...set }) },
  ]);
  const snapshot = resultOf("verify", `b'${parallelism}`, `tributary snapshot, raw, parallelism ${parallelism}`, copied as Repeated);
  const results: BenchResult[] = [snapshot, resultOf("verify", `v'${parallelism}`, `tributary verify of that copy, raw, parallelism ${parallelism}`, verified as Repeated, { baseline: snapshot })];
  return { name: "verify", status: "ok", results };
}

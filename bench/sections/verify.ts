import type { BenchResult, SectionOutcome } from "../report.js";
import type { GeneratedSet } from "../scenario.js";
import { measureScenario, progress, resultOf, type BenchContext } from "./context.js";

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
  const results: BenchResult[] = [];
  const snapshot = resultOf(
    "verify",
    `b'${parallelism}`,
    `tributary snapshot, raw, parallelism ${parallelism}`,
    await measureScenario(context, `verify-snapshot-p${parallelism}`, docs, `verify_snapshot_p${parallelism}`, (url) => ({ kind: "generated-snapshot", url, parallelism, ...set })),
  );
  results.push(snapshot);
  const verify = await measureScenario(context, `verify-p${parallelism}`, docs, `verify_p${parallelism}`, (url) => ({ kind: "generated-verify", url, parallelism, ...set }));
  results.push(resultOf("verify", `v'${parallelism}`, `tributary verify of that copy, raw, parallelism ${parallelism}`, verify, { baseline: snapshot }));
  return { name: "verify", status: "ok", results };
}

import { BSON } from "mongodb";
import { realisticDocuments } from "../../test/support/realistic-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import { SINK_APPLY_VARIANTS } from "../sink-apply.js";
import { measureScenario, resultOf, type BenchContext } from "./context.js";

/**
 * The streaming write path without MongoDB: `--apply-docs` insert events in batches of
 * `--batch` through the PostgreSQL sink (raw, mapping file, inferred mapping), against a bare
 * `jsonb_to_recordset` insert per batch. The documents are held in memory (made before the
 * clock starts), so RSS here is mostly theirs.
 */
export async function sinkApplySection(context: BenchContext): Promise<SectionOutcome> {
  const { applyDocs: docs, size, batch } = context.options;
  const bytes = realisticDocuments(docs, size).reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
  const results: BenchResult[] = [];
  let baseline: BenchResult | undefined;
  for (const [index, { variant, name }] of SINK_APPLY_VARIANTS.entries()) {
    const child = await measureScenario(context, `sink-apply-${variant}`, docs, `apply_${variant}`, (url) => ({ kind: "sink-apply", url, variant, docs, size, batch }));
    const result = resultOf("sink-apply", `s${index}`, name, child, { bytes, baseline });
    baseline ??= result;
    results.push(result);
  }
  return { name: "sink-apply", status: "ok", results };
}

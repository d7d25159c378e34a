import { BSON } from "mongodb";
import { realisticDocuments } from "../../test/support/realistic-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import { SINGLE_CHANGE_DOCS, SINK_APPLY_VARIANTS } from "../sink-apply.js";
import { measureScenarios, resultOf, type BenchContext, type Repeated } from "./context.js";

/**
 * The streaming write path without MongoDB: `--apply-docs` insert events in batches of
 * `--batch` through the PostgreSQL sink (raw, mapping file, inferred mapping), against a bare
 * `jsonb_to_recordset` insert per batch (`s0`) and the peer-equivalent baseline (`p`: one change
 * per transaction, row at a time); then replace events of documents the tables hold, against the
 * bare statement over rows it wrote before (`s0r`); then one change per transaction through the
 * sink, against `p`. The variants run in rounds (see `measureScenarios`). The documents are held
 * in memory (made before the clock starts), so RSS here is mostly theirs.
 */
export async function sinkApplySection(context: BenchContext): Promise<SectionOutcome> {
  const { applyDocs: docs, size, batch } = context.options;
  const bytes = realisticDocuments(docs, size).reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
  const singleDocs = Math.min(docs, SINGLE_CHANGE_DOCS);
  const singleBytes = realisticDocuments(singleDocs, size).reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
  const measured = await measureScenarios(
    context,
    SINK_APPLY_VARIANTS.map(({ variant, single }) => {
      const count = single ? singleDocs : docs;
      return { name: `sink-apply-${variant}`, items: count, database: `apply_${variant}`, scenario: (url) => ({ kind: "sink-apply", url, variant, docs: count, size, batch: single ? 1 : batch }) };
    }),
  );
  const results: BenchResult[] = [];
  let baseline: BenchResult | undefined;
  let peer: BenchResult | undefined;
  let replaceBaseline: BenchResult | undefined;
  for (const [index, { variant, name, single, replaces }] of SINK_APPLY_VARIANTS.entries()) {
    const tag = variant === "baseline" ? "s0" : variant === "baseline-replace" ? "s0r" : variant === "peer" ? "p" : variant;
    const result = resultOf("sink-apply", tag, name, measured[index] as Repeated, { bytes: single ? singleBytes : bytes, baseline: single ? undefined : replaces ? replaceBaseline : baseline, peer });
    baseline ??= result;
    if (variant === "baseline-replace") replaceBaseline = result;
    if (variant === "peer") peer = result;
    results.push(result);
  }
  return { name: "sink-apply", status: "ok", results };
}

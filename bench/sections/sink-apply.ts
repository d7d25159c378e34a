import { BSON } from "mongodb";
import { realisticDocuments } from "../../test/support/realistic-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import { SINGLE_CHANGE_DOCS, SINK_APPLY_VARIANTS } from "../sink-apply.js";
import { measureScenarios, ratioOf, resultOf, type BenchContext, type Repeated } from "./context.js";

/** The bare baselines of the mapping file's tables, whose own ratios are taken against the raw table's. */
const RELATIONAL_BASELINES = new Set(["s0R", "s0Rr"]);

/**
 * The streaming write path without MongoDB: `--apply-docs` insert events in batches of
 * `--batch` through the PostgreSQL sink (raw, mapping file, inferred mapping), each against the
 * bare set-based baseline of its tables (`s0`: one `jsonb_to_recordset` insert per batch into the
 * raw table; `s0R`: the same per mapped table, see relational-baseline.ts) and the
 * peer-equivalent baseline (`p`: one change per transaction, row at a time); then replace events
 * of documents the tables hold, against the bare statements over rows they wrote before (`s0r`,
 * `s0Rr`); then one change per transaction through the sink, against `p`. The variants run in rounds (see `measureScenarios`). The documents are held
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
  const results = new Map<string, BenchResult>();
  for (const [index, { tag, name, against, single }] of SINK_APPLY_VARIANTS.entries()) {
    const repeated = measured[index] as Repeated;
    const baseline = against === undefined ? undefined : results.get(against);
    const raw = baseline && RELATIONAL_BASELINES.has(baseline.tag) ? results.get(baseline.ratioTo ?? "") : undefined;
    // A relational row's ratio is against the bare baseline of the same tables; the note keeps its ratio to the raw table's.
    const note = raw ? `against the raw table's bare baseline: ${ratioOf(repeated.items / repeated.seconds, repeated.rates, raw).ratio.toFixed(2)}×${raw.tag}` : undefined;
    results.set(tag, resultOf("sink-apply", tag, name, repeated, { bytes: single ? singleBytes : bytes, baseline, peer: results.get("p"), ...(note ? { note } : {}) }));
  }
  return { name: "sink-apply", status: "ok", results: [...results.values()] };
}

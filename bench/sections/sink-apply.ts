import { BSON } from "mongodb";
import { realisticDocuments } from "../../test/support/realistic-documents.js";
import type { BenchResult, SectionOutcome } from "../report.js";
import { SINGLE_CHANGE_DOCS, SINK_APPLY_VARIANTS } from "../sink-apply.js";
import { measureScenarios, ratioOf, resultOf, type BenchContext, type Repeated } from "./context.js";

// Every row's baseline runs before it: a typo or a reordering of the table would drop its ratio silently.
for (const [index, { tag, against }] of SINK_APPLY_VARIANTS.entries()) {
  if (against !== undefined && !SINK_APPLY_VARIANTS.slice(0, index).some((earlier) => earlier.tag === against)) throw new Error(`sink-apply: ${tag} is measured against ${against}, which does not run before it`);
}

/**
 * The streaming write path without MongoDB: `--apply-docs` insert events in batches of
 * `--batch` through the PostgreSQL sink (raw, mapping file, inferred mapping), each against a
 * bare set-based baseline (`s0`: one `jsonb_to_recordset` upsert per batch into the raw table;
 * `s0R`: the mapping file's tables, a parent upsert and a child delete and insert per batch, see
 * relational-baseline.ts) and the peer-equivalent baseline (`p`: one change per transaction, row
 * at a time); the mapping file's sink fed by the pump from change events decoded from BSON,
 * reading one change ahead (`pump1`, against `mapping`) and a batch ahead (`pump`, against
 * `pump1`); then replace events of documents the tables hold (raw, mapping file, inferred
 * mapping), against the bare statements over rows they wrote before (`s0r`, `s0Rr`); then one
 * change per transaction through the sink, against `p`. The variants run in rounds (see
 * `measureScenarios`). The documents are held in memory (made before the clock starts, the
 * warm-up's included), so RSS here is mostly theirs.
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
    // A relational row's ratio is against the bare baseline of the mapped tables, which is itself measured against the raw table's: the note keeps the row's ratio to that one.
    const raw = baseline?.ratioTo === undefined ? undefined : results.get(baseline.ratioTo);
    const note = raw ? `against the raw table's bare baseline: ${ratioOf(repeated.items / repeated.seconds, repeated.rates, raw).ratio.toFixed(2)}×${raw.tag}` : undefined;
    results.set(tag, resultOf("sink-apply", tag, name, repeated, { bytes: single ? singleBytes : bytes, baseline, peer: results.get("p"), ...(note ? { note } : {}) }));
  }
  return { name: "sink-apply", status: "ok", results: [...results.values()] };
}

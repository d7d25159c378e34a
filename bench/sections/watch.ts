import { BSON } from "mongodb";
import { realisticDocuments } from "../../test/support/realistic-documents.js";
import type { SectionOutcome } from "../report.js";
import { SINGLE_CHANGE_DOCS } from "../sink-apply.js";
import { measureScenarios, progress, resultOf, type BenchContext, type Repeated } from "./context.js";

/**
 * The library face without MongoDB: a `for await` loop over `watch()` whose body writes each
 * change to PostgreSQL (watch-scenarios.ts), reading a single change ahead (`watch1`) and reading
 * ahead as `watch()` does (`watch`, against `watch1`). One round
 * trip per change, so on at most as many documents as the sink-apply rows with one change per
 * transaction.
 */
export async function watchSection(context: BenchContext): Promise<SectionOutcome> {
  const { applyDocs, size } = context.options;
  const docs = Math.min(applyDocs, SINGLE_CHANGE_DOCS);
  const bytes = realisticDocuments(docs, size).reduce((sum, doc) => sum + BSON.calculateObjectSize(doc), 0);
  progress(`watch: ${docs} changes, a PostgreSQL INSERT per change in the loop body`);
  const [one, ahead] = await measureScenarios(
    context,
    [true, false].map((oneAhead) => ({
      name: oneAhead ? "watch-one-ahead" : "watch",
      items: docs,
      database: oneAhead ? "watch_one_ahead" : "watch_read_ahead",
      scenario: (url: string) => ({ kind: "watch" as const, url, docs, size, oneAhead }),
    })),
  );
  const single = resultOf("watch", "watch1", "watch(): for await, an INSERT per change, reading 1 change ahead", one as Repeated, { bytes });
  return { name: "watch", status: "ok", results: [single, resultOf("watch", "watch", "watch(): for await, an INSERT per change, reading ahead", ahead as Repeated, { bytes, baseline: single })] };
}

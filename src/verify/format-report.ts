import { BSON } from "../core/bson.js";
import type { VerifyOutcome } from "./run-verify.js";
import type { CollectionVerification, KeyDifference } from "./verify-report.js";

/** Keys listed per kind in the readable report; `--json` lists them all. */
const LISTED = 20;

/** The outcome as JSON: `_id`s in relaxed Extended JSON, so their BSON types stay visible. */
export function formatVerifyJson(outcome: VerifyOutcome): string {
  return `${BSON.EJSON.stringify(outcome, undefined, 2, { relaxed: true })}\n`;
}

/** The outcome for people: one block per collection (documents, ranges, differences, time), then what could not be verified. */
export function formatVerifyText(outcome: VerifyOutcome): string {
  const lines: string[] = [];
  for (const each of outcome.collections) lines.push(...collectionLines(each));
  for (const name of outcome.notVerifiable) lines.push(`${name}: not verified: this sink cannot read back what it holds`);
  const differing = outcome.collections.filter((each) => !each.equal);
  lines.push(
    differing.length === 0
      ? `verify: ${outcome.collections.length} collection(s) equal to the source`
      : `verify: ${differing.length} of ${outcome.collections.length} collection(s) differ from the source`,
  );
  return `${lines.join("\n")}\n`;
}

function collectionLines(result: CollectionVerification): string[] {
  const seconds = (result.durationMs / 1000).toFixed(1);
  const ranges = `${result.rangesChecked === result.ranges ? result.ranges : `${result.rangesChecked} of ${result.ranges}`} range(s)`;
  const head = `${result.namespace} → ${result.sink}: ${result.equal ? "equal" : `${result.differenceCount} difference(s)`} — ${result.documents} document(s) in MongoDB, ${result.held} in the copy, ${ranges}${result.rangesDiffering > 0 ? ` (${result.rangesDiffering} differed)` : ""}, ${seconds} s`;
  const lines = [head];
  const more = result.capped ? "--json lists the first --max-differences" : "--json lists them all";
  for (const kind of ["missing", "extra", "different"] as const) {
    const count = result.differenceCounts[kind];
    if (count === 0) continue;
    const shown = result.differences.filter((difference) => difference.kind === kind).slice(0, LISTED);
    lines.push(`  ${kind} in the copy: ${count}`);
    for (const difference of shown) lines.push(`    ${describeKey(difference)}`);
    if (count > shown.length) lines.push(`    … and ${count - shown.length} more (${more})`);
  }
  if (result.expectedMissingCount > 0) {
    const shown = result.expectedMissing.slice(0, LISTED);
    lines.push(`  expected missing (dead letters): ${result.expectedMissingCount}`);
    for (const each of shown) lines.push(`    ${each.key}: ${each.reason}`);
    if (result.expectedMissingCount > shown.length) lines.push(`    … and ${result.expectedMissingCount - shown.length} more (${more})`);
  }
  const unlisted = result.differenceCount - result.differences.length;
  if (unlisted > 0) lines.push(`  ${unlisted} difference(s) counted but not listed (--max-differences): not re-checked${result.repair ? " nor repaired; run verify again" : ""}`);
  if (result.narrowing) lines.push(`  narrowed: ${result.narrowing.levels} split level(s), ${result.narrowing.documentsMatched} document(s) matched key by key`);
  const recheck = result.recheck;
  if (recheck?.skipped) lines.push(`  not re-checked: ${recheck.skipped}`);
  else if (recheck) lines.push(`  re-checked ${recheck.keys} key(s) once the sync had caught up: ${recheck.resolved.length} were changes in flight and are now equal${recheck.changedDuringVerify > 0 ? ` (${recheck.changedDuringVerify} written to the copy while verify ran)` : ""}`);
  if (result.repair) lines.push(`  repaired ${result.repair.keys} key(s) from MongoDB: ${result.repair.remaining} still differ`);
  return lines;
}

function describeKey(difference: KeyDifference): string {
  return difference.kind === "different" ? `${difference.key} (at ${difference.path === "" ? "the whole document" : difference.path})` : difference.key;
}

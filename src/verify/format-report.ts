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
  const head = `${result.namespace} → ${result.sink}: ${result.equal ? "equal" : `${result.differences.length} difference(s)`} — ${result.documents} document(s) in MongoDB, ${result.held} in the copy, ${ranges}${result.rangesDiffering > 0 ? ` (${result.rangesDiffering} differed)` : ""}, ${seconds} s`;
  const lines = [head];
  for (const kind of ["missing", "extra", "different"] as const) {
    const keys = result.differences.filter((difference) => difference.kind === kind);
    if (keys.length === 0) continue;
    lines.push(`  ${kind} in the copy: ${keys.length}`);
    for (const difference of keys.slice(0, LISTED)) lines.push(`    ${describeKey(difference)}`);
    if (keys.length > LISTED) lines.push(`    … and ${keys.length - LISTED} more (--json lists them all)`);
  }
  if (result.expectedMissing.length > 0) {
    lines.push(`  expected missing (dead letters): ${result.expectedMissing.length}`);
    for (const each of result.expectedMissing.slice(0, LISTED)) lines.push(`    ${each.key}: ${each.reason}`);
    if (result.expectedMissing.length > LISTED) lines.push(`    … and ${result.expectedMissing.length - LISTED} more (--json lists them all)`);
  }
  const recheck = result.recheck;
  if (recheck?.skipped) lines.push(`  not re-checked: ${recheck.skipped}`);
  else if (recheck) lines.push(`  re-checked ${recheck.keys} key(s) once the sync had caught up: ${recheck.resolved.length} were changes in flight and are now equal${recheck.changedDuringVerify > 0 ? ` (${recheck.changedDuringVerify} written to the copy while verify ran)` : ""}`);
  if (result.repair) lines.push(`  repaired ${result.repair.keys} key(s) from MongoDB: ${result.repair.remaining} still differ`);
  return lines;
}

function describeKey(difference: KeyDifference): string {
  return difference.kind === "different" ? `${difference.key} (at ${difference.path === "" ? "the whole document" : difference.path})` : difference.key;
}

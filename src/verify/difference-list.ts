import type { ExpectedFingerprint, HeldFingerprint } from "../core/sink.js";
import { keyText } from "../codec/key-text.js";
import { firstDifference } from "./first-difference.js";
import type { DifferenceCounts, ExpectedMissing, KeyDifference } from "./verify-report.js";

/** What one key comes to: a difference, a document expected to be missing, or nothing (equal). */
export type KeyVerdict = { readonly difference: KeyDifference } | { readonly expectedMissing: ExpectedMissing } | undefined;

/**
 * Compares what the source says a key should hold with what the target holds under it. A
 * document the target does not hold is expected to be missing when it is a dead letter (or the
 * target would refuse it); a held document no source document claims is extra.
 */
export function compareKey(expected: ExpectedFingerprint | undefined, held: HeldFingerprint | undefined, deadLetters: ReadonlySet<string>): KeyVerdict {
  if (!expected) return held ? { difference: { kind: "extra", key: held.key, id: held.id } } : undefined;
  if ("rejected" in expected) {
    if (held) return { difference: { kind: "different", key: expected.key, id: expected.id, path: "" } };
    return { expectedMissing: { key: expected.key, id: expected.id, reason: `the target refuses it: ${expected.rejected}` } };
  }
  if (!held) {
    if (deadLetters.has(keyText(expected.id))) return { expectedMissing: { key: expected.key, id: expected.id, reason: "a dead letter" } };
    return { difference: { kind: "missing", key: expected.key, id: expected.id } };
  }
  if (held.canonical === expected.canonical) return undefined;
  return { difference: { kind: "different", key: expected.key, id: expected.id, path: firstDifference(expected.canonical, held.canonical) } };
}

/** No differences of any kind. */
export function noDifferences(): DifferenceCounts {
  return { missing: 0, extra: 0, different: 0 };
}

/** How many differences of each kind a list holds. */
export function countByKind(differences: readonly KeyDifference[]): DifferenceCounts {
  const counts = noDifferences();
  for (const difference of differences) counts[difference.kind] += 1;
  return counts;
}

/**
 * The differences and expected-missing documents found in a collection: every one is counted,
 * only the first `limit` of each are kept (so that a table missing a million rows does not hold
 * or print a million keys). Notes which differing keys the target wrote after `began`.
 */
export class DifferenceList {
  readonly differences: KeyDifference[] = [];
  readonly expectedMissing: ExpectedMissing[] = [];
  readonly counts: DifferenceCounts = noDifferences();
  expectedMissingCount = 0;
  /** Of the differing keys, those the target had written after verify began (per their cluster time). */
  changedDuringVerify = 0;
  private readonly limit: number;
  private readonly began: number;

  constructor(limit: number, began: Date) {
    this.limit = limit;
    this.began = began.getTime();
  }

  /** Differences found, listed or not. */
  get total(): number {
    return this.counts.missing + this.counts.extra + this.counts.different;
  }

  /** Whether some differences or expected-missing documents were counted but not kept. */
  get capped(): boolean {
    return this.total > this.differences.length || this.expectedMissingCount > this.expectedMissing.length;
  }

  /** Records what one key comes to; `held` is the target's row, when it has one. */
  add(verdict: KeyVerdict, held?: HeldFingerprint): void {
    if (!verdict) return;
    if ("expectedMissing" in verdict) {
      this.expectedMissingCount += 1;
      if (this.expectedMissing.length < this.limit) this.expectedMissing.push(verdict.expectedMissing);
      return;
    }
    this.counts[verdict.difference.kind] += 1;
    if ((held?.clusterTime?.getTime() ?? 0) > this.began) this.changedDuringVerify += 1;
    if (this.differences.length < this.limit) this.differences.push(verdict.difference);
  }

  /**
   * Replaces some listed differences by what comparing their keys again found (a re-check, a
   * repair, or keys matched across narrowing groups): the counts follow.
   */
  replace(replaced: readonly KeyDifference[], found: { differences: readonly KeyDifference[]; expectedMissing: readonly ExpectedMissing[] }): void {
    const gone = new Set(replaced);
    const kept = this.differences.filter((difference) => !gone.has(difference));
    for (const difference of replaced) this.counts[difference.kind] -= 1;
    this.differences.splice(0, this.differences.length, ...kept);
    for (const difference of found.differences) {
      this.counts[difference.kind] += 1;
      if (this.differences.length < this.limit) this.differences.push(difference);
    }
    for (const each of found.expectedMissing) {
      if (this.expectedMissing.some((known) => known.key === each.key)) continue;
      this.expectedMissingCount += 1;
      if (this.expectedMissing.length < this.limit) this.expectedMissing.push(each);
    }
  }
}

import type { ExpectedFingerprint, HeldFingerprint, Verifiable } from "../core/sink.js";
import { keyText } from "../codec/key-text.js";
import { firstDifference } from "./first-difference.js";
import type { ExpectedMissing, KeyDifference } from "./verify-report.js";
import type { VerifySource } from "./verify-source.js";

/**
 * Sorts keys into differences: each source document is matched with what the target holds under
 * its key; a held document no source document claimed is extra. A document the target does not
 * hold is expected to be missing when it is a dead letter (or the target would refuse it).
 */
export class KeyClassifier {
  readonly differences: KeyDifference[] = [];
  readonly expectedMissing: ExpectedMissing[] = [];
  private readonly held: Map<string, HeldFingerprint>;
  private readonly deadLetters: ReadonlySet<string>;

  constructor(held: Iterable<HeldFingerprint>, deadLetters: ReadonlySet<string>) {
    this.held = new Map([...held].map((each) => [each.key, each]));
    this.deadLetters = deadLetters;
  }

  /** Held documents not claimed yet. */
  get unclaimed(): number {
    return this.held.size;
  }

  /** Matches one source document with what the target holds under its key. */
  expect(expected: ExpectedFingerprint): void {
    const held = this.held.get(expected.key);
    this.held.delete(expected.key);
    if ("rejected" in expected) {
      if (held) this.differences.push({ kind: "different", key: expected.key, id: expected.id, path: "" });
      else this.expectedMissing.push({ key: expected.key, id: expected.id, reason: `the target refuses it: ${expected.rejected}` });
      return;
    }
    if (!held) {
      if (this.deadLetters.has(keyText(expected.id))) this.expectedMissing.push({ key: expected.key, id: expected.id, reason: "a dead letter" });
      else this.differences.push({ kind: "missing", key: expected.key, id: expected.id });
      return;
    }
    if (held.canonical !== expected.canonical) this.differences.push({ kind: "different", key: expected.key, id: expected.id, path: firstDifference(expected.canonical, held.canonical) });
  }

  /** Ends the matching: what no source document claimed is extra. */
  finish(): { differences: KeyDifference[]; expectedMissing: ExpectedMissing[] } {
    for (const held of this.held.values()) this.differences.push({ kind: "extra", key: held.key, id: held.id });
    this.held.clear();
    return { differences: this.differences, expectedMissing: this.expectedMissing };
  }
}

/** The source's and the target's documents of some keys, read now. */
export interface KeysNow {
  readonly expected: readonly ExpectedFingerprint[];
  readonly held: readonly HeldFingerprint[];
}

/**
 * Reads the keys of some differences afresh on both sides: the source first, then (once `settle`
 * says the sync has applied everything up to now) the target, so that the target is read no
 * earlier than the source state it should hold. `settle`'s reason when it did not settle.
 */
export async function readKeysSettled(namespace: string, differences: readonly KeyDifference[], source: VerifySource, verifiable: Verifiable, settle: () => Promise<true | string>): Promise<KeysNow | string> {
  const expected = await verifiable.expected(namespace, await source.readIds(namespace, differences.map((difference) => difference.id)));
  const settled = await settle();
  return settled === true ? { expected, held: await heldOf(namespace, differences, expected, verifiable) } : settled;
}

/** Reads the keys of some differences afresh on both sides, the source first. */
export async function readKeysNow(namespace: string, differences: readonly KeyDifference[], source: VerifySource, verifiable: Verifiable): Promise<KeysNow> {
  const expected = await verifiable.expected(namespace, await source.readIds(namespace, differences.map((difference) => difference.id)));
  return { expected, held: await heldOf(namespace, differences, expected, verifiable) };
}

/** What the target holds for the differing keys and for the keys the source documents have now. */
function heldOf(namespace: string, differences: readonly KeyDifference[], expected: readonly ExpectedFingerprint[], verifiable: Verifiable): Promise<HeldFingerprint[]> {
  const keys = new Set([...differences.map((difference) => difference.key), ...expected.map((each) => each.key)]);
  return verifiable.heldKeys(namespace, [...keys]);
}

/** Compares some keys afresh: the differences that remain. */
export function classifyNow(now: KeysNow, deadLetters: ReadonlySet<string>): { differences: KeyDifference[]; expectedMissing: ExpectedMissing[] } {
  const classifier = new KeyClassifier(now.held, deadLetters);
  for (const each of now.expected) classifier.expect(each);
  return classifier.finish();
}

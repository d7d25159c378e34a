import type { ExpectedFingerprint, HeldFingerprint, Verifiable } from "../core/sink.js";
import { compareKey } from "./difference-list.js";
import type { ExpectedMissing, KeyDifference } from "./verify-report.js";
import type { VerifySource } from "./verify-source.js";

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
  const expected = await expectedOf(namespace, differences, source, verifiable);
  const settled = await settle();
  return settled === true ? { expected, held: await heldOf(namespace, differences, expected, verifiable) } : settled;
}

/** Reads the keys of some differences afresh on both sides, the source first. */
export async function readKeysNow(namespace: string, differences: readonly KeyDifference[], source: VerifySource, verifiable: Verifiable): Promise<KeysNow> {
  const expected = await expectedOf(namespace, differences, source, verifiable);
  return { expected, held: await heldOf(namespace, differences, expected, verifiable) };
}

/** How the target would hold the source's documents of the differing keys now, each group the source reads made into fingerprints before the next is read. */
async function expectedOf(namespace: string, differences: readonly KeyDifference[], source: VerifySource, verifiable: Verifiable): Promise<ExpectedFingerprint[]> {
  const expected: ExpectedFingerprint[] = [];
  for await (const docs of source.readIds(namespace, differences.map((difference) => difference.id))) {
    for (const fingerprint of await verifiable.expected(namespace, docs)) expected.push(fingerprint);
  }
  return expected;
}

/** What the target holds for the differing keys and for the keys the source documents have now. */
function heldOf(namespace: string, differences: readonly KeyDifference[], expected: readonly ExpectedFingerprint[], verifiable: Verifiable): Promise<HeldFingerprint[]> {
  const keys = new Set([...differences.map((difference) => difference.key), ...expected.map((each) => each.key)]);
  return verifiable.heldKeys(namespace, [...keys]);
}

/** Compares some keys afresh: the differences that remain. */
export function classifyNow(now: KeysNow, deadLetters: ReadonlySet<string>): { differences: KeyDifference[]; expectedMissing: ExpectedMissing[] } {
  const held = new Map(now.held.map((each) => [each.key, each]));
  const differences: KeyDifference[] = [];
  const expectedMissing: ExpectedMissing[] = [];
  const record = (verdict: ReturnType<typeof compareKey>): void => {
    if (verdict && "difference" in verdict) differences.push(verdict.difference);
    else if (verdict) expectedMissing.push(verdict.expectedMissing);
  };
  for (const expected of now.expected) {
    record(compareKey(expected, held.get(expected.key), deadLetters));
    held.delete(expected.key);
  }
  for (const each of held.values()) record(compareKey(undefined, each, deadLetters));
  return { differences, expectedMissing };
}

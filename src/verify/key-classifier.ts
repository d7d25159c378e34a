import type { ExpectedFingerprint, Verifiable } from "../core/sink.js";
import { compareKey } from "./difference-list.js";
import type { ExpectedMissing, KeyDifference } from "./verify-report.js";
import type { VerifySource } from "./verify-source.js";

/** Keys of the copy read at once for differences no source document has now (rows of documents since deleted). */
export const HELD_KEYS_PER_READ = 100;
/** About how much canonical text of source documents is held before the copy's rows of the same keys are read and compared. */
export const COMPARED_TEXT_AT_ONCE = 64 * 1024 * 1024;

/** What some keys compare as now: the differences that remain, and the documents the copy is not expected to hold. */
export interface KeysNow {
  readonly differences: KeyDifference[];
  readonly expectedMissing: ExpectedMissing[];
}

/** Where the keys are read: the source and the sink's copy. */
interface Sides {
  readonly source: VerifySource;
  readonly verifiable: Verifiable;
}

/**
 * Compares the keys of some differences afresh on both sides, part by part: the groups of
 * documents the source reads (about 16 MiB each at most) are made into fingerprints until they
 * hold about {@link COMPARED_TEXT_AT_ONCE} of canonical text; then, once `settle` (when given)
 * says the sync has applied everything up to now, the copy's rows of the same keys are read and
 * compared, before the source is read on. So the copy is read no earlier than the source state
 * it should hold, and memory holds one part of each side: all of a thousand small documents,
 * a few of large ones (each part then waits for the sync again). Last, the rows of the differing
 * keys no source document has now, {@link HELD_KEYS_PER_READ} at a time. `settle`'s reason when
 * it did not settle: nothing is compared then.
 */
export function compareKeysNow(namespace: string, differences: readonly KeyDifference[], deadLetters: ReadonlySet<string>, sides: Sides): Promise<KeysNow>;
export function compareKeysNow(namespace: string, differences: readonly KeyDifference[], deadLetters: ReadonlySet<string>, sides: Sides, settle: () => Promise<true | string>): Promise<KeysNow | string>;
export async function compareKeysNow(
  namespace: string,
  differences: readonly KeyDifference[],
  deadLetters: ReadonlySet<string>,
  sides: Sides,
  settle: () => Promise<true | string> = () => Promise.resolve(true),
): Promise<KeysNow | string> {
  const { source, verifiable } = sides;
  const now: KeysNow = { differences: [], expectedMissing: [] };
  const record = (verdict: ReturnType<typeof compareKey>): void => {
    if (verdict && "difference" in verdict) now.differences.push(verdict.difference);
    else if (verdict) now.expectedMissing.push(verdict.expectedMissing);
  };
  /** The differing keys no source document read so far has. */
  const unseen = new Set(differences.map((difference) => difference.key));
  let part: ExpectedFingerprint[] = [];
  let text = 0;
  const comparePart = async (): Promise<true | string> => {
    const reason = await settle();
    if (reason !== true) return reason;
    const held = new Map(part.length === 0 ? [] : (await verifiable.heldKeys(namespace, part.map((each) => each.key))).map((each) => [each.key, each]));
    for (const each of part) {
      record(compareKey(each, held.get(each.key), deadLetters));
      unseen.delete(each.key);
    }
    part = [];
    text = 0;
    return true;
  };
  for await (const docs of source.readIds(namespace, differences.map((difference) => difference.id))) {
    for (const each of await verifiable.expected(namespace, docs)) {
      part.push(each);
      text += "canonical" in each ? each.canonical.length : 0;
    }
    if (text < COMPARED_TEXT_AT_ONCE) continue;
    const compared = await comparePart();
    if (compared !== true) return compared;
  }
  // The source's last read (a getMore, a query of the next thousand ids) may have found nothing:
  // the keys no document has are read from the copy after a wait that followed it too.
  if (part.length > 0 || unseen.size > 0) {
    const compared = await comparePart();
    if (compared !== true) return compared;
  }
  const extra = [...unseen];
  for (let start = 0; start < extra.length; start += HELD_KEYS_PER_READ) {
    for (const each of await verifiable.heldKeys(namespace, extra.slice(start, start + HELD_KEYS_PER_READ))) record(compareKey(undefined, each, deadLetters));
  }
  return now;
}

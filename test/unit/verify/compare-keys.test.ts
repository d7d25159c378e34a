import type { Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { keyText } from "../../../src/codec/key-text.js";
import type { ExpectedFingerprint, HeldFingerprint, Verifiable } from "../../../src/core/sink.js";
import { COMPARED_TEXT_AT_ONCE, compareKeysNow } from "../../../src/verify/key-classifier.js";
import type { KeyDifference } from "../../../src/verify/verify-report.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";

const NS = "shop.orders";
/** One canonical text of a bit over half of what is compared at once, shared by every fingerprint (so the test holds it once). */
const HALF = JSON.stringify("x".repeat(COMPARED_TEXT_AT_ONCE / 2));

/**
 * The source reads documents 1 to 5 one to a group; the copy holds 1 to 5 (5 changed) and 9 (an
 * extra). Every step goes to `log`: the source's groups, the waits for the sync, the copy's reads.
 */
function sides(log: string[], documents = [1, 2, 3, 4, 5]): { source: SyntheticSnapshotSource; verifiable: Verifiable } {
  const source = new SyntheticSnapshotSource({ [NS]: documents.map((n) => ({ _id: n })) }, { idsPerGroup: 1 });
  const readIds = source.readIds.bind(source);
  source.readIds = async function* (namespace, ids) {
    for await (const group of readIds(namespace, ids)) {
      log.push(`read ${group.map((doc) => String(doc._id)).join(" ")}`);
      yield group;
    }
    // As a cursor's last getMore, or a query of the next thousand ids, that finds nothing.
    log.push("read, nothing");
  };
  const held = new Map<string, HeldFingerprint>([1, 2, 3, 4, 5, 9].map((n) => [String(n), { key: String(n), id: n, canonical: n === 5 ? '"changed"' : HALF }]));
  const verifiable: Verifiable = {
    expected: (_namespace: string, docs: readonly Document[]) => Promise.resolve(docs.map((doc): ExpectedFingerprint => ({ key: keyText(doc._id), id: doc._id as unknown, canonical: HALF }))),
    heldKeys: (_namespace: string, keys: readonly string[]) => {
      log.push(`copy ${keys.join(" ")}`);
      return Promise.resolve(keys.flatMap((key) => held.get(key) ?? []));
    },
    held: () => {
      throw new Error("not read here");
    },
    deadLetterKeys: () => Promise.resolve(new Set()),
    syncedTo: () => Promise.resolve(undefined),
  };
  return { source, verifiable };
}

const differing: KeyDifference[] = [1, 2, 3, 4, 5, 9].map((n) => ({ kind: n === 9 ? "extra" : "different", key: String(n), id: n }));

describe("compareKeysNow", () => {
  it("compares part by part, each part's copy read after a wait for the sync that followed its source read, then the keys no document has", async () => {
    const log: string[] = [];
    const settle = (): Promise<true> => {
      log.push("settle");
      return Promise.resolve(true);
    };
    const now = await compareKeysNow(NS, differing, new Set(), sides(log), settle);
    expect(log).toEqual(["read 1", "read 2", "settle", "copy 1 2", "read 3", "read 4", "settle", "copy 3 4", "read 5", "read, nothing", "settle", "copy 5", "copy 9"]);
    expect(now).toEqual({ differences: [{ kind: "different", key: "5", id: 5, path: "" }, { kind: "extra", key: "9", id: 9 }], expectedMissing: [] });
  });

  it("compares nothing when the sync does not settle for a later part", async () => {
    const log: string[] = [];
    let settles = 0;
    const settle = (): Promise<true | string> => Promise.resolve((settles += 1) === 1 ? true : "the sync did not catch up");
    expect(await compareKeysNow(NS, differing, new Set(), sides(log), settle)).toBe("the sync did not catch up");
    expect(log).toEqual(["read 1", "read 2", "copy 1 2", "read 3", "read 4"]);
  });

  it("waits for the sync again before reading the keys no document has when the source read on after the last part", async () => {
    const log: string[] = [];
    const settle = (): Promise<true> => {
      log.push("settle");
      return Promise.resolve(true);
    };
    const now = await compareKeysNow(NS, differing.filter((each) => ["1", "2", "9"].includes(each.key)), new Set(), sides(log, [1, 2]), settle);
    expect(log).toEqual(["read 1", "read 2", "settle", "copy 1 2", "read, nothing", "settle", "copy 9"]);
    expect(now).toEqual({ differences: [{ kind: "extra", key: "9", id: 9 }], expectedMissing: [] });
  });

  it("waits for the sync before reading the copy when no source document has any of the keys", async () => {
    const log: string[] = [];
    const settle = (): Promise<true> => {
      log.push("settle");
      return Promise.resolve(true);
    };
    const now = await compareKeysNow(NS, [{ kind: "extra", key: "9", id: 9 }], new Set(), sides(log), settle);
    expect(log).toEqual(["read, nothing", "settle", "copy 9"]);
    expect(now).toEqual({ differences: [{ kind: "extra", key: "9", id: 9 }], expectedMissing: [] });
  });
});

import { BSON, Double, Int32, Long, MongoNetworkError, MongoServerError, MongoServerSelectionError, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.js";
import { classifySnapshotError, isTransientSnapshotError, ReadPlace, retrySnapshotStep, sameId, SNAPSHOT_READ, ID_INDEX } from "../../../src/source/snapshot-reads.js";

const serverError = (code: number, codeName: string, message = codeName): MongoServerError => new MongoServerError({ ok: 0, code, codeName, errmsg: message });

describe("snapshot reads", () => {
  it("read from the primary at majority and scan the _id index by its name", () => {
    expect(SNAPSHOT_READ).toEqual({ readPreference: "primary", readConcern: { level: "majority" } });
    expect(ID_INDEX).toBe("_id_");
  });

  it("go on after network faults, failovers, killed cursors and $sample's random failure", () => {
    expect(isTransientSnapshotError(new MongoNetworkError("connection reset by peer"))).toBe(true);
    expect(isTransientSnapshotError(serverError(43, "CursorNotFound", "cursor id 7281 not found"))).toBe(true);
    expect(isTransientSnapshotError(serverError(11602, "InterruptedDueToReplStateChange", "operation was interrupted because a node stepped down"))).toBe(true);
    expect(isTransientSnapshotError(serverError(10107, "NotWritablePrimary"))).toBe(true);
    expect(isTransientSnapshotError(serverError(91, "ShutdownInProgress"))).toBe(true);
    expect(
      isTransientSnapshotError(serverError(28799, "Location28799", "$sample stage could not find a non-duplicate document after 100 while using a random cursor. This is likely a sporadic failure, please try again.")),
    ).toBe(true);
  });

  it("stop on what no retry mends", () => {
    expect(isTransientSnapshotError(serverError(13, "Unauthorized", "not authorized on shop to execute command { find: \"orders\" }"))).toBe(false);
    expect(isTransientSnapshotError(serverError(51175, "Location51175", "The value provided for min() does not come before the value provided for max() in the hinted index"))).toBe(false);
    expect(isTransientSnapshotError(new TypeError("x is undefined"))).toBe(false);
  });

  it("tell the same _id from an equal value of another type", () => {
    expect(sameId(new ObjectId("65f1c0ffee0000000000abcd"), new ObjectId("65f1c0ffee0000000000abcd"))).toBe(true);
    expect(sameId({ a: 1, b: "x" }, { a: 1, b: "x" })).toBe(true);
    expect(sameId(new Int32(1), new Long(1))).toBe(false);
    expect(sameId(new Int32(1), new Double(1))).toBe(false);
    expect(sameId({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
  });

  it("retry a step through the core retry: again after transient errors, at once out on a permanent one", async () => {
    const retry = { backoff: { initialDelayMs: 1, maxDelayMs: 2 }, logger: silentLogger(), signal: new AbortController().signal };
    let tries = 0;
    const value = await retrySnapshotStep("estimating shop.orders", retry, () => {
      tries += 1;
      if (tries < 3) return Promise.reject(serverError(43, "CursorNotFound"));
      return Promise.resolve(42);
    });
    expect([value, tries]).toEqual([42, 3]);
    const refused = serverError(13, "Unauthorized");
    await expect(retrySnapshotStep("estimating shop.orders", retry, () => Promise.reject(refused))).rejects.toBe(refused);
    expect(classifySnapshotError(new MongoServerSelectionError("Server selection timed out after 30000 ms", { type: "ReplicaSetNoPrimary" } as never))).toBe("unreachable");
    expect(classifySnapshotError(refused)).toBe("permanent");
  });

  it("go on after a reopen from the last _id that can be a bound, skipping what was handed out since", () => {
    const place = new ReadPlace();
    expect(place.rangeFrom({ upper: new Int32(100) })).toEqual({ upper: new Int32(100) });
    // {"10": 1, "2": 1} as the driver decodes it: its field order is not the server's, so it cannot be `min`.
    const reordered = BSON.deserialize(BSON.serialize({ v: new Map([["10", 1], ["2", 1]]) })).v as unknown;
    for (const id of [new Int32(1), new Int32(2), reordered]) place.handOut(id);
    place.reopened();
    expect(place.rangeFrom({ upper: new Int32(100) })).toEqual({ lower: new Int32(2), upper: new Int32(100) });
    expect([new Int32(2), reordered, new Int32(5), new Int32(2)].map((id) => place.alreadyHandedOut(id))).toEqual([true, true, false, false]);
  });
});

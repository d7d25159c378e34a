import { Timestamp, type Binary } from "mongodb";
import { describe, expect, it } from "vitest";
import { positionFromRecord, positionToRecord } from "../../../src/checkpoint/position-record.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { makePosition } from "../../../src/core/position.js";
import { normalizeChange } from "../../../src/source/normalize-change.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

function typeBitsOf(token: { _typeBits?: Binary }): string | undefined {
  return token._typeBits === undefined ? undefined : `${token._typeBits.sub_type}:${Buffer.from(token._typeBits.buffer).toString("hex")}`;
}

describe("stored positions keep the whole resume token", () => {
  it("keeps _typeBits in the position of a change event", () => {
    const event = normalizeChange({
      _id: doubleIdToken(),
      operationType: "update",
      clusterTime: new Timestamp({ t: 1594897417, i: 4 }),
      ns: { db: "test", coll: "coll2" },
      documentKey: { _id: 2 },
      updateDescription: { updatedFields: { updated_at: new Date(0) }, removedFields: [] },
    });
    expect(typeBitsOf(event!.position.resumeToken)).toBe("0:40");
    expect(event!.position.clusterTime.equals(new Timestamp({ t: 1594897417, i: 4 }))).toBe(true);
  });

  it("round-trips _typeBits through the stored record (as JSON, as a store writes it)", () => {
    const position = makePosition(doubleIdToken());
    const stored = JSON.parse(JSON.stringify(positionToRecord(position))) as unknown;
    const loaded = positionFromRecord(stored, "test store");
    expect(loaded.key).toBe(position.key);
    expect(loaded.resumeToken._data).toBe(doubleIdToken()._data);
    expect(typeBitsOf(loaded.resumeToken)).toBe("0:40");
  });

  it("reads a record of an older version, which has only the token's _data", () => {
    const old = { resumeToken: "8265A5F0E4000000012B022C0100296E5A1004", clusterTime: { t: 1_705_373_924, i: 1 }, date: "2024-01-16T02:58:44.000Z" };
    const loaded = positionFromRecord(old, "test store");
    expect(loaded.resumeToken).toEqual({ _data: old.resumeToken });
    expect(loaded.clusterTime.equals(new Timestamp({ t: 1_705_373_924, i: 1 }))).toBe(true);
  });

  it("refuses a record whose token is not the resumeToken it names", () => {
    const record = { ...positionToRecord(makePosition(doubleIdToken())), resumeToken: "8265A5F0E4000000012B022C0100296E5A1004" };
    expect(() => positionFromRecord(record, "test store")).toThrow(expect.objectContaining({ code: ErrorCode.ResumePointUnreadable }));
    expect(() => positionFromRecord({ ...record, token: "{not json" }, "test store")).toThrow(/test store/);
  });
});

import { Binary, BSON, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { clusterTimeOfToken, comparePositions, makePosition, resumeTokenOfText, resumeTokenText } from "../../../src/core/position.js";

// Resume tokens as servers emit them: 0x82, then the 8-byte cluster time, then more KeyString.
const token = (t: number, i: number, rest = "2B022C0100296E5A1004"): { _data: string } => ({
  _data: `82${t.toString(16).toUpperCase().padStart(8, "0")}${i.toString(16).toUpperCase().padStart(8, "0")}${rest}`,
});

describe("Position", () => {
  it("reads the cluster time out of a resume token", () => {
    const time = clusterTimeOfToken(token(1_700_000_000, 7));
    expect(time?.t).toBe(1_700_000_000);
    expect(time?.i).toBe(7);
  });

  it("orders by cluster time, then by increment, then by token", () => {
    const positions = [
      makePosition(token(1_700_000_001, 1)),
      makePosition(token(1_700_000_000, 2)),
      makePosition(token(1_700_000_000, 10)),
      makePosition(token(1_700_000_000, 2, "2B022C0100296E5A1005")),
      makePosition(token(1_699_999_999, 4_000_000_000)),
    ];
    const sorted = [...positions].sort(comparePositions).map((p) => `${p.clusterTime.t}.${p.clusterTime.i}`);
    expect(sorted).toEqual(["1699999999.4000000000", "1700000000.2", "1700000000.2", "1700000000.10", "1700000001.1"]);
    expect(comparePositions(positions[1]!, positions[3]!)).toBeLessThan(0);
    expect([...positions].sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual([...positions].sort(comparePositions));
  });

  it("gives the same key for the same token whether or not the event's cluster time is passed", () => {
    const t = token(1_700_000_000, 3);
    expect(makePosition(t, new Timestamp({ t: 1_700_000_000, i: 3 })).key).toBe(makePosition(t).key);
    expect(makePosition(t).key).toBe(`6553f100${"00000003"}:${t._data}`);
  });

  it("falls back to the given cluster time for tokens of an unknown format", () => {
    const position = makePosition({ _data: "zz" }, new Timestamp({ t: 5, i: 6 }));
    expect(position.key).toBe("0000000500000006:zz");
    expect(makePosition({ _data: "zz" }).key).toBe("0000000000000000:zz");
  });

  it("writes a token as canonical Extended JSON, whether it is its _data alone or has the KeyString's type bits", () => {
    const plain = token(1_700_000_000, 3);
    const withTypeBits = { ...plain, _typeBits: new Binary(Buffer.from([0x40]), 0) };
    for (const each of [plain, withTypeBits, { _data: 'a"b\\c' }]) {
      expect(resumeTokenText(each)).toBe(BSON.EJSON.stringify(each, { relaxed: false }));
      expect(resumeTokenOfText(resumeTokenText(each))).toEqual(each);
    }
    expect(resumeTokenText(withTypeBits)).toContain('"$binary"');
  });
});

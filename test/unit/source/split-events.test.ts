import { Int32, Timestamp, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { normalizeChange } from "../../../src/source/normalize-change.js";
import { FragmentAssembler, supportsSplitLargeEvent } from "../../../src/source/split-events.js";

// A version 2 event token at Timestamp(1700000000, 3) (`82` and the time, version `2B04`, event
// `2C0100`, txnOpIndex `29`, fromInvalidate `6E`, then bytes standing in for the UUID and the
// event's identifier); a fragment's token adds the fragment's number, 0-based, before the end.
const EVENT_TOKEN = "826553F1000000000322B042C0100296E5A10041C4A2E5B6C7D4E8F9A0B1C2D3E4F506A3C6F7065726174696F6E5479706500";
const tokenOfFragment = (index: number): { _data: string } => ({ _data: `${EVENT_TOKEN}${index === 0 ? "29" : `2B${(index * 2).toString(16).padStart(2, "0")}`}04` });

/**
 * An update split as the server splits it (change_stream_split_event_helpers.cpp): every
 * fragment has its own `_id` and `splitEvent: {fragment, of}` (Int32), then whole top-level
 * fields, smallest first, as many as fit in 16 MB.
 */
function fragmentsOfLargeUpdate(): Document[] {
  const clusterTime = new Timestamp({ t: 1_700_000_000, i: 3 });
  const of = new Int32(3);
  return [
    {
      _id: tokenOfFragment(0),
      splitEvent: { fragment: new Int32(1), of },
      operationType: "update",
      clusterTime,
      wallTime: new Date("2023-11-14T22:13:20Z"),
      ns: { db: "shop", coll: "orders" },
      documentKey: { _id: new Int32(7) },
      updateDescription: { updatedFields: { note: "x".repeat(10) }, removedFields: [], truncatedArrays: [] },
    },
    { _id: tokenOfFragment(1), splitEvent: { fragment: new Int32(2), of }, fullDocumentBeforeChange: { _id: new Int32(7), note: "before" } },
    { _id: tokenOfFragment(2), splitEvent: { fragment: new Int32(3), of }, fullDocument: { _id: new Int32(7), note: "after" } },
  ];
}

describe("split change events", () => {
  it("is used on the servers that have $changeStreamSplitLargeEvent: 7.0 and later, and 6.0.9 and later in 6.0", () => {
    expect(["7.0.0", "7.0.2-rc0", "8.0.4", "6.0.9", "6.0.14"].map(supportsSplitLargeEvent)).toEqual([true, true, true, true, true]);
    expect(["6.0.8", "6.0.0", "6.3.1", "5.0.26", "4.4.29"].map(supportsSplitLargeEvent)).toEqual([false, false, false, false, false]);
  });

  it("hands on one whole event, at the position of its last fragment, only when the last fragment arrives", () => {
    const assembler = new FragmentAssembler();
    const [first, second, third] = fragmentsOfLargeUpdate();
    expect(assembler.add(first!)).toBeUndefined();
    expect(assembler.pending).toBe(true);
    expect(assembler.add(second!)).toBeUndefined();
    const whole = assembler.add(third!);
    expect(assembler.pending).toBe(false);
    const event = normalizeChange(whole!);
    expect(event?.op).toBe("update");
    expect(event?.ns).toEqual({ db: "shop", coll: "orders" });
    expect(event?.key).toEqual({ _id: new Int32(7) });
    expect(event?.before).toEqual({ _id: new Int32(7), note: "before" });
    expect(event?.doc).toEqual({ _id: new Int32(7), note: "after" });
    expect(event?.position.resumeToken).toEqual(tokenOfFragment(2));
    expect(whole).not.toHaveProperty("splitEvent");
  });

  it("passes an event that is not split straight through", () => {
    const plain = { _id: { _data: EVENT_TOKEN }, operationType: "delete", ns: { db: "shop", coll: "orders" }, documentKey: { _id: 1 } };
    expect(new FragmentAssembler().add(plain)).toBe(plain);
  });

  it("starts over after a reopen, which begins again at the event's first fragment", () => {
    const assembler = new FragmentAssembler();
    const fragments = fragmentsOfLargeUpdate();
    assembler.add(fragments[0]!);
    assembler.reset();
    expect(assembler.pending).toBe(false);
    for (const fragment of fragments.slice(0, 2)) expect(assembler.add(fragment)).toBeUndefined();
    expect(normalizeChange(assembler.add(fragments[2]!)!)?.doc).toEqual({ _id: new Int32(7), note: "after" });
  });

  it("stops on fragments out of order rather than hand on half an event", () => {
    const [first, , third] = fragmentsOfLargeUpdate();
    const assembler = new FragmentAssembler();
    assembler.add(first!);
    expect(() => assembler.add(third!)).toThrow(expect.objectContaining({ code: ErrorCode.ChangeStreamFailed, message: expect.stringContaining("fragment 3 of 3 arrived where fragment 2 was expected") }));
    const other = new FragmentAssembler();
    other.add(first!);
    expect(() => other.add({ _id: { _data: EVENT_TOKEN }, operationType: "insert" })).toThrow(/unsplit event arrived after fragment 1/);
  });
});

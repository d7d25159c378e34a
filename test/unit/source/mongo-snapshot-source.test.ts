import { Int32, MaxKey, MongoNetworkError, MongoServerError, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { describeRange, snapshotError } from "../../../src/source/mongo-snapshot-source.js";

const where = "mongodb://app:***@db:27017";
const serverError = (code: number, codeName: string, message: string): MongoServerError => new MongoServerError({ ok: 0, code, codeName, errmsg: message });

// The MongoDB side itself is tested against a real replica set (test/integration/snapshot);
// these are the messages of failures a test server cannot produce (it has no users).
describe("snapshot errors", () => {
  it("keeps a refused operation a permission error, naming the collection and what was being done", () => {
    const error = snapshotError(serverError(13, "Unauthorized", "not authorized on shop to execute command { find: \"orders\" }"), where, "shop.orders", "while reading _id range [lowest, 5)", {
      range: "[lowest, 5)",
    });
    expect(error.code).toBe(ErrorCode.MongoUnauthorized);
    expect(error.message).toBe(
      `Snapshot of shop.orders failed while reading _id range [lowest, 5): MongoDB at ${where} refused an operation: not authorized on shop to execute command { find: "orders" }. ` +
        "The user needs the 'changeStream' and 'find' actions on what is watched",
    );
    expect(error.context).toEqual({ namespace: "shop.orders", range: "[lowest, 5)" });
    expect(error.cause).toBeInstanceOf(MongoServerError);
  });

  it("keeps an unreachable server a connection error", () => {
    const error = snapshotError(new MongoNetworkError("connection reset"), where, "shop.orders", "while planning its _id ranges");
    expect(error.code).toBe(ErrorCode.MongoUnreachable);
    expect(error.message).toBe(`Snapshot of shop.orders failed while planning its _id ranges: Cannot reach MongoDB at ${where}: connection reset`);
  });

  it("makes any other failure a snapshot failure", () => {
    const cause = serverError(51175, "Location51175", "The value provided for min() does not come before the value provided for max() in the hinted index");
    const error = snapshotError(cause, where, "shop.orders", "while reading _id range [10, 5)", { range: "[10, 5)" });
    expect(error.code).toBe(ErrorCode.SnapshotFailed);
    expect(error.message).toBe(
      `Snapshot of shop.orders failed while reading _id range [10, 5) on MongoDB at ${where}: The value provided for min() does not come before the value provided for max() in the hinted index`,
    );
    expect(error.cause).toBe(cause);
    const own = snapshotError(new TributaryError(ErrorCode.SnapshotFailed, "Cannot order a value of type function"), where, "shop.orders", "while planning its _id ranges");
    expect(own.message).toBe("Snapshot of shop.orders failed while planning its _id ranges: Cannot order a value of type function");
  });

  it("shows a range with its bounds as Extended JSON", () => {
    expect(describeRange({})).toBe("[lowest, highest)");
    expect(describeRange({ lower: new Int32(5), upper: "m" })).toBe('[5, "m")');
    expect(describeRange({ lower: new ObjectId("65f1c0ffee0000000000abcd") })).toBe('[{"$oid":"65f1c0ffee0000000000abcd"}, highest)');
    expect(describeRange({ upper: new MaxKey() })).toBe('[lowest, {"$maxKey":1})');
    expect(describeRange({ lower: "x".repeat(500) })).toBe(`["${"x".repeat(119)}…, highest)`);
  });
});

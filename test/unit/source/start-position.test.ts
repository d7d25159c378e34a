import { Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { changeStreamTarget, namingStartPoint, startBeforeOplogError, startPointTime, timestampOfDate } from "../../../src/source/start-position.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { makePosition } from "../../../src/core/position.js";
import type { SourceItem } from "../../../src/core/change-event.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

describe("start positions", () => {
  it("turn a date into the cluster time of its second", () => {
    expect(timestampOfDate(new Date("2024-05-01T00:00:00.999Z"))).toEqual(new Timestamp({ t: 1_714_521_600, i: 1 }));
  });

  it("open the probe stream where the scope's stream opens", () => {
    expect(changeStreamTarget({ kind: "deployment" })).toEqual({ database: "admin", aggregate: 1, clusterWide: true });
    expect(changeStreamTarget({ kind: "database", db: "app" })).toEqual({ database: "app", aggregate: 1, clusterWide: false });
    expect(changeStreamTarget({ kind: "collection", db: "app", coll: "users" })).toEqual({ database: "app", aggregate: "users", clusterWide: false });
  });
});

describe("a start point the oplog no longer reaches", () => {
  const start = new Timestamp({ t: 1_700_000_000, i: 5 });

  it("is refused with both times when the oplog's first entry was read", () => {
    const error = startBeforeOplogError("db.example.com:27017", start, 1_700_086_400);
    expect(error.code).toBe(ErrorCode.ChangeStreamHistoryLost);
    expect(error.message).toContain("The start point 2023-11-14T22:13:20.000Z (Timestamp(1700000000, 5)) is older than the oldest change the oplog of db.example.com:27017 still holds, 2023-11-15T22:13:20.000Z");
    expect(error.message).toContain("Start at 2023-11-15T22:13:20.000Z or later");
  });

  it("names the server's ChangeStreamHistoryLost when the oplog could not be read (mongos)", () => {
    const cause = new Error("Resume of change stream was not possible, as the resume point may no longer be in the oplog");
    const error = startBeforeOplogError("mongos:27017", start, undefined, cause);
    expect(error.message).toMatch(/older than what the oplog of mongos:27017 still holds \(the server reports ChangeStreamHistoryLost/);
    expect(error.cause).toBe(cause);
  });

  it("turns a history lost before the stream's first change into the start point's message, and leaves later ones alone", async () => {
    const lost = new TributaryError(ErrorCode.ChangeStreamHistoryLost, "the stored position is no longer in the oplog");
    async function* failing(first?: SourceItem): AsyncGenerator<SourceItem> {
      if (first) yield first;
      throw lost;
    }
    const read = async (items: AsyncIterable<SourceItem>): Promise<unknown> => {
      try {
        for await (const item of items) void item;
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const early = (await read(namingStartPoint(failing({ kind: "caughtUp", position: undefined }), "rs0", start))) as TributaryError;
    expect(early.message).toMatch(/^The start point 2023-11-14T22:13:20.000Z/);
    const event = { kind: "event", event: { op: "insert" } } as unknown as SourceItem;
    expect(await read(namingStartPoint(failing(event), "rs0", start))).toBe(lost);
    expect(await read(namingStartPoint(failing(), "rs0", "now"))).toBe(lost);
  });

  it("takes the cluster time a start point names", () => {
    const token = doubleIdToken();
    expect(startPointTime(new Date("2024-05-01T00:00:00Z"))).toEqual(new Timestamp({ t: 1_714_521_600, i: 1 }));
    expect(startPointTime(start)).toBe(start);
    expect(startPointTime(token)).toEqual(new Timestamp({ t: 1_594_897_417, i: 4 }));
    expect(startPointTime(makePosition(token))).toEqual(new Timestamp({ t: 1_594_897_417, i: 4 }));
    expect(startPointTime("now")).toBeUndefined();
    expect(startPointTime("oldest")).toBeUndefined();
  });
});

import { Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { changeStreamTarget, timestampOfDate } from "../../../src/source/start-position.js";

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

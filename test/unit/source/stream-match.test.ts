import { describe, expect, it } from "vitest";
import { serverOperationTypes, streamMatchStages } from "../../../src/source/stream-match.js";

describe("streamMatchStages", () => {
  it("adds nothing when nothing is filtered", () => {
    expect(streamMatchStages({})).toEqual([]);
    expect(streamMatchStages({ match: {} })).toEqual([]);
  });

  it("pushes the operation list into $match and always lets invalidate through", () => {
    expect(streamMatchStages({ operations: ["insert", "delete"] })).toEqual([{ $match: { operationType: { $in: ["insert", "delete", "invalidate"] } } }]);
    expect(streamMatchStages({ operations: ["invalidate", "drop", "drop"] })).toEqual([{ $match: { operationType: { $in: ["invalidate", "drop"] } } }]);
  });

  it("passes the user's query as it is, or-ed with invalidate", () => {
    expect(streamMatchStages({ match: { "fullDocument.status": "active" } })).toEqual([
      { $match: { $or: [{ operationType: "invalidate" }, { "fullDocument.status": "active" }] } },
    ]);
  });

  it("combines operations and query in one $match", () => {
    expect(streamMatchStages({ operations: ["insert", "update"], match: { "ns.coll": "users" } })).toEqual([
      { $match: { $or: [{ operationType: "invalidate" }, { $and: [{ operationType: { $in: ["insert", "update"] } }, { "ns.coll": "users" }] }] } },
    ]);
  });
});

describe("serverOperationTypes", () => {
  it("maps our operation names to the server's, without repeats", () => {
    expect(serverOperationTypes(["insert", "update", "replace", "delete", "drop", "rename", "dropDatabase", "invalidate", "insert"])).toEqual([
      "insert",
      "update",
      "replace",
      "delete",
      "drop",
      "rename",
      "dropDatabase",
      "invalidate",
    ]);
  });
});

import { MongoBulkWriteError, MongoNetworkError, MongoServerError, MongoServerSelectionError, MongoWriteConcernError } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { classifyWriteError, mapSinkWriteError } from "../../../src/sinks/mongodb/mongodb-sink-errors.js";

const serverError = (code: number, codeName: string, message = codeName, labels: string[] = []): MongoServerError =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: message, errorLabels: labels });

const failed = { sink: "copy", where: "mongodb://app:***@backup:27017", action: "writing to archive.orders", namespace: "archive.orders" };

describe("mongodb sink errors", () => {
  const duplicate = new MongoBulkWriteError({ message: "E11000 duplicate key error", code: 11000, writeErrors: [{ index: 0, code: 11000, errmsg: "E11000" }] } as never, {} as never);
  it.each([
    ["no server selectable", new MongoServerSelectionError("Server selection timed out after 30000 ms", { type: "ReplicaSetNoPrimary" } as never), "unreachable"],
    ["a network error", new MongoNetworkError("connection reset"), "transient"],
    ["NotWritablePrimary (election)", serverError(10107, "NotWritablePrimary"), "transient"],
    ["ShutdownInProgress", serverError(91, "ShutdownInProgress"), "transient"],
    ["InterruptedDueToReplStateChange", serverError(11602, "InterruptedDueToReplStateChange"), "transient"],
    ["any code with the RetryableWriteError label", serverError(999_999, "SomethingNew", "SomethingNew", ["RetryableWriteError"]), "transient"],
    ["a write concern timeout of a bulk write", new MongoBulkWriteError({ message: "waiting for replication timed out", code: 64 }, {} as never), "transient"],
    ["a write concern error", new MongoWriteConcernError({ writeConcernError: { code: 64, errmsg: "waiting for replication timed out" } } as never), "transient"],
    ["a duplicate key", duplicate, "permanent"],
    ["Unauthorized", serverError(13, "Unauthorized"), "permanent"],
    ["AuthenticationFailed", serverError(18, "AuthenticationFailed"), "permanent"],
    ["a programming error", new TypeError("x is undefined"), "permanent"],
  ])("classifies %s as %s", (_name, error, kind) => {
    expect(classifyWriteError(error)).toBe(kind);
  });

  it("names the document a bulk write failed on", () => {
    const operations = [{ replaceOne: { filter: { _id: 1 }, replacement: { _id: 1 }, upsert: true } }, { deleteOne: { filter: { _id: 2, region: "eu" } } }];
    const error = new MongoBulkWriteError(
      { message: "E11000 duplicate key error collection: archive.orders", code: 11000, writeErrors: [{ index: 1, code: 11000, errmsg: "E11000" }] } as never,
      {} as never,
    );
    const mapped = mapSinkWriteError(error, { ...failed, operations });
    expect({ code: mapped.code, message: mapped.message, context: mapped.context }).toEqual({
      code: ErrorCode.SinkFailed,
      message: 'Sink \'copy\': writing to archive.orders on mongodb://app:***@backup:27017 failed for the document {"_id":2,"region":"eu"}: E11000 duplicate key error collection: archive.orders',
      context: { sink: "copy", namespace: "archive.orders", key: '{"_id":2,"region":"eu"}' },
    });
  });

  it("says which privilege is missing, and where the target could not be reached", () => {
    const refused = mapSinkWriteError(serverError(13, "Unauthorized", "not authorized on archive to execute command { renameCollection: ... }"), { ...failed, action: "renaming a.b to c.d" });
    expect(refused.code).toBe(ErrorCode.MongoUnauthorized);
    expect(refused.message).toBe(
      "Sink 'copy': MongoDB at mongodb://app:***@backup:27017 refused renaming a.b to c.d: not authorized on archive to execute command { renameCollection: ... }. " +
        "The sink's user needs the readWrite role on the target databases (and the dropDatabase action, in dbAdmin, to drop a whole database)",
    );
    const unreachable = mapSinkWriteError(new MongoNetworkError("connect ECONNREFUSED 10.0.0.9:27017"), failed);
    expect({ code: unreachable.code, message: unreachable.message }).toEqual({
      code: ErrorCode.MongoUnreachable,
      message: "Sink 'copy': Cannot reach MongoDB at mongodb://app:***@backup:27017: connect ECONNREFUSED 10.0.0.9:27017",
    });
  });
});

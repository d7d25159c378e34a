import { MongoBulkWriteError, MongoNetworkError, MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { isTransientWriteError, mapSinkWriteError } from "../../../src/sinks/mongodb/mongodb-sink-errors.js";

const serverError = (code: number, codeName: string, message = codeName, labels: string[] = []): MongoServerError =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: message, errorLabels: labels });

const failed = { sink: "copy", where: "mongodb://app:***@backup:27017", action: "writing to archive.orders", namespace: "archive.orders" };

describe("mongodb sink errors", () => {
  it("retries an unreachable target, an election and an unacknowledged write, not a refused one", () => {
    expect(isTransientWriteError(new MongoNetworkError("connection reset"))).toBe(true);
    expect(isTransientWriteError(serverError(10107, "NotWritablePrimary"))).toBe(true);
    expect(isTransientWriteError(serverError(91, "ShutdownInProgress"))).toBe(true);
    expect(isTransientWriteError(new MongoBulkWriteError({ message: "waiting for replication timed out", code: 64 }, {} as never))).toBe(true);
    const duplicate = new MongoBulkWriteError({ message: "E11000 duplicate key error", code: 11000, writeErrors: [{ index: 0, code: 11000, errmsg: "E11000" }] } as never, {} as never);
    expect(isTransientWriteError(duplicate)).toBe(false);
    expect(isTransientWriteError(serverError(13, "Unauthorized"))).toBe(false);
    expect(isTransientWriteError(new TypeError("x is undefined"))).toBe(false);
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

import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { classifyStreamError, isHistoryLost, isResumeTokenNotFound, isRetryableStreamError, mapMongoError } from "../../../src/source/mongo-error-mapper.js";

const serverError = (code: number, codeName: string, message = codeName, labels: string[] = []): MongoServerError =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: message, errorLabels: labels });

describe("mongo error classification", () => {
  it("retries network faults, elections and resumable-labelled errors", () => {
    expect(isRetryableStreamError(new MongoNetworkError("connection reset"))).toBe(true);
    expect(isRetryableStreamError(serverError(11602, "InterruptedDueToReplStateChange"))).toBe(true);
    expect(isRetryableStreamError(serverError(10107, "NotWritablePrimary"))).toBe(true);
    expect(isRetryableStreamError(serverError(999, "Whatever", "x", ["ResumableChangeStreamError"]))).toBe(true);
  });

  it("does not retry lost history, authorization failures or plain bugs", () => {
    const lost = serverError(286, "ChangeStreamHistoryLost", "Resume of change stream was not possible, as the resume point may no longer be in the oplog.");
    expect(isHistoryLost(lost)).toBe(true);
    expect(isRetryableStreamError(lost)).toBe(false);
    expect(isRetryableStreamError(serverError(13, "Unauthorized"))).toBe(false);
    expect(isRetryableStreamError(new TypeError("x is undefined"))).toBe(false);
  });

  it("maps each to a code and a message that says what to do", () => {
    const where = "mongodb://app:***@db:27017";
    const lost = mapMongoError(serverError(280, "ChangeStreamFatalError", "the resume point may no longer be in the oplog"), where);
    expect(lost.code).toBe(ErrorCode.ChangeStreamHistoryLost);
    expect(lost.message).toContain("the stored position is no longer in the oplog");
    expect(lost.message).toContain("tributary.positions");
    expect(mapMongoError(serverError(40573, "Location40573", "The $changeStream stage is only supported on replica sets"), where).message).toBe(
      `MongoDB at ${where} is a standalone server; change streams need a replica set or a sharded cluster. Start mongod with --replSet <name> and run rs.initiate() once (a one-member replica set is enough).`,
    );
    expect(mapMongoError(serverError(18, "AuthenticationFailed"), where).code).toBe(ErrorCode.MongoAuthFailed);
    expect(mapMongoError(serverError(13, "Unauthorized", "not authorized on shop to execute command"), where).message).toContain("'changeStream' and 'find'");
  });

  it("tells a resume token the stream does not hold from lost history", () => {
    // As the server words it (document_source_change_stream_ensure_resume_token_present.cpp), behind the driver's prefix.
    const notFound = serverError(
      280,
      "ChangeStreamFatalError",
      'Executor error during getMore :: caused by :: cannot resume stream; the resume token was not found. {_id: {_data: "8265A5F0E4000000022B042C0100296E5A1004"}}',
      ["NonResumableChangeStreamError"],
    );
    expect(isResumeTokenNotFound(notFound)).toBe(true);
    expect(isResumeTokenNotFound(serverError(40585, "Location40585", "resume of change stream was not possible, as the resume token was not found. {_data: BinData(0, 00)}"))).toBe(true);
    expect(isHistoryLost(notFound)).toBe(false);
    expect(isRetryableStreamError(notFound)).toBe(false);
    expect(isResumeTokenNotFound(serverError(280, "ChangeStreamFatalError", "the resume point may no longer be in the oplog"))).toBe(false);
    expect(isResumeTokenNotFound(serverError(286, "ChangeStreamHistoryLost"))).toBe(false);
  });
});

describe("classifyStreamError", () => {
  it("polls an unselectable deployment, backs off on other resumable faults, and stops on the rest", () => {
    const unselectable = new MongoServerSelectionError("Server selection timed out after 10000 ms", { type: "ReplicaSetNoPrimary" } as never);
    const cases: [unknown, string][] = [
      [unselectable, "unreachable"],
      [new MongoNetworkError("connection reset"), "transient"],
      [serverError(91, "ShutdownInProgress", "shutting down"), "transient"],
      [serverError(280, "ChangeStreamFatalError", "x", ["ResumableChangeStreamError"]), "transient"],
      [serverError(286, "ChangeStreamHistoryLost", "history lost"), "permanent"],
      [serverError(13, "Unauthorized", "not authorized"), "permanent"],
      [new Error("a bug"), "permanent"],
    ];
    for (const [error, kind] of cases) expect([String((error as Error).message), classifyStreamError(error)]).toEqual([String((error as Error).message), kind]);
  });
});

import pg from "pg";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../../src/core/error-codes.js";
import { PostgresConnectionLost } from "../../../../src/sinks/postgres/connection-lost.js";
import { classifyPostgresError, mapPostgresConnectError } from "../../../../src/sinks/postgres/postgres-errors.js";

/** An error as the server sends it: pg's DatabaseError with its SQLSTATE. */
function serverError(code: string, message = `server error ${code}`): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, "error");
  error.code = code;
  return error;
}

/** An error as Node's net module raises it. */
function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -1, syscall: "connect" });
}

describe("classifyPostgresError", () => {
  it.each([
    ["ECONNREFUSED: nothing listens", systemError("ECONNREFUSED"), "unreachable"],
    ["57P03 cannot_connect_now: starting up or shutting down", serverError("57P03"), "unreachable"],
    ["ECONNRESET", systemError("ECONNRESET"), "transient"],
    ["EPIPE", systemError("EPIPE"), "transient"],
    ["ETIMEDOUT", systemError("ETIMEDOUT"), "transient"],
    ["EHOSTUNREACH", systemError("EHOSTUNREACH"), "transient"],
    ["ENETUNREACH", systemError("ENETUNREACH"), "transient"],
    ["EAI_AGAIN: DNS for now", systemError("EAI_AGAIN"), "transient"],
    ["08006 connection_failure", serverError("08006"), "transient"],
    ["08001 unable to establish", serverError("08001"), "transient"],
    ["57P01 admin_shutdown", serverError("57P01"), "transient"],
    ["57P05 idle_session_timeout", serverError("57P05"), "transient"],
    ["57P02 crash_shutdown", serverError("57P02"), "transient"],
    ["40001 serialization_failure", serverError("40001"), "transient"],
    ["40P01 deadlock_detected", serverError("40P01"), "transient"],
    ["55P03 lock_not_available", serverError("55P03"), "transient"],
    ["57014 query_canceled (statement_timeout)", serverError("57014"), "transient"],
    ["53300 too_many_connections", serverError("53300"), "transient"],
    ["53100 disk_full", serverError("53100"), "transient"],
    ["a connection lost under the work", new PostgresConnectionLost(new Error("Connection terminated unexpectedly")), "transient"],
    ["28P01 invalid_password", serverError("28P01"), "permanent"],
    ["28000 invalid_authorization_specification", serverError("28000"), "permanent"],
    ["3D000 invalid_catalog_name", serverError("3D000"), "permanent"],
    ["42501 insufficient_privilege", serverError("42501"), "permanent"],
    ["23505 unique_violation", serverError("23505"), "permanent"],
    ["22P02 invalid_text_representation", serverError("22P02"), "permanent"],
    ["ENOTFOUND: a name that resolves once its container runs", systemError("ENOTFOUND"), "transient"],
    ["EPROTO: TLS handshake refused", systemError("EPROTO"), "permanent"],
    // Words are no contract: only the type the sink gives a broken connection makes it transient.
    ["pg's wording of a lost connection, without a code", new Error("Connection terminated unexpectedly"), "permanent"],
    ["a programming error", new TypeError("x is undefined"), "permanent"],
    ["not an error", undefined, "permanent"],
  ])("%s → %s", (_name, error, kind) => {
    expect(classifyPostgresError(error)).toBe(kind);
  });
});

describe("mapPostgresConnectError", () => {
  const where = "postgres://app:***@db:5432/app";

  it("says unreachable only for what waiting can cure", () => {
    expect(mapPostgresConnectError(systemError("ECONNREFUSED"), where).code).toBe(ErrorCode.PostgresUnreachable);
    expect(mapPostgresConnectError(serverError("57P03"), where).code).toBe(ErrorCode.PostgresUnreachable);
    expect(mapPostgresConnectError(new PostgresConnectionLost(new Error("Connection terminated unexpectedly")), where).code).toBe(ErrorCode.PostgresUnreachable);
  });

  it("names misconfiguration, which start-up does not wait on", () => {
    expect(mapPostgresConnectError(serverError("28P01"), where).code).toBe(ErrorCode.PostgresAuthFailed);
    expect(mapPostgresConnectError(serverError("3D000"), where).code).toBe(ErrorCode.PostgresDatabaseMissing);
    const refused = mapPostgresConnectError(systemError("EPROTO"), where);
    expect(refused.code).toBe(ErrorCode.PostgresConnectFailed);
    expect(refused.message).toBe(`Cannot connect to PostgreSQL at ${where} (not retried: waiting would not cure it): connect EPROTO 127.0.0.1:5432 (code EPROTO)`);
  });
});

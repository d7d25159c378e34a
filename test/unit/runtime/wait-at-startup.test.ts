import { describe, expect, it, vi } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { classifyStartupError, waitAtStartup } from "../../../src/runtime/wait-at-startup.js";
import { capturingLogger } from "../../support/capturing-logger.js";

const failure = (code: ErrorCode): TributaryError => new TributaryError(code, `failed: ${code}`);

describe("classifyStartupError", () => {
  it.each([
    [ErrorCode.PostgresUnreachable, "unreachable"],
    [ErrorCode.MongoUnreachable, "unreachable"],
    [ErrorCode.PostgresAuthFailed, "permanent"],
    [ErrorCode.PostgresDatabaseMissing, "permanent"],
    [ErrorCode.PostgresConnectFailed, "permanent"],
    [ErrorCode.PostgresApplyFailed, "permanent"],
    [ErrorCode.MongoAuthFailed, "permanent"],
    [ErrorCode.MongoUnauthorized, "permanent"],
    [ErrorCode.MongoNotReplicaSet, "permanent"],
    [ErrorCode.ConfigInvalid, "permanent"],
  ] as const)("%s → %s", (code, kind) => {
    expect(classifyStartupError(failure(code))).toBe(kind);
  });

  it("does not wait on an error without a code", () => {
    expect(classifyStartupError(new Error("ECONNREFUSED"))).toBe("permanent");
  });
});

describe("waitAtStartup", () => {
  const retry = { initialDelayMs: 1, maxDelayMs: 2 };

  it("tries again while the server is unreachable, one warning per failed try", async () => {
    const { logger, lines } = capturingLogger();
    const connect = vi.fn().mockRejectedValueOnce(failure(ErrorCode.PostgresUnreachable)).mockRejectedValueOnce(failure(ErrorCode.PostgresUnreachable)).mockResolvedValue("open");
    await expect(waitAtStartup("PostgreSQL", connect, { retry, logger })).resolves.toBe("open");
    expect(lines.map(({ level, msg, waitingFor, attempt, code }) => ({ level, msg, waitingFor, attempt, code }))).toEqual([
      { level: 40, msg: "waiting for PostgreSQL", waitingFor: "PostgreSQL", attempt: 1, code: ErrorCode.PostgresUnreachable },
      { level: 40, msg: "waiting for PostgreSQL", waitingFor: "PostgreSQL", attempt: 2, code: ErrorCode.PostgresUnreachable },
    ]);
  });

  it("tells onWait of each failed try, for /readyz", async () => {
    const { logger } = capturingLogger();
    const notices: unknown[] = [];
    const connect = vi.fn().mockRejectedValueOnce(failure(ErrorCode.MongoUnreachable)).mockResolvedValue("open");
    await waitAtStartup("MongoDB", connect, { retry, logger, onWait: (notice) => notices.push({ ...notice, retryInMs: typeof notice.retryInMs }) });
    expect(notices).toEqual([{ waitingFor: "MongoDB", attempt: 1, code: ErrorCode.MongoUnreachable, retryInMs: "number" }]);
  });

  it("polls an unreachable server about every second, whatever the back-off says", async () => {
    const { logger } = capturingLogger();
    const waits: number[] = [];
    const connect = vi.fn().mockRejectedValueOnce(failure(ErrorCode.PostgresUnreachable)).mockResolvedValue("open");
    const slowBackoff = { initialDelayMs: 20_000, maxDelayMs: 60_000 };
    await waitAtStartup("PostgreSQL", connect, { retry: slowBackoff, logger, onWait: (notice) => waits.push(notice.retryInMs) });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeLessThanOrEqual(1_000);
  });

  it("fails at once on misconfiguration", async () => {
    const { logger, lines } = capturingLogger();
    const connect = vi.fn().mockRejectedValue(failure(ErrorCode.PostgresAuthFailed));
    await expect(waitAtStartup("PostgreSQL", connect, { retry, logger })).rejects.toMatchObject({ code: ErrorCode.PostgresAuthFailed });
    expect(connect).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([]);
  });

  it("gives up with the last error after retry.startupAttempts tries", async () => {
    const { logger, lines } = capturingLogger();
    const connect = vi.fn().mockRejectedValue(failure(ErrorCode.MongoUnreachable));
    await expect(waitAtStartup("MongoDB", connect, { retry: { ...retry, startupAttempts: 3 }, logger })).rejects.toMatchObject({ code: ErrorCode.MongoUnreachable });
    expect(connect).toHaveBeenCalledTimes(3);
    expect(lines.map((line) => [line.attempt, line.of])).toEqual([
      [1, 3],
      [2, 3],
    ]);
  });
});

import { describe, expect, it, vi } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { makePosition } from "../../../src/core/position.js";
import type { ResumePointStore } from "../../../src/core/resume-point-store.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import { atLeastOnceSink } from "../../../src/sinks/at-least-once-sink.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { tokenAt } from "../../support/events.js";

const position = makePosition(tokenAt(1_700_000_000, 1));
const unreachable = new TributaryError(ErrorCode.PostgresUnreachable, "Cannot connect to PostgreSQL at postgres://db/app: connect ECONNREFUSED");

function store(save: ResumePointStore["save"]): ResumePointStore {
  return { description: "a test store", load: () => Promise.resolve(undefined), save, close: () => Promise.resolve() };
}

describe("atLeastOnceSink saving its position", () => {
  const writer = { write: () => Promise.resolve() };
  const retry = { initialDelayMs: 1, maxDelayMs: 2 };

  it("retries a save while the store's server cannot be reached, a warning per try", async () => {
    const { logger, lines } = capturingLogger();
    const save = vi.fn().mockRejectedValueOnce(unreachable).mockRejectedValueOnce(unreachable).mockResolvedValue(undefined);
    const sink = atLeastOnceSink("hook", writer, store(save), { retry, logger });
    await sink.apply({ events: [], position });
    expect(save).toHaveBeenCalledTimes(3);
    expect(lines.map(({ msg, attempt }) => ({ msg, attempt }))).toEqual([
      { msg: "resume point store unavailable; retrying the save", attempt: 1 },
      { msg: "resume point store unavailable; retrying the save", attempt: 2 },
    ]);
  });

  it("stops at once on any other failure", async () => {
    const { logger } = capturingLogger();
    const mismatch = new TributaryError(ErrorCode.CheckpointMismatch, "another process moved the position");
    const save = vi.fn().mockRejectedValue(mismatch);
    const sink = atLeastOnceSink("hook", writer, store(save), { retry, logger });
    await expect(sink.apply({ events: [], position })).rejects.toBe(mismatch);
    expect(save).toHaveBeenCalledTimes(1);
  });
});

describe("atLeastOnceSink opening", () => {
  it("closes its store when the writer cannot open, so that nothing it opened keeps the process alive", async () => {
    const refused = new Error("cannot open the file");
    const close = vi.fn(() => Promise.resolve());
    const sink = atLeastOnceSink("file", { write: () => Promise.resolve(), open: () => Promise.reject(refused) }, { ...store(() => Promise.resolve()), close });
    await expect(sink.open()).rejects.toBe(refused);
    expect(close).toHaveBeenCalledTimes(1);
  });
});

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { runSync } from "../../../src/runtime/sync-runner.js";
import { resolveWatchOptions } from "../../../src/watch/watch-options.js";
import { capturingLogger } from "../../support/capturing-logger.js";

// A plugin logging what a careless plugin might: a connection string with its password.
const LOGGING_SINK = `export function createSink(options, context) {
  context.logger.info({ target: "postgres://writer:hunter2@db.internal/app" }, "plugin connecting to mongodb://alice:pa/ss99@db1:27017/");
  return { name: context.sinkName, transactional: false, open: () => context.positions.load(), apply: async () => undefined, close: () => context.positions.close() };
}
`;

describe("a library caller's logger", () => {
  it("runSync redacts every line written to the logger it is given, the sinks' lines included", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tributary-library-logger-"));
    await writeFile(join(dir, "logging-sink.mjs"), LOGGING_SINK);
    const config = validateConfig({
      source: { uri: "mongodb://app:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=200" },
      sinks: [{ name: "careless", use: "./logging-sink.mjs", positions: { file: join(dir, "positions.json") } }],
      retry: { startupAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    });
    const { logger, lines } = capturingLogger();
    await expect(runSync(config, logger, new AbortController().signal, { baseDir: dir })).rejects.toThrow(/MongoDB/);
    const text = JSON.stringify(lines);
    expect(lines.find((line) => line.msg === "plugin connecting to mongodb://alice:***@db1:27017/")).toMatchObject({ target: "postgres://writer:***@db.internal/app" });
    for (const secret of ["hunter2", "pa/ss99", "s3cret"]) expect(text).not.toContain(secret);
  });

  it("watch() redacts every line written to the logger it is given", () => {
    const { logger, lines } = capturingLogger();
    const resolved = resolveWatchOptions({ logger });
    resolved.logger.warn({ err: new Error("lost postgres://u:p@ss@pg/db") }, "retrying host=pg password=hunter2");
    expect(lines).toEqual([expect.objectContaining({ msg: "retrying host=pg password=***", err: expect.objectContaining({ message: "lost postgres://u:***@pg/db" }) })]);
  });
});

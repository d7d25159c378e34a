import { describe, expect, it } from "vitest";
import { redactingLogger } from "../../../src/core/redacting-logger.js";
import { capturingLogger } from "../../support/capturing-logger.js";

describe("redactingLogger", () => {
  it("redacts the message, every field, errors and child bindings of every line", () => {
    const { logger, lines } = capturingLogger();
    const log = redactingLogger(logger);
    log.info("connecting to mongodb://alice:pa/ss99@db1:27017/");
    log.warn({ err: new Error("lost postgres://u:p@ss@pg/db"), target: { url: "postgresql://app:pa ss@pg/x" } }, "retrying host=pg password=hunter2");
    log.child({ where: "mongodb://:pw@db1/", sink: { options: { secret: "whsec" } } }).error({ n: 1 }, "failed");
    const text = JSON.stringify(lines);
    for (const secret of ["pa/ss99", "p@ss", "pa ss", "hunter2", ":pw@", "whsec"]) expect(text).not.toContain(secret);
    expect(lines[0]?.msg).toBe("connecting to mongodb://alice:***@db1:27017/");
    expect(lines[1]).toMatchObject({ msg: "retrying host=pg password=***", err: { message: "lost postgres://u:***@pg/db" }, target: { url: "postgresql://app:***@pg/x" } });
    expect(lines[2]).toMatchObject({ where: "mongodb://:***@db1/", sink: { options: { secret: "***" } }, n: 1, msg: "failed" });
  });

  it("wraps once: a redacting logger wrapped again is the same logger", () => {
    const log = redactingLogger(capturingLogger().logger);
    expect(redactingLogger(log)).toBe(log);
  });

  it("drops a line below the level before redacting anything", () => {
    let read = 0;
    const fields = {
      get secret() {
        read += 1;
        return "postgres://u:pw@pg/db";
      },
    };
    const log = redactingLogger(capturingLogger().logger);
    log.debug(fields, "not written at info");
    expect(read).toBe(0);
    log.info(fields, "written");
    expect(read).toBeGreaterThan(0);
  });

  it("keeps the wrapped logger's level", () => {
    const { logger } = capturingLogger();
    const log = redactingLogger(logger);
    expect(log.level).toBe("info");
    expect(log.isLevelEnabled?.("debug")).toBe(false);
  });
});

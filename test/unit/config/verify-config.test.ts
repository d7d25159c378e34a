import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { ErrorCode } from "../../../src/core/error-codes.js";

const minimal = { source: { uri: "mongodb://localhost/?replicaSet=rs0" }, target: { url: "postgres://localhost/db" } };

describe("the verify section", () => {
  it("takes an interval as a number and a unit, in milliseconds, and the run's settings", () => {
    const config = validateConfig({ ...minimal, verify: { interval: "6h", sample: 5, collections: ["shop.orders"], repair: true } });
    expect(config.verify).toEqual({ interval: 21_600_000, sample: 5, collections: ["shop.orders"], repair: true, maxDifferences: 1_000, parallelism: 1 });
    expect(validateConfig({ ...minimal, verify: { interval: "90s" } }).verify.interval).toBe(90_000);
    expect(validateConfig({ ...minimal, verify: { interval: "1d" } }).verify.interval).toBe(86_400_000);
  });

  it("refuses an interval it cannot read or shorter than a minute, naming the setting", () => {
    expect(() => validateConfig({ ...minimal, verify: { interval: "6 hours" } })).toThrow(/verify\.interval: must be a number and a unit \(s, m, h or d\), such as 30m, 6h or 1d/);
    expect(() => validateConfig({ ...minimal, verify: { interval: "5s" } })).toThrow(/verify\.interval: must be at least 10s/);
    expect(() => validateConfig({ ...minimal, verify: { interval: "1h", every: "day" } })).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }) as Error);
  });
});

import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../src/config/load-config.js";
import { fullDocumentMode, namespacePatterns, retryBackoff } from "../../../src/pipeline/stream-options-schema.js";
import { resolveWatchOptions } from "../../../src/watch/watch-options.js";

const minimal = { source: { uri: "mongodb://localhost/?replicaSet=rs0" }, target: { url: "postgres://localhost/db" } };

describe("stream option fragments", () => {
  it("check namespace globs, naming the example they are given", () => {
    expect(namespacePatterns("shop.*").parse(undefined)).toEqual([]);
    expect(namespacePatterns("shop.*").safeParse(["shop.*", "logs", "*.orders"]).success).toBe(true);
    expect(namespacePatterns("shop.*").safeParse(["shop orders"]).error?.issues[0]?.message).toBe("must look like 'db', 'db.collection' or a glob such as 'shop.*'");
  });

  it("default the retry back-off and keep its ceiling at least the first delay", () => {
    expect(retryBackoff.parse(undefined)).toEqual({ initialDelayMs: 500, maxDelayMs: 30_000 });
    expect(retryBackoff.safeParse({ initialDelayMs: 2_000, maxDelayMs: 1_000 }).error?.issues[0]).toMatchObject({ path: ["maxDelayMs"], message: "maxDelayMs must be at least initialDelayMs" });
  });

  it("are what watch() options and the config file both validate", () => {
    const retry = { initialDelayMs: 2_000, maxDelayMs: 1_000 };
    expect(() => resolveWatchOptions({ retry })).toThrow("Invalid watch() options: retry.maxDelayMs: maxDelayMs must be at least initialDelayMs");
    expect(() => validateConfig({ ...minimal, retry })).toThrow("Invalid configuration: retry.maxDelayMs: maxDelayMs must be at least initialDelayMs");
    expect(() => validateConfig({ ...minimal, source: { ...minimal.source, include: ["shop orders"] } })).toThrow(
      "Invalid configuration: source.include.0: must look like 'db', 'db.collection' or a glob such as 'shop.*'",
    );
    expect(fullDocumentMode.options).toEqual(["updateLookup", "required", "whenAvailable"]);
    expect(() => validateConfig({ ...minimal, source: { ...minimal.source, fullDocument: "whenAvailable" } })).toThrow(
      'Invalid configuration: source.fullDocument: Invalid option: expected one of "updateLookup"|"required"',
    );
  });
});

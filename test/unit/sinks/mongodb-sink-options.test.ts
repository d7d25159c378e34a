import { describe, expect, it } from "vitest";
import type { ResumePointStore } from "../../../src/core/resume-point-store.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { silentLogger } from "../../../src/core/logger.js";
import { parseMongoSinkOptions } from "../../../src/sinks/mongodb/mongodb-sink-options.js";
import { createMongoSink } from "../../../src/sinks/mongodb/mongodb-sink.js";
import type { SinkContext } from "../../../src/core/sink.js";

function rejection(options: Record<string, unknown>): { message: string; code: string; configPath: unknown } {
  try {
    parseMongoSinkOptions(options, "copy");
  } catch (error) {
    const { message, code, context } = error as { message: string; code: string; context: { configPath?: unknown } };
    return { message, code, configPath: context.configPath };
  }
  throw new Error("the options were accepted");
}

const noPositions: ResumePointStore = {
  description: "nowhere",
  load: () => Promise.resolve(undefined),
  save: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

const context: SinkContext = { pipeline: "default", sinkName: "copy", logger: silentLogger(), baseDir: "/", positions: noPositions };

describe("mongodb sink options", () => {
  it("fills in the defaults", () => {
    expect(parseMongoSinkOptions({ uri: "mongodb://backup:27017" }, "copy")).toEqual({ uri: "mongodb://backup:27017", writeConcern: "majority", serverSelectionTimeoutMs: 10_000 });
    expect(parseMongoSinkOptions({ uri: "mongodb://b", database: "copy", namespaces: { "shop.orders": "archive.orders" }, writeConcern: 2 }, "copy")).toEqual({
      uri: "mongodb://b",
      database: "copy",
      namespaces: { "shop.orders": "archive.orders" },
      writeConcern: 2,
      serverSelectionTimeoutMs: 10_000,
    });
  });

  it("names the missing uri by its config path", () => {
    expect(rejection({})).toEqual({ code: ErrorCode.SinkInvalid, message: "Invalid options for sink 'copy': sinks.copy.options.uri is required", configPath: "sinks.copy.options.uri" });
  });

  it("names unknown options, and reports every problem at once", () => {
    expect(rejection({ uri: "mongodb://b", datbase: "copy", writeConcern: 0 })).toEqual({
      code: ErrorCode.SinkInvalid,
      message: 'Invalid options for sink \'copy\': sinks.copy.options.writeConcern: must be "majority" or a number of members (1 or more); unknown option sinks.copy.options.datbase',
      configPath: "sinks.copy.options.writeConcern",
    });
    expect(rejection({ uri: "mongodb://b", writeConcern: "all" }).message).toBe(
      'Invalid options for sink \'copy\': sinks.copy.options.writeConcern: must be "majority" or a number of members (1 or more)',
    );
  });

  it("refuses a database name MongoDB would refuse", () => {
    expect(rejection({ uri: "mongodb://b", database: "my copy" })).toEqual({
      code: ErrorCode.SinkInvalid,
      message: `Invalid options for sink 'copy': sinks.copy.options.database: 'my copy' is not a database name (it may not be empty, contain /\\. "$*<>:|?, a space or NUL, or be over 63 bytes)`,
      configPath: "sinks.copy.options.database",
    });
  });

  it("names a bad namespaces entry by its key, and refuses two sources for one target", () => {
    expect(rejection({ uri: "mongodb://b", namespaces: { shop: "archive.shop", "shop.orders": "archive", "shop.$x": "a.b" } })).toEqual({
      code: ErrorCode.SinkInvalid,
      message:
        "Invalid options for sink 'copy': " +
        "sinks.copy.options.namespaces[\"shop\"]: 'shop' is not database.collection; " +
        "sinks.copy.options.namespaces[\"shop.orders\"]: 'archive' is not database.collection; " +
        "sinks.copy.options.namespaces[\"shop.$x\"]: in 'shop.$x', '$x' is not a collection name (it may not contain $ or NUL, or start with 'system.')",
      configPath: 'sinks.copy.options.namespaces["shop"]',
    });
    expect(rejection({ uri: "mongodb://b", namespaces: { "shop.orders": "archive.all", "crm.orders": "archive.all" } }).message).toBe(
      "Invalid options for sink 'copy': sinks.copy.options.namespaces[\"crm.orders\"]: 'shop.orders' is mapped to 'archive.all' already; each target collection takes one source collection",
    );
  });

  it("refuses a connection string the driver cannot read, without showing its password", () => {
    expect(() => createMongoSink({ uri: "postgres://app:secret@db/x" }, context)).toThrow(
      expect.objectContaining({
        code: ErrorCode.SinkInvalid,
        message: expect.stringMatching(/^Invalid options for sink 'copy': sinks\.copy\.options\.uri: postgres:\/\/app:\*\*\*@db\/x is not a usable MongoDB connection string \(.+\)$/),
        context: { sink: "copy", configPath: "sinks.copy.options.uri" },
      }),
    );
  });

  it("builds a sink without connecting to anything", async () => {
    const sink = await createMongoSink({ uri: "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100" }, context);
    expect({ name: sink.name, transactional: sink.transactional }).toEqual({ name: "copy", transactional: false });
    await sink.close();
  });
});

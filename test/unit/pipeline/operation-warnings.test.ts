import { describe, expect, it } from "vitest";
import { operationsWarnings } from "../../../src/pipeline/operation-warnings.js";
import { watch } from "../../../src/watch/watch.js";
import { capturingLogger } from "../../support/capturing-logger.js";

describe("operationsWarnings", () => {
  it("warns when update is listed without replace, the filter oplog tailers' users write", () => {
    expect(operationsWarnings(["insert", "update", "delete"])).toEqual([
      'operations lists "update" but not "replace": whole-document replacements (replaceOne, findOneAndReplace) are "replace" events and will be left out; list both to see every change to a document',
    ]);
  });

  it("warns the other way round, naming the setting it is given", () => {
    expect(operationsWarnings(["replace"], "watch() operations")).toEqual([
      'watch() operations lists "replace" but not "update": partial updates ($set, $inc, …) are "update" events and will be left out; list both to see every change to a document',
    ]);
  });

  it("says nothing when both or neither are listed, or when there is no filter", () => {
    expect(operationsWarnings(["update", "replace"])).toEqual([]);
    expect(operationsWarnings(["insert", "delete"])).toEqual([]);
    expect(operationsWarnings(undefined)).toEqual([]);
  });
});

describe("watch() with operations: [\"update\"]", () => {
  it("warns through its logger when it is created, before anything connects", () => {
    const { logger, lines } = capturingLogger();
    watch("mongodb://127.0.0.1:1/?replicaSet=rs0", { operations: ["insert", "update"], logger });
    expect(lines.filter((line) => line.level === 40)).toMatchObject([{ option: "operations", msg: expect.stringContaining('lists "update" but not "replace"') }]);
  });
});

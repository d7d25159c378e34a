import { runInNewContext } from "node:vm";
import { ObjectId } from "bson";
import { describe, expect, it } from "vitest";
import { isPlainObject } from "../../../src/core/plain-object.js";

describe("isPlainObject", () => {
  it("accepts literals, null-prototype objects and objects of another realm", () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject({ a: { b: 1 } })).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject(JSON.parse('{"a":1}'))).toBe(true);
    expect(isPlainObject(runInNewContext("({ a: 1 })"))).toBe(true);
  });

  it("refuses arrays, class instances and everything that is not an object", () => {
    class Point {
      x = 1;
    }
    for (const value of [[], [1], new Date(0), new ObjectId(), new Map(), new Point(), null, undefined, "x", 1, () => 1]) {
      expect(isPlainObject(value)).toBe(false);
    }
  });
});

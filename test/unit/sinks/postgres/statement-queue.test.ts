import { describe, expect, it } from "vitest";
import { inlineParameters, sqlLiteral } from "../../../../src/sinks/postgres/statement-queue.js";

describe("sqlLiteral", () => {
  it("writes each kind of parameter as the literal PostgreSQL reads back to the same value", () => {
    expect(sqlLiteral(null)).toBe("NULL");
    expect(sqlLiteral(undefined)).toBe("NULL");
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral(42)).toBe("'42'");
    expect(sqlLiteral(true)).toBe("'true'");
    expect(sqlLiteral(new Date("2024-02-29T12:34:56.789Z"))).toBe("'2024-02-29T12:34:56.789Z'");
    expect(sqlLiteral({ a: [1, "x"] })).toBe(`'{"a":[1,"x"]}'`);
  });

  it("doubles backslashes in the E'' form, so that the text is the same whatever standard_conforming_strings says", () => {
    expect(sqlLiteral('{"a":"x\\\\y\\"z"}')).toBe(` E'{"a":"x\\\\\\\\y\\\\"z"}'`);
  });

  it("writes arrays as array literals, every element quoted, NULL for null", () => {
    expect(sqlLiteral(["a", 'b"c', "d\\e", null, "it's", ""])).toBe(String.raw` E'{"a","b\\"c","d\\\\e",NULL,"it''s",""}'`);
    expect(sqlLiteral([1, 2])).toBe(`'{"1","2"}'`);
  });
});

describe("inlineParameters", () => {
  it("replaces each $n by its value's literal, $10 included", () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(inlineParameters("SELECT $1, $10, $2::text[]", values)).toBe("SELECT 'v1', 'v10', 'v2'::text[]");
  });

  it("leaves $n inside quoted identifiers and string literals alone", () => {
    expect(inlineParameters(`INSERT INTO "t$1""x$2" (a) SELECT 'a $1 ''$2' || $1`, ["v"])).toBe(`INSERT INTO "t$1""x$2" (a) SELECT 'a $1 ''$2' || 'v'`);
  });

  it("refuses a placeholder without a value", () => {
    expect(() => inlineParameters("SELECT $2", ["only one"])).toThrow("$2");
  });

  it("leaves a statement without parameters as it is", () => {
    expect(inlineParameters("COMMIT", [])).toBe("COMMIT");
  });
});

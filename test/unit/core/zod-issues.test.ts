import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeIssue, type IssueFormat } from "../../../src/core/zod-issues.js";

const schema = z.object({ name: z.string(), nested: z.object({ size: z.number() }).strict() }).strict();

function describeAll(input: unknown, format: IssueFormat): string[] {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) throw new Error("expected issues");
  return result.error.issues.map((issue) => describeIssue(issue, format));
}

describe("describeIssue", () => {
  it("names the path and zod's message, the root by its label", () => {
    expect(describeAll({ name: 1, nested: { size: 1 } }, { unknown: "option" })).toEqual(["name: Invalid input: expected string, received number"]);
    expect(describeAll("x", { unknown: "option", root: "(options)" })).toEqual(["(options): Invalid input: expected object, received string"]);
  });

  it("lists unknown keys by their full paths, one list or one per key", () => {
    const input = { name: "a", nested: { size: 1, a: 1, b: 2 }, extra: true };
    expect(describeAll(input, { unknown: "setting" })).toEqual(["unknown settings nested.a, nested.b", "unknown setting extra"]);
    expect(describeAll(input, { unknown: "option", unknownList: "each", prefix: "sinks.s.options" })).toEqual([
      "unknown option sinks.s.options.nested.a, unknown option sinks.s.options.nested.b",
      "unknown option sinks.s.options.extra",
    ]);
    expect(describeAll(input, { unknown: "key", unknownList: "quoted", separator: " ", root: "(top level)" })).toEqual(['nested unknown keys "a", "b"', '(top level) unknown key "extra"']);
  });

  it("says a missing value is required only when asked, and rewords what it is told to", () => {
    const input = { nested: "flat" };
    expect(describeAll(input, { unknown: "option" })).toEqual(["name: Invalid input: expected string, received undefined", "nested: Invalid input: expected object, received string"]);
    const reword = (issue: z.core.$ZodIssue): string | undefined => (issue.code === "invalid_type" && issue.expected === "object" ? "must be a mapping" : undefined);
    expect(describeAll(input, { unknown: "option", required: true, reword, at: (path) => `<${path.map(String).join("/")}>` })).toEqual(["<name> is required", "<nested>: must be a mapping"]);
  });
});

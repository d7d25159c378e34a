import { describe, expect, it } from "vitest";
import { copyJsonText, copyText } from "../../../../src/sinks/postgres/copy-text.js";
import { seededRandom } from "../../../support/realistic-documents.js";

/** A string of `length` characters drawn from those COPY escapes, JSON escapes, and a few others (surrogates included). */
function awkwardString(random: () => number, length: number): string {
  const alphabet = ["\\", "\t", "\n", "\r", '"', "\u0000", "\u0001", "\u001f", "\u007f", "\u2028", "\ud83d\ude00", "\ud800", "a", "é", " ", "N", ".", "/"];
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
}

describe("copyJsonText", () => {
  it.each([
    ["no escapes", { a: "plain", n: 1 }],
    ["a backslash", { path: "C:\\temp" }],
    ["tab, newline and carriage return in a string", { text: "a\tb\nc\rd" }],
    ["a quote", { say: 'he said "hi"' }],
    ["control characters", { c: "\u0000\u0001\u001f" }],
    ["a key with escapes", { "k\\\t\n": ["\\N", "\\."] }],
    ["the end-of-data and NULL markers as text", ["\\.", "\\N"]],
  ])("is copyText of JSON.stringify's text: %s", (_label, value) => {
    const json = JSON.stringify(value);
    expect(copyJsonText(json)).toBe(copyText(json));
  });

  it("is copyText of JSON.stringify's text for 20k random values", () => {
    const random = seededRandom(14);
    for (let i = 0; i < 20_000; i += 1) {
      const value = { [awkwardString(random, 3)]: awkwardString(random, Math.floor(random() * 40)), list: [awkwardString(random, 5), i] };
      const json = JSON.stringify(value);
      expect(copyJsonText(json)).toBe(copyText(json));
    }
  });
});

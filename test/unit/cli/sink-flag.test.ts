import { describe, expect, it } from "vitest";
import { parseSinkFlag } from "../../../src/cli/sink-flag.js";
import { ErrorCode } from "../../../src/core/error-codes.js";

describe("--sink <use>[:key=value,…]", () => {
  it("names a sink after what it uses, with no options when none are written", () => {
    expect(parseSinkFlag("jsonl")).toEqual({ name: "jsonl", use: "jsonl" });
    expect(parseSinkFlag("./sinks/audit-sink.js")).toEqual({ name: "audit-sink", use: "./sinks/audit-sink.js" });
    expect(parseSinkFlag("tributary-sink-kafka")).toEqual({ name: "kafka", use: "tributary-sink-kafka" });
    expect(parseSinkFlag("@acme/tributary-sink-s3")).toEqual({ name: "s3", use: "@acme/tributary-sink-s3" });
    expect(parseSinkFlag("/opt/sinks/search/")).toEqual({ name: "search", use: "/opt/sinks/search/" });
    expect(parseSinkFlag("C:\\sinks\\audit.js")).toEqual({ name: "audit", use: "C:\\sinks\\audit.js" });
    expect(parseSinkFlag("./odd:name/sink.js")).toEqual({ name: "sink", use: "./odd:name/sink.js" });
  });

  it("types bare values: numbers a double holds exactly, true and false, text otherwise", () => {
    expect(parseSinkFlag("webhook:url=https://hooks.example.com/t?a=1&b=2,timeoutMs=5000,ratio=0.5,exp=1e3,on=true,off=false,empty=").options).toEqual({
      url: "https://hooks.example.com/t?a=1&b=2",
      timeoutMs: 5000,
      ratio: 0.5,
      exp: 1000,
      on: true,
      off: false,
      empty: "",
    });
    expect(parseSinkFlag("x:a=007,b=0x1f,c=1_000,d=9007199254740993,e=-12,f=True,g=1.").options).toEqual({
      a: "007",
      b: "0x1f",
      c: "1_000",
      d: "9007199254740993",
      e: -12,
      f: "True",
      g: "1.",
    });
  });

  it("keeps the value of a secret option as text, digits or not", () => {
    expect(parseSinkFlag("webhook:url=u,secret=123456,token=true,timeoutMs=10").options).toEqual({ url: "u", secret: "123456", token: "true", timeoutMs: 10 });
  });

  it("keeps a quoted value as text, commas, quotes and backslashes included", () => {
    expect(parseSinkFlag(`jsonl:path="2024",format='canonical'`).options).toEqual({ path: "2024", format: "canonical" });
    expect(parseSinkFlag(`webhook:secret="a,b=c",note='it\\'s',back="x\\\\y",url=u`).options).toEqual({ secret: "a,b=c", note: "it's", back: "x\\y", url: "u" });
  });

  it("keeps option names such as __proto__ as plain keys", () => {
    const options = parseSinkFlag("x:__proto__=1").options ?? {};
    expect(Object.keys(options)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(options)).toBe(Object.prototype);
  });

  it.each([
    ["webhook:url=u,secret", "--sink webhook: option 2 is not key=value"],
    ["webhook:url=u,,secret=s", "--sink webhook: option 2 is not key=value"],
    ["webhook:url=u,url=v", '--sink webhook: option "url" is given twice'],
    ['webhook:secret="s3cr3t', '--sink webhook: option "secret": its quote is not closed'],
    ['webhook:secret="s3cr3t"x', '--sink webhook: option "secret": text follows its closing quote (put a comma between options)'],
    ["webhook:url=u,=v", "--sink webhook: option 2 does not start with an option name (letters, digits, _ $ . -)"],
    // An unquoted secret with a comma: what follows the comma is its tail, and must not be printed as a "name".
    ["webhook:url=u,secret=ab,s3cr3t!=x", "--sink webhook: option 3 does not start with an option name (letters, digits, _ $ . -)"],
  ])("refuses %s with a usage error that names the sink and the key, not the value", (flag, message) => {
    let caught: unknown;
    try {
      parseSinkFlag(flag);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: ErrorCode.ConfigInvalid });
    expect((caught as Error).message.startsWith(message)).toBe(true);
    expect((caught as Error).message).not.toContain("s3cr3t");
  });
});

import { BSON, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { isStartPointFile, parseStartPoint } from "../../../src/core/start-point.js";
import type { TributaryError } from "../../../src/core/tributary-error.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

const parse = (text: string) => parseStartPoint(text, "--start-at");

function refusal(text: string): TributaryError {
  try {
    parse(text);
  } catch (error) {
    return error as TributaryError;
  }
  throw new Error(`${text} was accepted`);
}

describe("start points written as text", () => {
  it("reads ISO times with their zone as dates", () => {
    expect(parse("2024-05-01T12:00:00Z")).toEqual(new Date("2024-05-01T12:00:00Z"));
    expect(parse("2024-05-01T14:00:00.250+02:00")).toEqual(new Date("2024-05-01T12:00:00.250Z"));
    expect(parse("2024-05-01")).toEqual(new Date("2024-05-01T00:00:00Z"));
  });

  it("refuses a time of day without a zone rather than reading it as local time", () => {
    expect(refusal("2024-05-01T12:00:00").message).toMatch(/needs its zone/);
    expect(refusal("2024-99-01").code).toBe("TRIB_CONFIG_INVALID");
  });

  it("reads Timestamps as seconds:increment, as the shell prints them, and as Extended JSON", () => {
    expect(parse("1700000000:5")).toEqual(new Timestamp({ t: 1_700_000_000, i: 5 }));
    expect(parse("Timestamp(1700000000, 5)")).toEqual(new Timestamp({ t: 1_700_000_000, i: 5 }));
    const ejson = BSON.EJSON.stringify({ ts: new Timestamp({ t: 1_700_000_000, i: 5 }) });
    expect(parse(ejson.slice(ejson.indexOf(":") + 1, -1))).toEqual(new Timestamp({ t: 1_700_000_000, i: 5 }));
    expect(parse('{"$timestamp":{"t":1700000000,"i":5}}')).toEqual(new Timestamp({ t: 1_700_000_000, i: 5 }));
  });

  it("refuses parts beyond 32 bits and bare numbers", () => {
    expect(refusal("4294967296:1").message).toMatch(/beyond 32 bits/);
    expect(refusal("1700000000").message).toMatch(/1700000000:1/);
    expect(refusal("7300566138863730689").message).toMatch(/bare number/);
  });

  it("reads a resume token as the server encodes it: the _data hex, or the whole token with its _typeBits", () => {
    const token = doubleIdToken();
    expect(parse(token._data)).toEqual({ _data: token._data });
    expect(parse(JSON.stringify({ _data: token._data }))).toEqual({ _data: token._data });
    const whole = parse(BSON.EJSON.stringify(token, { relaxed: false })) as typeof token;
    expect(whole._data).toBe(token._data);
    expect(Buffer.from(whole._typeBits.buffer)).toEqual(Buffer.from([0x40]));
  });

  it("refuses hex that is not a token of MongoDB 4.2 or later, and objects that are neither form", () => {
    expect(refusal("5F103409000000042B022C").message).toMatch(/start with 82/);
    expect(refusal('{"_data": 5}').message).toMatch(/neither a Timestamp nor a resume token/);
    expect(refusal("{not json").message).toMatch(/neither/);
  });

  it("takes now and oldest as they are, and anything else as a file to read", () => {
    expect(parse("now")).toBe("now");
    expect(parse("oldest")).toBe("oldest");
    const file = parse("./mongo-connector/oplog.timestamp");
    expect(isStartPointFile(file) && file.file).toBe("./mongo-connector/oplog.timestamp");
    expect(isStartPointFile(parse("1700000000:5"))).toBe(false);
  });

  it("names the flag and the accepted forms in every refusal", () => {
    const error = refusal("");
    expect(error.message).toMatch(/^--start-at: "" is empty; give an ISO time/);
    expect(error.context.configPath).toBe("--start-at");
  });
});

import { describe, expect, it } from "vitest";
import { makePosition } from "../../../src/core/position.js";
import { eventToJson } from "../../../src/sinks/event-json.js";
import { makeEvent } from "../../support/events.js";
import { doubleIdToken } from "../../support/resume-tokens.js";

describe("eventToJson", () => {
  it("writes the whole resume token when the server added type bits, so a reader can resume there", () => {
    const event = { ...makeEvent({ op: "update", ns: "shop.orders", id: 2, doc: { _id: 2 } }), position: makePosition(doubleIdToken()) };
    const json = eventToJson(event, "canonical");
    expect(json.resumeToken).toBe(doubleIdToken()._data);
    expect(json.resumeTokenDocument).toEqual({ _data: doubleIdToken()._data, _typeBits: { $binary: { base64: "QA==", subType: "00" } } });
  });

  it("leaves the whole token out when it is only _data", () => {
    const json = eventToJson(makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }));
    expect(json.resumeTokenDocument).toBeUndefined();
    expect(typeof json.resumeToken).toBe("string");
  });
});

import { describe, expect, it } from "vitest";
import { atLeast, featureVersion, refuseUnsupportedStreamOptions } from "../../../src/source/server-features.js";
import { ErrorCode } from "../../../src/core/error-codes.js";

describe("featureVersion", () => {
  it("is the featureCompatibilityVersion when it is lower than the release (an upgrade not yet finished)", () => {
    expect(featureVersion("7.0.2", "6.0")).toBe("6.0.0");
    expect(featureVersion("8.0.4", "7.0")).toBe("7.0.0");
  });

  it("is the release when the FCV matches it (patch level kept) or cannot be read", () => {
    expect(featureVersion("6.0.12", "6.0")).toBe("6.0.12");
    expect(featureVersion("8.0.0-rc1", undefined)).toBe("8.0.0-rc1");
  });

  it("compares major and minor as numbers", () => {
    expect(atLeast("10.0.0", 6, 0)).toBe(true);
    expect(atLeast("5.0.14", 6, 0)).toBe(false);
    expect(atLeast("6.0.0", 6, 0)).toBe(true);
  });
});

describe("refuseUnsupportedStreamOptions", () => {
  const at = (version: string, fcv?: string) => ({ where: "db.example:27017", version, ...(fcv ? { featureCompatibilityVersion: fcv } : {}), featureVersion: featureVersion(version, fcv) });

  it("refuses images on a 6.0 binary whose FCV is still 5.0, naming the option, the FCV and the way out", () => {
    let caught: unknown;
    try {
      refuseUnsupportedStreamOptions(at("6.0.5", "5.0"), { fullDocument: "required", fullDocumentBeforeChange: "off" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: ErrorCode.ConfigInvalid, context: { configPath: "source.fullDocument" } });
    expect((caught as Error).message).toBe(
      "MongoDB at db.example:27017 (version 6.0.5, featureCompatibilityVersion 5.0) cannot take source.fullDocument: required (post-images; use updateLookup): change stream images need MongoDB 6.0 or later with featureCompatibilityVersion 6.0 or later",
    );
  });

  it("refuses pre-images on a 5.0 server", () => {
    expect(() => refuseUnsupportedStreamOptions(at("5.0.14"), { fullDocument: "updateLookup", fullDocumentBeforeChange: "whenAvailable" })).toThrow(
      /version 5\.0\.14\) cannot take source\.fullDocumentBeforeChange: whenAvailable/,
    );
  });

  it("takes what the deployment can do", () => {
    expect(() => refuseUnsupportedStreamOptions(at("5.0.14", "5.0"), { fullDocument: "updateLookup", fullDocumentBeforeChange: "off" })).not.toThrow();
    // watch()'s deltas only: no images asked for, so any version takes it.
    expect(() => refuseUnsupportedStreamOptions(at("4.4.29", "4.4"), { fullDocument: "off", fullDocumentBeforeChange: "off" })).not.toThrow();
    expect(() => refuseUnsupportedStreamOptions(at("7.0.2", "6.0"), { fullDocument: "required", fullDocumentBeforeChange: "required" })).not.toThrow();
  });
});

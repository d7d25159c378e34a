import { describe, expect, it } from "vitest";
import { scopeForIncludes } from "../../../src/source/watch-scope.js";

describe("scopeForIncludes", () => {
  it("watches one collection when one literal collection is included", () => {
    expect(scopeForIncludes(["shop.orders"])).toEqual({ kind: "collection", db: "shop", coll: "orders" });
  });
  it("watches a database when every literal pattern is in it", () => {
    expect(scopeForIncludes(["shop.orders", "shop.users"])).toEqual({ kind: "database", db: "shop" });
    expect(scopeForIncludes(["shop"])).toEqual({ kind: "database", db: "shop" });
  });
  it("watches the deployment for globs, several databases, or nothing given", () => {
    expect(scopeForIncludes([])).toEqual({ kind: "deployment" });
    expect(scopeForIncludes(["shop.*"])).toEqual({ kind: "deployment" });
    expect(scopeForIncludes(["shop.orders", "crm.users"])).toEqual({ kind: "deployment" });
  });
});

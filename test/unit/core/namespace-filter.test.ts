import { describe, expect, it } from "vitest";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";

describe("NamespaceFilter", () => {
  it("includes every user collection by default, never system ones", () => {
    const filter = new NamespaceFilter([], []);
    expect(filter.includesCollection("shop", "orders")).toBe(true);
    expect(filter.includesCollection("admin", "users")).toBe(false);
    expect(filter.includesCollection("local", "oplog.rs")).toBe(false);
    expect(filter.includesCollection("config", "system.sessions")).toBe(false);
    expect(filter.includesCollection("shop", "system.views")).toBe(false);
  });

  it("matches globs over db and collection, collection names with dots included", () => {
    const filter = new NamespaceFilter(["shop.ord*", "*.users", "logs"], ["shop.orders_tmp"]);
    expect(filter.includesCollection("shop", "orders")).toBe(true);
    expect(filter.includesCollection("shop", "orders.2024")).toBe(true);
    expect(filter.includesCollection("shop", "orders_tmp")).toBe(false);
    expect(filter.includesCollection("crm", "users")).toBe(true);
    expect(filter.includesCollection("crm", "accounts")).toBe(false);
    expect(filter.includesCollection("logs", "anything")).toBe(true);
  });

  it("takes database-level events for databases an include can match", () => {
    const filter = new NamespaceFilter(["shop.*"], []);
    expect(filter.includes({ db: "shop" })).toBe(true);
    expect(filter.includes({ db: "crm" })).toBe(false);
    expect(new NamespaceFilter([], []).includes({ db: "admin" })).toBe(false);
  });

  it("never includes a namespace outside an explicit set (the mapped collections)", () => {
    const filter = new NamespaceFilter(["shop.*"], [], new Set(["shop.orders", "crm.users"]));
    expect(filter.includesCollection("shop", "orders")).toBe(true);
    expect(filter.includesCollection("shop", "carts")).toBe(false);
    expect(filter.includesCollection("crm", "users")).toBe(false);
    expect(filter.includes({ db: "shop" })).toBe(true);
    expect(new NamespaceFilter(["*"], [], new Set(["shop.orders"])).includes({ db: "crm" })).toBe(false);
  });
});

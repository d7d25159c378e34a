import { describe, expect, it } from "vitest";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import { EventSelector } from "../../../src/pipeline/event-selector.js";
import { makeEvent } from "../../support/events.js";

describe("EventSelector", () => {
  it("applies operations, namespace globs and predicates in turn", () => {
    const selector = new EventSelector({
      operations: ["insert", "delete"],
      namespaces: new NamespaceFilter(["app.*"], ["app.tmp_*"]),
      predicates: [(event) => event.key?._id !== 13],
    });
    const accepted = (op: "insert" | "update" | "delete", ns: string, id: unknown): boolean => selector.select(makeEvent({ op, ns, id })) !== undefined;
    expect(accepted("insert", "app.users", 1)).toBe(true);
    expect(accepted("delete", "app.users", 1)).toBe(true);
    expect(accepted("update", "app.users", 1)).toBe(false);
    expect(accepted("insert", "other.users", 1)).toBe(false);
    expect(accepted("insert", "app.tmp_x", 1)).toBe(false);
    expect(accepted("insert", "app.users", 13)).toBe(false);
    expect(accepted("insert", "app.system.views", 1)).toBe(false);
  });

  it("delivers invalidate only when operations list it, whatever its namespace", () => {
    const invalidate = makeEvent({ op: "invalidate", ns: "" });
    const every = new NamespaceFilter([], []);
    expect(new EventSelector({ namespaces: every }).select(invalidate)).toBeUndefined();
    expect(new EventSelector({ operations: ["insert"], namespaces: every }).select(invalidate)).toBeUndefined();
    expect(new EventSelector({ operations: ["invalidate"], namespaces: new NamespaceFilter(["app.users"], []) }).select(invalidate)).toBe(invalidate);
  });

  it("passes the event itself, and judges a rename by its source without renameOutAsDrop", () => {
    const selector = new EventSelector({ namespaces: new NamespaceFilter(["shop.*"], ["shop.tmp*"]) });
    const insert = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    expect(selector.select(insert)).toBe(insert);
    const renameOut = makeEvent({ op: "rename", ns: "shop.orders", to: "shop.tmp_orders" });
    expect(selector.select(renameOut)).toBe(renameOut);
    expect(selector.select(makeEvent({ op: "rename", ns: "crm.x", to: "shop.y" }))).toBeUndefined();
  });
});

describe("EventSelector for sync (renameOutAsDrop)", () => {
  const selector = new EventSelector({ namespaces: new NamespaceFilter(["shop.*"], ["shop.tmp*"]), renameOutAsDrop: true });

  it("passes events of synced namespaces and drops the others", () => {
    expect(selector.select(makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }))?.op).toBe("insert");
    expect(selector.select(makeEvent({ op: "insert", ns: "crm.users", id: 1, doc: { _id: 1 } }))).toBeUndefined();
    expect(selector.select(makeEvent({ op: "invalidate", ns: "shop.orders" }))).toBeUndefined();
  });

  it("turns a rename out of the synced set into a drop, and ignores renames into it", () => {
    expect(selector.select(makeEvent({ op: "rename", ns: "shop.orders", to: "shop.archive" }))?.op).toBe("rename");
    const out = selector.select(makeEvent({ op: "rename", ns: "shop.orders", to: "shop.tmp_orders" }));
    expect(out?.op).toBe("drop");
    expect(out?.to).toBeUndefined();
    expect(selector.select(makeEvent({ op: "rename", ns: "crm.x", to: "crm.y" }))).toBeUndefined();
  });
});

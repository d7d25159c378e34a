import { describe, expect, it } from "vitest";
import { routeEvent } from "../../../src/pipeline/event-router.js";
import { NamespaceFilter } from "../../../src/core/namespace-filter.js";
import { makeEvent } from "../../support/events.js";

describe("routeEvent", () => {
  const filter = new NamespaceFilter(["shop.*"], ["shop.tmp*"]);

  it("passes events of synced namespaces and drops the others", () => {
    expect(routeEvent(filter, makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }))?.op).toBe("insert");
    expect(routeEvent(filter, makeEvent({ op: "insert", ns: "crm.users", id: 1, doc: { _id: 1 } }))).toBeUndefined();
    expect(routeEvent(filter, makeEvent({ op: "invalidate", ns: "shop.orders" }))).toBeUndefined();
  });

  it("turns a rename out of the synced set into a drop, and ignores renames into it", () => {
    expect(routeEvent(filter, makeEvent({ op: "rename", ns: "shop.orders", to: "shop.archive" }))?.op).toBe("rename");
    const out = routeEvent(filter, makeEvent({ op: "rename", ns: "shop.orders", to: "shop.tmp_orders" }));
    expect(out?.op).toBe("drop");
    expect(out?.to).toBeUndefined();
    expect(routeEvent(filter, makeEvent({ op: "rename", ns: "crm.x", to: "crm.y" }))).toBeUndefined();
  });
});

// config check --connect's privilege lines, from connectionStatus replies ({ connectionStatus: 1,
// showPrivileges: true }) shaped as the server answers them: authInfo.authenticatedUsers,
// authenticatedUserRoles and authenticatedUserPrivileges grouped by resource. The built-in roles'
// resources are the server's (db/auth/builtin_roles): `read` on a database grants its actions on
// { db, collection: "" } and on { db, collection: "system.js" }; `readAnyDatabase` on
// { db: "", collection: "" } (any normal resource) and listDatabases on { cluster: true }; the
// __system role `anyResource`.
import { describe, expect, it } from "vitest";
import { checkPrivileges, type CheckLine } from "../../../src/cli/connection-checks.js";
import { validateConfig } from "../../../src/config/load-config.js";

const READ_ACTIONS = ["changeStream", "collStats", "dbHash", "dbStats", "find", "killCursors", "listCollections", "listIndexes", "listSearchIndexes", "planCacheRead"];

function reply(roles: { role: string; db: string }[], privileges: { resource: Record<string, unknown>; actions: string[] }[]) {
  return { authInfo: { authenticatedUsers: [{ user: "app", db: "admin" }], authenticatedUserRoles: roles, authenticatedUserPrivileges: privileges }, ok: 1 };
}

const READ_SHOP = reply(
  [{ role: "read", db: "shop" }],
  [
    { resource: { db: "shop", collection: "" }, actions: READ_ACTIONS },
    { resource: { db: "shop", collection: "system.js" }, actions: READ_ACTIONS },
  ],
);
const READ_ANY = reply(
  [{ role: "readAnyDatabase", db: "admin" }],
  [
    { resource: { cluster: true }, actions: ["listDatabases"] },
    { resource: { db: "", collection: "" }, actions: READ_ACTIONS },
    { resource: { db: "", collection: "system.js" }, actions: READ_ACTIONS },
  ],
);
// A custom role granting find only (no changeStream) on one collection.
const FIND_ORDERS = reply([{ role: "ordersReader", db: "admin" }], [{ resource: { db: "shop", collection: "orders" }, actions: ["find"] }]);
const SYSTEM = reply([{ role: "__system", db: "admin" }], [{ resource: { anyResource: true }, actions: ["anyAction"] }]);

function check(status: object, include: string[], target: Record<string, unknown> = { url: "postgres://pg/db" }) {
  const lines: string[] = [];
  const line: CheckLine = (status, text) => void lines.push(`${status} ${text}`);
  const failure = checkPrivileges(status, validateConfig({ source: { uri: "mongodb://db/", include }, target }), line);
  return { lines, failure: failure?.message };
}

describe("checkPrivileges (config check --connect)", () => {
  it("passes read on the one database a literal include watches: the database and the stream's scope", () => {
    expect(check(READ_SHOP, ["shop.orders", "shop.customers"])).toEqual({
      lines: ["ok MongoDB: changeStream and find on collection shop.orders", "ok MongoDB: changeStream and find on collection shop.customers", "ok MongoDB: changeStream and find on database shop"],
      failure: undefined,
    });
  });

  it("checks each included database: read on shop does not reach crm, and two databases make a deployment-wide stream", () => {
    const { lines, failure } = check(READ_SHOP, ["shop.orders", "crm.contacts"]);
    expect(lines).toEqual([
      "ok MongoDB: changeStream and find on collection shop.orders",
      "fail MongoDB: the user lacks changeStream and find on collection crm.contacts (grant read on database crm)",
      "fail MongoDB: the user lacks changeStream and find on every database (the change stream watches the whole deployment: include is empty, spans several databases or has a glob) (grant readAnyDatabase, or include literal db.collection names of one database)",
    ]);
    expect(failure).toBe("MongoDB user lacks changeStream and find on collection crm.contacts");
  });

  it("says that a glob makes the stream watch the whole deployment, which read on the database does not allow", () => {
    const { lines } = check(READ_SHOP, ["shop.*"]);
    expect(lines).toEqual([
      "ok MongoDB: changeStream and find on database shop",
      expect.stringMatching(/^fail MongoDB: the user lacks changeStream and find on every database \(the change stream watches the whole deployment/),
    ]);
  });

  it("passes readAnyDatabase and __system for anything, and names the missing action of a narrower custom role", () => {
    expect(check(READ_ANY, ["shop.*", "crm.*"]).failure).toBeUndefined();
    expect(check(READ_ANY, []).lines).toEqual([expect.stringMatching(/^ok MongoDB: changeStream and find on every database/)]);
    expect(check(SYSTEM, ["*.orders"]).failure).toBeUndefined();
    expect(check(FIND_ORDERS, ["shop.orders"]).lines).toEqual([
      "fail MongoDB: the user lacks changeStream on collection shop.orders (grant read on database shop)",
    ]);
  });

  it("warns rather than fails on every database when no include is given and a mapping file may narrow it; warns when unauthenticated", () => {
    const { lines, failure } = check(READ_SHOP, [], { url: "postgres://pg/db", mapping: "mappings.json" });
    expect(failure).toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/^warn MongoDB: the user lacks changeStream and find on every database .*; the sync watches only the collections the mapping file lists: set include to check those$/)]);
    expect(check({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }, ["shop.orders"]).lines).toEqual(["warn MongoDB: connected without authentication; no privileges to check"]);
  });
});

import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { globRegex, namespaceMatch } from "../../../src/source/namespace-match.js";
import { streamMatchStages } from "../../../src/source/stream-match.js";

// Names as MongoDB allows them in collections (dots, dashes, slashes, `$`-free punctuation) and
// a few that only a careless translation would confuse. (No name is empty: MongoDB refuses one.)
const NAMES = ["orders", "orders.archive", "tmp", "tmp_1", "tmp/x", ".hidden", "a.b", "a/b", "ab", "a+b", "a(b)", "a^b", "x-y", "logs", "system.views", "o"];
const PATTERNS = ["*", "tmp*", "*s", "a?b", "a*b", "orders.*", "*.archive", "t?p*", "a+b", "a(b)", "x-y", "a^b", "?"];

describe("globRegex", () => {
  it("means what picomatch means with dot: true, for every simple glob and name", () => {
    for (const pattern of PATTERNS.filter((each) => !/[()+]/.test(each))) {
      const glob = picomatch(pattern, { dot: true });
      const regex = new RegExp(globRegex(pattern));
      for (const name of NAMES) expect([pattern, name, regex.test(name)]).toEqual([pattern, name, glob(name)]);
    }
  });

  it("escapes regular expression characters", () => {
    expect(globRegex("a.b*")).toBe("^a\\.b[^/]*$");
    expect(new RegExp(globRegex("a^b?")).test("a^bc")).toBe(true);
  });
});

describe("namespaceMatch", () => {
  it("selects nothing on the server when every namespace is selected", () => {
    expect(namespaceMatch({ include: [], exclude: [] })).toBeUndefined();
    expect(namespaceMatch({ include: ["*"], exclude: [] })).toBeUndefined();
  });

  it("matches a literal namespace, letting database events of its database and renames into it through", () => {
    expect(namespaceMatch({ include: ["shop.orders"], exclude: [] })).toEqual({
      $or: [
        { "ns.db": "shop", $or: [{ "ns.coll": "orders" }, { "ns.coll": { $exists: false } }] },
        { $and: [{ operationType: "rename" }, { "to.db": "shop", $or: [{ "to.coll": "orders" }, { "to.coll": { $exists: false } }] }] },
      ],
    });
  });

  it("turns simple globs into anchored regular expressions and a whole database into its name", () => {
    const match = namespaceMatch({ include: ["shop.tmp_*", "logs"], exclude: [] });
    expect(match?.$or[0]).toEqual({
      $or: [{ "ns.db": "shop", $or: [{ "ns.coll": { $regex: "^tmp_[^/]*$" } }, { "ns.coll": { $exists: false } }] }, { "ns.db": "logs" }],
    });
  });

  it("excludes collection events only, and only what a pattern says exactly", () => {
    const match = namespaceMatch({ include: [], exclude: ["shop.tmp_*", "scratch", "shop.{a,b}"] });
    expect(match?.$or[0]).toEqual({ $nor: [{ "ns.coll": { $regex: "^tmp_[^/]*$" }, "ns.db": "shop" }, { "ns.coll": { $exists: true }, "ns.db": "scratch" }] });
  });

  it("leaves complex globs to the in-process filter: included wholesale, excluded never", () => {
    expect(namespaceMatch({ include: ["shop.{orders,users}"], exclude: [] })?.$or[0]).toEqual({ "ns.db": "shop" });
    expect(namespaceMatch({ include: ["shop.orders", "@(a|b).*"], exclude: [] })).toBeUndefined();
    expect(namespaceMatch({ include: [], exclude: ["shop.[ab]*", "**"] })).toBeUndefined();
    expect(namespaceMatch({ include: ["shop.a\\b"], exclude: [] })?.$or[0]).toEqual({ "ns.db": "shop" });
  });

  it("restricts to the mapped collections, with database events of their databases", () => {
    expect(namespaceMatch({ include: [], exclude: [], only: new Set(["shop.orders", "crm.people"]) })?.$or[0]).toEqual({
      $or: [{ "ns.db": "shop", "ns.coll": "orders" }, { "ns.db": "crm", "ns.coll": "people" }, { "ns.db": { $in: ["shop", "crm"] }, "ns.coll": { $exists: false } }],
    });
  });
});

describe("streamMatchStages with namespaces", () => {
  it("ands the namespaces with the operations and the query, and always lets invalidate through", () => {
    const namespaces = namespaceMatch({ include: ["app.users"], exclude: [] });
    expect(streamMatchStages({ operations: ["insert"], match: { "fullDocument.active": true }, namespaces: { include: ["app.users"], exclude: [] } })).toEqual([
      { $match: { $or: [{ operationType: "invalidate" }, { $and: [{ operationType: { $in: ["insert"] } }, { $and: [namespaces, { "fullDocument.active": true }] }] }] } },
    ]);
    expect(streamMatchStages({ namespaces: { include: ["app.users"], exclude: [] } })).toEqual([{ $match: { $or: [{ operationType: "invalidate" }, namespaces] } }]);
    expect(streamMatchStages({ namespaces: { include: [], exclude: [] } })).toEqual([]);
  });
});

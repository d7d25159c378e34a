import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { collectionNamespaceProblem, databaseNameProblem } from "../../../src/source/mongo-names.js";
import { parseCollectionNamespace } from "../../../src/source/change-stream-images.js";

describe("MongoDB names", () => {
  it("accepts database and collection names MongoDB accepts, dots in collection names included", () => {
    for (const name of ["shop", "Shop_2024", "a-b", "x".repeat(63)]) expect(databaseNameProblem(name)).toBeUndefined();
    for (const namespace of ["shop.orders", "shop.orders.2024", "shop.système", "a.system"]) expect(collectionNamespaceProblem(namespace)).toBeUndefined();
  });

  it("says what is wrong with the others", () => {
    const databaseRule = `(it may not be empty, contain /\\. "$*<>:|?, a space or NUL, or be over 63 bytes)`;
    expect(databaseNameProblem("")).toBe(`'' is not a database name ${databaseRule}`);
    expect(databaseNameProblem("my shop")).toBe(`'my shop' is not a database name ${databaseRule}`);
    expect(databaseNameProblem("a$b")).toBe(`'a$b' is not a database name ${databaseRule}`);
    expect(databaseNameProblem("x".repeat(64))).toBe(`'${"x".repeat(64)}' is not a database name ${databaseRule}`);
    expect(collectionNamespaceProblem("shop")).toBe("'shop' is not database.collection");
    expect(collectionNamespaceProblem("shop.")).toBe("'shop.' is not database.collection");
    expect(collectionNamespaceProblem(".orders")).toBe("'.orders' is not database.collection");
    expect(collectionNamespaceProblem("my shop.orders")).toBe(`in 'my shop.orders', 'my shop' is not a database name ${databaseRule}`);
    expect(collectionNamespaceProblem("shop.a$b")).toBe("in 'shop.a$b', 'a$b' is not a collection name (it may not contain $ or NUL, or start with 'system.')");
    expect(collectionNamespaceProblem("shop.system.views")).toBe(
      "in 'shop.system.views', 'system.views' is not a collection name (it may not contain $ or NUL, or start with 'system.')",
    );
  });
});

describe("parseCollectionNamespace (images)", () => {
  it("splits db.coll at the first dot", () => {
    expect(parseCollectionNamespace("shop.orders.2024")).toEqual({ db: "shop", coll: "orders.2024" });
  });

  it("throws a usage error that names the namespace", () => {
    expect(() => parseCollectionNamespace("shop")).toThrow(
      expect.objectContaining({
        code: ErrorCode.ConfigInvalid,
        message: "Invalid collection namespace: 'shop' is not database.collection; name a collection as database.collection, e.g. shop.orders",
        context: { namespace: "shop" },
      }),
    );
  });
});

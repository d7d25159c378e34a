import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID } from "mongodb";
import { describe, expect, it } from "vitest";
import { parseMapping } from "../../../../../src/sinks/postgres/mapping/load-mapping.js";
import { inferMapping } from "../../../../../src/sinks/postgres/mapping/infer/infer-mapping.js";
import { looksLikeMap, scalarColumnType } from "../../../../../src/sinks/postgres/mapping/infer/column-choice.js";
import { NameAllocator, snakeCase } from "../../../../../src/sinks/postgres/mapping/infer/identifier-names.js";
import { profileDocuments } from "../../../../../src/sinks/postgres/mapping/infer/field-profile.js";

const oid = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, "0"));

describe("inferMapping", () => {
  it("flattens sub-documents, sends arrays of documents to child tables and keeps arrays of scalars as arrays", () => {
    const orders = [
      {
        _id: oid(1),
        customerName: "Ada",
        placedAt: new Date("2024-05-01T12:00:00Z"),
        total: new Double(12.5),
        paid: true,
        address: { city: "Paris", zip: "75001", geo: { lat: new Double(48.8), lng: new Double(2.3) } },
        tags: ["new", "gift"],
        items: [
          { sku: "A-1", qty: new Int32(2), options: { color: "red" } },
          { sku: "B-2", qty: new Int32(1), sizes: [new Int32(1), new Int32(2)], notes: [{ text: "x" }] },
        ],
      },
      { _id: oid(2), customerName: "Bob", total: new Int32(7), address: null, tags: [], items: [] },
    ];
    const file = inferMapping(new Map([["shop.orders", orders]]));
    expect(file).toEqual({
      shop: {
        orders: {
          pk: "_id",
          _id: { dest: "_id", type: "TEXT" },
          customerName: { dest: "customer_name", type: "TEXT" },
          placedAt: { dest: "placed_at", type: "TIMESTAMPTZ" },
          total: { dest: "total", type: "DOUBLE PRECISION" },
          paid: { dest: "paid", type: "BOOLEAN" },
          "address.city": { dest: "address_city", type: "TEXT" },
          "address.zip": { dest: "address_zip", type: "TEXT" },
          "address.geo.lat": { dest: "address_geo_lat", type: "DOUBLE PRECISION" },
          "address.geo.lng": { dest: "address_geo_lng", type: "DOUBLE PRECISION" },
          tags: { dest: "tags", type: "TEXT[]" },
          items: { dest: "orders_items", type: "_ARRAY", fk: "_parent_id" },
        },
        orders_items: {
          pk: "_row_id",
          sku: { dest: "sku", type: "TEXT" },
          qty: { dest: "qty", type: "BIGINT" },
          "options.color": { dest: "options_color", type: "TEXT" },
          sizes: { dest: "sizes", type: "BIGINT[]" },
          // Arrays inside a child table's rows stay whole.
          notes: { dest: "notes", type: "JSONB" },
        },
      },
    });
    // What inference writes is a mapping Tributary accepts as it is.
    const compiled = parseMapping("inferred.json", file, { defaultSchema: "public" }).collections.get("shop.orders");
    expect(compiled?.children.map((child) => [child.path, child.table.table, child.table.pk.generated])).toEqual([["items", "orders_items", true]]);
  });

  it("maps every BSON type to its column type, and mixed or irregular fields to JSONB", () => {
    const docs = [
      {
        _id: new Int32(1),
        s: "x",
        b: false,
        i: new Int32(1),
        l: Long.fromString("9007199254740993"),
        il: new Int32(1),
        d: new Double(1.5),
        id: new Int32(3),
        dec: Decimal128.fromString("1.10"),
        ld: Long.fromNumber(1),
        when: new Date(0),
        oid: oid(9),
        u: new UUID("0b1e3c52-4a9f-4b39-9f6c-7f3e2b1d0c4a"),
        bin: new Binary(Buffer.from("hi")),
        ts: new Timestamp({ t: 1, i: 2 }),
        re: /a/,
        mixed: "one",
        nothing: null,
        empty: [],
        mixedArray: [new Int32(1), "two"],
        nested: [[new Int32(1)]],
        withNull: [{ a: new Int32(1) }, null],
      },
      { _id: Long.fromNumber(2), il: Long.fromNumber(5), id: new Double(0.5), ld: new Double(0.5), mixed: new Int32(1) },
    ];
    const entry = inferMapping(new Map([["db.c", docs]])).db?.c;
    const types = Object.fromEntries(Object.entries(entry ?? {}).flatMap(([path, field]) => (typeof field === "object" && "type" in field ? [[path, field.type]] : [])));
    expect(types).toEqual({
      _id: "BIGINT",
      s: "TEXT",
      b: "BOOLEAN",
      i: "BIGINT",
      l: "BIGINT",
      il: "BIGINT",
      d: "DOUBLE PRECISION",
      id: "DOUBLE PRECISION",
      dec: "NUMERIC",
      ld: "NUMERIC",
      when: "TIMESTAMPTZ",
      oid: "TEXT",
      u: "UUID",
      bin: "BYTEA",
      ts: "TIMESTAMPTZ",
      re: "JSONB",
      mixed: "JSONB",
      nothing: "JSONB",
      empty: "JSONB",
      mixedArray: "JSONB",
      nested: "JSONB",
      withNull: "JSONB",
    });
  });

  it("keeps maps keyed by data whole instead of a column per key", () => {
    const docs = [
      {
        _id: "a",
        scoresByUser: { [oid(1).toHexString()]: new Int32(1), [oid(2).toHexString()]: new Int32(2) },
        byDay: { "2024-05-01": new Int32(3), "2024-05-02": new Int32(4) },
        byEmail: { "ada@example.com": true },
        profile: { firstName: "Ada", lastName: "Lovelace" },
      },
    ];
    const entry = inferMapping(new Map([["db.c", docs]])).db?.c;
    expect(entry).toMatchObject({
      scoresByUser: { dest: "scores_by_user", type: "JSONB" },
      byDay: { dest: "by_day", type: "JSONB" },
      byEmail: { dest: "by_email", type: "JSONB" },
      "profile.firstName": { dest: "profile_first_name", type: "TEXT" },
      "profile.lastName": { dest: "profile_last_name", type: "TEXT" },
    });
    const wide = Object.fromEntries(Array.from({ length: 101 }, (_, n) => [`field${n}`, new Int32(n)]));
    expect(looksLikeMap(profileDocuments([wide]))).toBe(true);
    expect(looksLikeMap(profileDocuments([Object.fromEntries(Object.entries(wide).slice(0, 100))]))).toBe(false);
  });

  it("gives mixed keys a JSONB key, an empty collection a TEXT key, and never maps unnameable fields", () => {
    const file = inferMapping(
      new Map<string, object[]>([
        ["db.mixed", [{ _id: new Int32(5) }, { _id: "5" }]],
        ["db.empty", []],
        ["db.odd", [{ _id: "x", "a.b": new Int32(1), $weird: new Int32(2), "": new Int32(3), ok: new Int32(4) }]],
      ]),
    );
    expect(file.db?.mixed?._id).toEqual({ dest: "_id", type: "JSONB" });
    expect(file.db?.empty).toEqual({ pk: "_id", _id: { dest: "_id", type: "TEXT" } });
    expect(Object.keys(file.db?.odd ?? {})).toEqual(["pk", "_id", "ok"]);
  });

  it("names tables and columns as PostgreSQL identifiers, unique, clear of the bookkeeping columns", () => {
    const file = inferMapping(
      new Map<string, object[]>([
        ["crm.users", [{ _id: "a", _extra: new Int32(1), _cluster_time: new Int32(2), "first-name": "x", first_name: "y", items: [{ _row_id: new Int32(1), _ordinal: new Int32(2) }] }]],
        ["shop.users", [{ _id: "b" }]],
        ["shop.userEvents", [{ _id: "c" }]],
        ["shop.users_items", [{ _id: "d" }]],
      ]),
    );
    expect(file.crm?.users).toEqual({
      pk: "_id",
      _id: { dest: "_id", type: "TEXT" },
      _extra: { dest: "_extra_2", type: "BIGINT" },
      _cluster_time: { dest: "_cluster_time_2", type: "BIGINT" },
      "first-name": { dest: "first_name", type: "TEXT" },
      first_name: { dest: "first_name_2", type: "TEXT" },
      items: { dest: "users_items_2", type: "_ARRAY", fk: "_parent_id" },
    });
    expect(file.crm?.users_items_2).toEqual({ pk: "_row_id", _row_id: { dest: "_row_id_2", type: "BIGINT" }, _ordinal: { dest: "_ordinal_2", type: "BIGINT" } });
    expect(file.shop?.users).toEqual({ pk: "_id", $table: "shop_users", _id: { dest: "_id", type: "TEXT" } });
    expect(file.shop?.userEvents).toEqual({ pk: "_id", $table: "user_events", _id: { dest: "_id", type: "TEXT" } });
    expect(() => parseMapping("inferred.json", file, { defaultSchema: "public" })).not.toThrow();
  });
});

describe("naming and type helpers", () => {
  it("turns names into snake_case identifiers", () => {
    expect(["firstName", "HTTPStatus", "e-mail", "2fa", "_id", "__v", "Ünïcode", "a.b.c", "...", "ALLCAPS"].map(snakeCase)).toEqual([
      "first_name",
      "http_status",
      "e_mail",
      "_2fa",
      "_id",
      "__v",
      "n_code",
      "a_b_c",
      "field",
      "allcaps",
    ]);
  });

  it("hands out unique names of at most 63 characters", () => {
    const names = new NameAllocator(["a"]);
    const long = "x".repeat(70);
    expect([names.take("a"), names.take("a"), names.take(long), names.take(long)]).toEqual(["a_2", "a_3", "x".repeat(63), `${"x".repeat(61)}_2`]);
  });

  it("widens numbers to one type that holds them all", () => {
    expect(scalarColumnType(["int32", "null"])).toBe("BIGINT");
    expect(scalarColumnType(["int32", "double"])).toBe("DOUBLE PRECISION");
    expect(scalarColumnType(["int64", "double"])).toBe("NUMERIC");
    expect(scalarColumnType(["decimal", "int32"])).toBe("NUMERIC");
    expect(scalarColumnType(["string", "objectId"])).toBe("JSONB");
    expect(scalarColumnType(["null"])).toBe("JSONB");
  });
});

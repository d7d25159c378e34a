import { createRequire } from "node:module";
import { BSON, Long, MongoClient, type Document } from "mongodb";
import { afterAll, describe, expect, it } from "vitest";
import { READ_OPTIONS } from "../../../src/source/read-options.js";

// The driver's own reply parsing: a cursor's documents are decoded by CursorResponse.shift with
// the cursor's deserialization options (src/cmap/wire_protocol/responses.ts).
const require = createRequire(import.meta.url);
const { CursorResponse } = require("mongodb/lib/cmap/wire_protocol/responses.js") as {
  CursorResponse: new (bytes: Uint8Array) => { shift(options: unknown): Document };
};

/** A `find` reply whose one document holds `name: "café!"` with the `é` (C3 A9) broken into C3 28, not UTF-8. */
function replyWithInvalidUtf8(): Buffer {
  const bytes = Buffer.from(BSON.serialize({ ok: 1, cursor: { id: Long.fromNumber(0), ns: "shop.orders", firstBatch: [{ _id: 1, name: "café!" }] } }));
  const at = bytes.indexOf(Buffer.from("café!", "utf8"));
  bytes[at + 4] = 0x28;
  return bytes;
}

const client = new MongoClient("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=1");
afterAll(() => client.close());

/**
 * The options the driver's cursors decode batches with when opened with `options`: a change
 * stream's (as the source opens it) and a find's (the snapshot's). Nothing is sent: no cursor is
 * iterated.
 */
function deserializationOptionsOf(options: Document): unknown {
  type Decoding = { deserializationOptions: { validation: unknown } };
  const stream = client.watch([], options) as unknown as { cursor: Decoding };
  const find = client.db("shop").collection("orders").find({}, options) as unknown as Decoding;
  expect(find.deserializationOptions.validation).toEqual(stream.cursor.deserializationOptions.validation);
  return stream.cursor.deserializationOptions;
}

describe("strings that are not valid UTF-8", () => {
  it("stop the driver's default decoding for good (a BSONError no retry gets past)", () => {
    expect(() => new CursorResponse(replyWithInvalidUtf8()).shift(deserializationOptionsOf({}))).toThrow(expect.objectContaining({ name: "BSONError", message: "Invalid UTF-8 string in BSON document" }));
  });

  it("decode with U+FFFD in place of the bad bytes under the read options, the rest of the document intact", () => {
    const document = new CursorResponse(replyWithInvalidUtf8()).shift(deserializationOptionsOf(READ_OPTIONS));
    expect(document.name).toBe("caf\uFFFD(!");
    expect(document._id).toEqual(new BSON.Int32(1));
  });
});

import { Binary } from "mongodb";

/**
 * A resume token exactly as a MongoDB 4.4 server emitted it for an update of `{_id: 2}` written
 * from the shell (so a Double), copied from the server's own error text:
 * `{_id: {_data: "825F10…0004", _typeBits: BinData(0, 40)}, …, documentKey: {_id: 2}}`.
 *
 * How it decodes (server: src/mongo/db/pipeline/resume_token.cpp, KeyString V1 in
 * src/mongo/db/storage/key_string/key_string.h): `82` Timestamp(1594897417, 4), `2B02` version
 * 1, `2C0100` tokenType 128 (event), `29` txnOpIndex 0, `6E` fromInvalidate false, `5A10 04 …`
 * the collection UUID, `46 … 5F696400 2B04 00` the document key `{_id: 2}`, `04` the end. The
 * numbers are written without their types; the type bits, packed from the low bit, are `00`
 * (version Int), `00` (tokenType Int), `00` (txnOpIndex Int) and `10` for the `_id`
 * (TypeBits::kDouble = 0x2, high bit first): 0b0100_0000 = 0x40, one byte, "short encoding,
 * case 2". Without `_typeBits` the `_id` decodes as Int32 2, another event.
 */
export function doubleIdToken(): { _data: string; _typeBits: Binary } {
  return {
    _data: "825F103409000000042B022C0100296E5A10044912D5BB665545B48DDAD38FCD774270461E5F6964002B040004",
    _typeBits: new Binary(Buffer.from([0x40]), Binary.SUBTYPE_DEFAULT),
  };
}

/** Set on the prototype of every bson (5+) class, whichever copy of bson made it. */
const BSON_VERSION = Symbol.for("@@mdb.bson.version");

/**
 * The BSON type of a value of a bson class (`"Long"`, `"ObjectId"`, …), or undefined for
 * anything else: a document with a field named `_bsontype` (another driver may store one) is a
 * document, not a BSON value, and reading it as one would mis-encode or crash on it.
 */
export function bsonClassType(value: object): string | undefined {
  const tag: unknown = (value as { _bsontype?: unknown })._bsontype;
  return typeof tag === "string" && (value as { [BSON_VERSION]?: unknown })[BSON_VERSION] !== undefined ? tag : undefined;
}

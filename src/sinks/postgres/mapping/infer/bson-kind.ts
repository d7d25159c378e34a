/** What a value is, as far as choosing a column type goes. @internal */
export type BsonKind =
  | "null"
  | "string"
  | "boolean"
  | "int32"
  | "int64"
  | "double"
  | "decimal"
  | "date"
  | "objectId"
  | "uuid"
  | "binary"
  | "timestamp"
  | "document"
  | "array"
  | "other";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UUID_SUBTYPE = 4;

const KIND_OF_BSON_TYPE: Readonly<Record<string, BsonKind>> = {
  Int32: "int32",
  Long: "int64",
  Double: "double",
  Decimal128: "decimal",
  ObjectId: "objectId",
  Timestamp: "timestamp",
};

/**
 * The kind of a value as the `mongodb` driver reads it (`promoteValues: false` wrappers, or plain
 * JavaScript numbers and bigints when values are promoted).
 */
export function bsonKind(value: unknown): BsonKind {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "bigint":
      return "int64";
    case "number":
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0) ? "int32" : "double";
    case "object":
      break;
    default:
      return "other";
  }
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  const bsonType = (value as { _bsontype?: string })._bsontype;
  if (bsonType === "Binary") return (value as { sub_type?: number }).sub_type === UUID_SUBTYPE ? "uuid" : "binary";
  if (bsonType !== undefined) return KIND_OF_BSON_TYPE[bsonType] ?? "other";
  if (value instanceof Uint8Array) return "binary";
  return Object.getPrototypeOf(value) === Object.prototype ? "document" : "other";
}

/** Whether a kind is a number of any BSON numeric type. */
export function isNumericKind(kind: BsonKind): boolean {
  return kind === "int32" || kind === "int64" || kind === "double" || kind === "decimal";
}

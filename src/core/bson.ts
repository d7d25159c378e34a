import { createRequire } from "node:module";

/**
 * The `bson` package as the MongoDB driver loads it. `bson` ships an ES module build and a
 * CommonJS build, and the driver `require`s the CommonJS one: an `import` of "bson" here would
 * load a second copy whose classes fail every `instanceof` against values the driver decodes
 * (an `Int32` from a change event is not an `Int32` of the other copy). Loading the same build
 * keeps one copy, without importing the driver itself.
 */
const bson = createRequire(import.meta.url)("bson") as typeof import("bson");

export const BSON = bson.BSON;
export const Binary = bson.Binary;
export type Binary = import("bson").Binary;
export const BSONRegExp = bson.BSONRegExp;
export type BSONRegExp = import("bson").BSONRegExp;
export const BSONSymbol = bson.BSONSymbol;
export type BSONSymbol = import("bson").BSONSymbol;
export const Code = bson.Code;
export type Code = import("bson").Code;
export const DBRef = bson.DBRef;
export type DBRef = import("bson").DBRef;
export const Decimal128 = bson.Decimal128;
export type Decimal128 = import("bson").Decimal128;
export const Double = bson.Double;
export type Double = import("bson").Double;
export const Int32 = bson.Int32;
export type Int32 = import("bson").Int32;
export const Long = bson.Long;
export type Long = import("bson").Long;
export const MaxKey = bson.MaxKey;
export type MaxKey = import("bson").MaxKey;
export const MinKey = bson.MinKey;
export type MinKey = import("bson").MinKey;
export const ObjectId = bson.ObjectId;
export type ObjectId = import("bson").ObjectId;
export const Timestamp = bson.Timestamp;
export type Timestamp = import("bson").Timestamp;
export type { Document } from "bson";

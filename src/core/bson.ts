import { createRequire } from "node:module";
import type * as Bson from "bson";

/**
 * The `bson` package as the MongoDB driver loads it. `bson` ships an ES module build and a
 * CommonJS build, and the driver `require`s the CommonJS one: an `import` of "bson" here would
 * load a second copy whose classes fail every `instanceof` against values the driver decodes
 * (an `Int32` from a change event is not an `Int32` of the other copy). Loading the same build
 * keeps one copy, without importing the driver itself.
 */
const bson = createRequire(import.meta.url)("bson") as typeof Bson;

export const BSON = bson.BSON;
export const Binary = bson.Binary;
export type Binary = Bson.Binary;
export const BSONRegExp = bson.BSONRegExp;
export type BSONRegExp = Bson.BSONRegExp;
export const BSONSymbol = bson.BSONSymbol;
export type BSONSymbol = Bson.BSONSymbol;
export const Code = bson.Code;
export type Code = Bson.Code;
export const DBRef = bson.DBRef;
export type DBRef = Bson.DBRef;
export const Decimal128 = bson.Decimal128;
export type Decimal128 = Bson.Decimal128;
export const Double = bson.Double;
export type Double = Bson.Double;
export const Int32 = bson.Int32;
export type Int32 = Bson.Int32;
export const Long = bson.Long;
export type Long = Bson.Long;
export const MaxKey = bson.MaxKey;
export type MaxKey = Bson.MaxKey;
export const MinKey = bson.MinKey;
export type MinKey = Bson.MinKey;
export const ObjectId = bson.ObjectId;
export type ObjectId = Bson.ObjectId;
export const Timestamp = bson.Timestamp;
export type Timestamp = Bson.Timestamp;
export type { Document } from "bson";

import { isNumericKind, type BsonKind } from "./bson-kind.js";
import type { FieldProfile } from "./field-profile.js";

/** Column type, as a mapping file writes it, for a field that only ever held one kind of scalar. */
const SCALAR_TYPES: Readonly<Partial<Record<BsonKind, string>>> = {
  string: "TEXT",
  boolean: "BOOLEAN",
  date: "TIMESTAMPTZ",
  objectId: "TEXT",
  uuid: "UUID",
  binary: "BYTEA",
  timestamp: "TIMESTAMPTZ",
};

export const JSONB = "JSONB";
export const NUMERIC = "NUMERIC";

/**
 * The column type for a field that held these kinds of value: one kind of scalar gets its type;
 * numbers of several BSON types get one type that holds them all (`BIGINT` for Int32 and Int64,
 * `DOUBLE PRECISION` with Double, `NUMERIC` with Decimal128 or with Int64 and Double together);
 * anything else (mixed kinds, regular expressions, code, only nulls) is `JSONB`.
 */
export function scalarColumnType(kinds: Iterable<BsonKind>): string {
  const present = [...kinds].filter((kind) => kind !== "null");
  if (present.length === 0) return JSONB;
  if (present.every(isNumericKind)) {
    if (present.includes("decimal") || (present.includes("double") && present.includes("int64"))) return NUMERIC;
    return present.includes("double") ? "DOUBLE PRECISION" : "BIGINT";
  }
  const [only] = present;
  return present.length === 1 && only !== undefined ? (SCALAR_TYPES[only] ?? JSONB) : JSONB;
}

/**
 * The primary key's type: as for any column, but a key of mixed kinds is `JSONB` (where `5`
 * and `"5"` stay two keys) and an empty sample gives `TEXT`, which every scalar key fits.
 */
export function keyColumnType(profile: FieldProfile | undefined): string {
  const present = [...(profile?.kinds ?? [])].filter((kind) => kind !== "null");
  if (present.length === 0) return "TEXT";
  return scalarColumnType(present);
}

const DATA_KEYS: readonly RegExp[] = [
  /^[0-9a-f]{24}$/i, // ObjectId
  /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i, // UUID
  /^-?\d+(\.\d+)?$/, // numbers
  /^\d{4}-\d{2}(-\d{2})?([T ].*)?$/, // dates
  /^[0-9a-f]{16,}$/i, // hashes
  /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9+/_=-]{20,}$/, // tokens, base64
  /^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/, // e-mail addresses
  /^\d{1,3}(\.\d{1,3}){3}$/, // IPv4 addresses
];

/** More distinct keys than this under one sub-document and it is a map, not a record. */
export const MAX_FLATTENED_KEYS = 100;

/**
 * Whether a sub-document is a map keyed by data (ids, dates, hashes, addresses, …) rather than a
 * record with named fields: such a field is kept whole as `JSONB`, not flattened into one column
 * per key. True when at least half of its keys look like data, or it has more than
 * {@link MAX_FLATTENED_KEYS} distinct keys.
 */
export function looksLikeMap(profile: FieldProfile): boolean {
  const keys = [...(profile.fields?.keys() ?? [])];
  if (keys.length > MAX_FLATTENED_KEYS) return true;
  const dataKeys = keys.filter((key) => DATA_KEYS.some((pattern) => pattern.test(key))).length;
  return keys.length > 0 && dataKeys * 2 >= keys.length;
}

import { LOSSLESS_BSON_OPTIONS } from "./mongo-connection.js";

/**
 * How the change stream and the snapshot read documents: BSON types kept (lossless numbers),
 * and strings that are not valid UTF-8 decoded with U+FFFD in place of each bad sequence.
 *
 * MongoDB stores whatever bytes a client wrote (older drivers and `mongorestore` do not check
 * UTF-8), and the driver checks every string it decodes by default: one such string anywhere in
 * a batch makes `tryNext` throw a `BSONError` that no retry can get past, so the sync would stop
 * for good on that document. With `enableUtf8Validation: false` the driver's cursors decode with
 * `validation: { utf8: false }` (`AbstractCursor` in the driver's `src/cursor/abstract_cursor.ts`),
 * which replaces bad sequences instead. Neither JavaScript strings nor PostgreSQL text can hold
 * the original bytes, so the replacement is the closest value a target can store.
 */
export const READ_OPTIONS = Object.freeze({ ...LOSSLESS_BSON_OPTIONS, enableUtf8Validation: false });

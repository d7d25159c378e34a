import { BSON, Timestamp } from "./bson.js";
import { ErrorCode } from "./error-codes.js";
import { resumeTokenOfText, type ResumeToken, type WatchStart } from "./position.js";
import { TributaryError } from "./tributary-error.js";

/** A start point that names a file: mongo-connector's `oplog.timestamp`, read by the caller. */
export interface StartPointFile {
  readonly file: string;
}

/** A start point as written on the command line or in a config: a `WatchStart`, or a progress file to read. */
export type StartPointText = WatchStart | StartPointFile;

const FORMS =
  "an ISO time with its zone (2024-05-01T12:00:00Z), a Timestamp (1700000000:5, Timestamp(1700000000, 5) or " +
  '{"$timestamp":{"t":1700000000,"i":5}}), a resume token (its _data hex string, or {"_data": "82…"}), "now", "oldest", ' +
  "or the path of mongo-connector's oplog.timestamp file";

const UINT32_MAX = 0xffff_ffff;

/**
 * Reads a start point written as text. `where` names the flag or config path in errors (a
 * `ConfigInvalid`: exit 2). Text that is none of the other forms is taken as a file path; the
 * caller reads it (and says when it does not exist).
 */
export function parseStartPoint(text: string, where: string): StartPointText {
  const value = text.trim();
  const fail = (why: string): never => {
    throw new TributaryError(ErrorCode.ConfigInvalid, `${where}: ${JSON.stringify(text)} ${why}; give ${FORMS}`, { context: { configPath: where } });
  };
  if (value === "") return fail("is empty");
  if (value === "now" || value === "oldest") return value;
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) return dateOf(value) ?? fail("is not a valid time (a time of day needs its zone: Z or +02:00)");
  const pair = /^(\d+):(\d+)$/.exec(value) ?? /^Timestamp\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(value);
  if (pair) return timestampOf(Number(pair[1]), Number(pair[2])) ?? fail("has a part beyond 32 bits");
  if (/^\d+$/.test(value)) return fail("is a bare number (seconds and increment go together: 1700000000:1)");
  if (value.startsWith("{")) return objectForm(value) ?? fail("is neither a Timestamp nor a resume token in Extended JSON");
  if (/^[0-9a-fA-F]{18,}$/.test(value)) {
    // KeyString: a token begins with the cluster time, type byte 0x82 (MongoDB 4.2 and later).
    return value.startsWith("82") && value.length % 2 === 0 ? { _data: value } : fail("is not a resume token of MongoDB 4.2 or later (those start with 82)");
  }
  return { file: value };
}

/** Whether a start point is a file to read. */
export function isStartPointFile(start: StartPointText): start is StartPointFile {
  return typeof start === "object" && "file" in start && typeof start.file === "string";
}

function dateOf(value: string): Date | undefined {
  const hasTime = /^\d{4}-\d{2}-\d{2}[T ]/.test(value);
  // Without a zone, JavaScript reads a time of day as local time: refused rather than guessed.
  if (hasTime && !/(?:Z|[+-]\d{2}:?\d{2})$/i.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function timestampOf(t: number, i: number): Timestamp | undefined {
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(i) || t > UINT32_MAX || i > UINT32_MAX) return undefined;
  return new Timestamp({ t, i });
}

/** `{"$timestamp": {"t", "i"}}` (Extended JSON) or `{"_data": …}` (a resume token, `_typeBits` as `$binary`). */
function objectForm(value: string): Timestamp | ResumeToken | undefined {
  let parsed: unknown;
  try {
    parsed = BSON.EJSON.parse(value, { relaxed: false });
  } catch {
    return undefined;
  }
  if (parsed instanceof Timestamp) return timestampOf(parsed.t, parsed.i);
  const token = resumeTokenOfText(value);
  return token && /^82[0-9a-fA-F]{16}/.test(token._data) ? token : undefined;
}

import { readFile } from "node:fs/promises";
import { Timestamp } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";

/** One entry of mongo-connector's progress file: an oplog it tailed and the last entry it applied from it. */
export interface MongoConnectorProgress {
  /** The oplog's name as mongo-connector keyed it (a replica set name, or the text of its pymongo collection). */
  readonly oplog: string;
  readonly timestamp: Timestamp;
}

/**
 * Reads mongo-connector's `oplog.timestamp` (its `FileProgressStore`, `mongo_connector/
 * oplog_progress_stores/file_progress_store.py`): JSON, `[name, ts]` for one replica set or
 * `[[name, ts], …]` for a sharded cluster (one per shard), where `ts` is the last oplog entry
 * applied, packed by `util.bson_ts_to_long` as `seconds << 32 | increment`. Those numbers pass
 * 2^53, so they are read from the text itself, never through a JavaScript number.
 */
export function parseMongoConnectorProgress(text: string, file: string): MongoConnectorProgress[] {
  const fail = (why: string): never => {
    throw new TributaryError(ErrorCode.ConfigInvalid, `${file} is not a mongo-connector progress file (oplog.timestamp): ${why}`, { context: { file } });
  };
  if (text.trim() === "") return fail("it is empty (mongo-connector writes it only after its first checkpoint)");
  let data: unknown;
  try {
    data = JSON.parse(quoteIntegers(text));
  } catch {
    return fail('it is not JSON such as ["rs0", 7301578015427100673]');
  }
  if (!Array.isArray(data) || data.length === 0) return fail("it holds no [name, timestamp] entry");
  const entries: unknown[] = Array.isArray(data[0]) ? data : [data];
  return entries.map((entry, index) => {
    const digits = Array.isArray(entry) && typeof entry[1] === "string" ? /^\0(\d+)$/.exec(entry[1])?.[1] : undefined;
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string" || digits === undefined) {
      return fail(`entry ${index + 1} is not [name, timestamp as an integer]`);
    }
    const packed = BigInt(digits);
    if (packed >= 1n << 64n) return fail(`entry ${index + 1} has a timestamp beyond 64 bits`);
    return { oplog: entry[0], timestamp: new Timestamp({ t: Number(packed >> 32n), i: Number(packed & 0xffff_ffffn) }) };
  });
}

/**
 * Where a stream takes over from mongo-connector: its earliest entry (each shard's oplog is
 * read up to its own entry, so the earliest one loses nothing on any shard), at that very
 * time: the change mongo-connector applied last is applied again, which upserts absorb.
 */
export function mongoConnectorStart(entries: readonly MongoConnectorProgress[]): Timestamp {
  return entries.map((entry) => entry.timestamp).reduce((earliest, each) => (each.lessThan(earliest) ? each : earliest));
}

/** Reads and parses the file; an unreadable one is a usage error naming it. */
export async function readMongoConnectorProgress(file: string): Promise<MongoConnectorProgress[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new TributaryError(ErrorCode.ConfigFileUnreadable, `Cannot read the start point file ${file}: ${reason}`, { cause: error, context: { file } });
  }
  return parseMongoConnectorProgress(text, file);
}

/**
 * Turns every number outside a string into a string marked with a leading NUL (which JSON text
 * cannot hold unescaped), so that JSON.parse keeps all its digits and a quoted number stays a string.
 */
function quoteIntegers(text: string): string {
  let out = "";
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (inString) {
      out += char;
      if (char === "\\") out += text[++index] ?? "";
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (/[-\d]/.test(char)) {
      const number = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(text.slice(index))?.[0] ?? char;
      out += `"\\u0000${number}"`;
      index += number.length - 1;
    } else {
      out += char;
    }
  }
  return out;
}

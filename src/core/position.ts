import { BSON, Timestamp, type Binary } from "./bson.js";

/**
 * A change stream resume token, as the server returns it (`{ _data: "82…" }`, and
 * `_typeBits` when it has them). It is kept whole: the server rebuilds the event from both
 * fields, so a token without its `_typeBits` is another token.
 * @public
 */
export interface ResumeToken {
  readonly _data: string;
  /**
   * The KeyString type bits (BinData subtype 0) that the server adds when the event's document
   * key holds a Long, a Double or a Decimal128 (`ResumeToken::ResumeToken` in the server's
   * `src/mongo/db/pipeline/resume_token.cpp` writes them whenever they are not all zeros).
   * Without them `{_id: 2.0}` decodes as `{_id: 2}` and the stream cannot resume there.
   */
  readonly _typeBits?: Binary;
}

/**
 * Where a stream is: the cluster time of the last change and the resume token to continue
 * after it. `key` sorts as a plain string in the same order as the stream, so positions can
 * be compared and stored without decoding.
 * @public
 */
export interface Position {
  readonly clusterTime: Timestamp;
  readonly resumeToken: ResumeToken;
  readonly key: string;
}

const HEX_WORD = 8;

function hexWord(value: number): string {
  return value.toString(16).padStart(HEX_WORD, "0");
}

/**
 * Builds a position. The cluster time is read from the token itself, so the same token always
 * gives the same position; `clusterTime` is the fallback for tokens of an unknown format.
 * @internal
 */
export function makePosition(resumeToken: ResumeToken, clusterTime?: Timestamp): Position {
  const time = clusterTimeOfToken(resumeToken) ?? clusterTime ?? new Timestamp({ t: 0, i: 0 });
  return Object.freeze({
    clusterTime: time,
    resumeToken: Object.freeze({ ...resumeToken }),
    key: `${hexWord(time.t)}${hexWord(time.i)}:${resumeToken._data}`,
  });
}

/**
 * Resume tokens are KeyString-encoded: `82` (the type byte of a Timestamp) followed by the
 * eight bytes of the cluster time. Reading it back lets a position built from a
 * `postBatchResumeToken` (which comes with no event) carry its time too.
 */
export function clusterTimeOfToken(token: ResumeToken): Timestamp | undefined {
  const data = token._data;
  if (!/^82[0-9a-fA-F]{16}/.test(data)) return undefined;
  const t = Number.parseInt(data.slice(2, 10), 16);
  const i = Number.parseInt(data.slice(10, 18), 16);
  return new Timestamp({ t, i });
}

/**
 * The whole token as text (canonical Extended JSON, so `_typeBits` stays BinData), for stores
 * that keep text.
 * @internal
 */
export function resumeTokenText(token: ResumeToken): string {
  // Most tokens are `{ _data }` alone, whose canonical Extended JSON is its JSON. Profiled over
  // changes sent one per transaction (mapping file), EJSON took 16 µs per change, this 3.5 µs.
  if (typeof token._data === "string" && Object.keys(token).length === 1) return JSON.stringify({ _data: token._data });
  return BSON.EJSON.stringify(token, { relaxed: false });
}

/**
 * The token of a text written by {@link resumeTokenText}; `undefined` when the text is not one
 * (the caller names the store in its error).
 * @internal
 */
export function resumeTokenOfText(text: string): ResumeToken | undefined {
  let value: unknown;
  try {
    value = BSON.EJSON.parse(text, { relaxed: false });
  } catch {
    return undefined;
  }
  return isObject(value) && typeof value._data === "string" ? (value as unknown as ResumeToken) : undefined;
}

/** Negative when `a` is before `b`, zero when equal, positive after. @internal */
export function comparePositions(a: Position, b: Position): number {
  if (a.key === b.key) return 0;
  return a.key < b.key ? -1 : 1;
}

/** The wall-clock second of a position's cluster time. */
export function positionDate(position: Position): Date {
  return new Date(position.clusterTime.t * 1000);
}

/**
 * Where a stream without a stored position begins: `"now"`, the oldest change the oplog
 * still holds (`"oldest"`), a moment (`Date`, to the second; or a BSON `Timestamp`, a cluster
 * time: changes at that time are included), or just after a `Position` taken from an earlier
 * event or watcher, or after a `ResumeToken` (`{ _data }`, as another tool stored it).
 * @public
 */
export type WatchStart = Position | ResumeToken | Date | Timestamp | "now" | "oldest";

/** BSON `Timestamp`, also from another copy of the `bson` package. */
export function isTimestamp(value: unknown): value is Timestamp {
  return value instanceof Timestamp || (isObject(value) && value._bsontype === "Timestamp");
}

/** A `Position` as `makePosition` builds it. */
export function isPosition(value: unknown): value is Position {
  if (!isObject(value)) return false;
  const token = value.resumeToken;
  return typeof value.key === "string" && isTimestamp(value.clusterTime) && isObject(token) && typeof token._data === "string";
}

/** A bare resume token (`{ _data: "82…" }`, maybe with `_typeBits`), not a `Position`. */
export function isResumeToken(value: unknown): value is ResumeToken {
  return isObject(value) && typeof value._data === "string" && !isPosition(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

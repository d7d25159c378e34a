import { Timestamp } from "../core/bson.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { makePosition, positionDate, resumeTokenOfText, resumeTokenText, type Position, type ResumeToken } from "../core/position.js";

/**
 * A position as stores keep it: plain JSON a person can read (`clusterTime` as ISO date
 * and `{ t, i }`), from which the position is rebuilt exactly. `token` is the whole resume
 * token (canonical Extended JSON text, with its `_typeBits`); `resumeToken` is its `_data`,
 * which is all that versions before `token` stored.
 * @internal
 */
export interface PositionRecord {
  readonly resumeToken: string;
  readonly token?: string;
  readonly clusterTime: { readonly t: number; readonly i: number };
  readonly date: string;
}

/** @internal */
export function positionToRecord(position: Position): PositionRecord {
  return {
    resumeToken: position.resumeToken._data,
    token: resumeTokenText(position.resumeToken),
    clusterTime: { t: position.clusterTime.t, i: position.clusterTime.i },
    date: positionDate(position).toISOString(),
  };
}

/**
 * Rebuilds a position from what a store read (also a record of an older version, which has no
 * `token`); `where` names the store in the error when the record is not one.
 * @internal
 */
export function positionFromRecord(record: unknown, where: string): Position {
  const value = record as Partial<PositionRecord> | null;
  const data = value?.resumeToken;
  const time = value?.clusterTime;
  const token: ResumeToken | undefined = typeof value?.token === "string" ? resumeTokenOfText(value.token) : typeof data === "string" && data !== "" ? { _data: data } : undefined;
  if (token === undefined || (typeof data === "string" && data !== token._data) || typeof time?.t !== "number" || typeof time.i !== "number") {
    throw new TributaryError(
      ErrorCode.ResumePointUnreadable,
      `The resume point stored in ${where} is not one Tributary wrote (expected resumeToken, token and clusterTime {t, i}); fix or remove it to start from now`,
      { context: { store: where } },
    );
  }
  return makePosition(token, new Timestamp({ t: time.t, i: time.i }));
}

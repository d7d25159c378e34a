import { Timestamp } from "../core/bson.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { makePosition, positionDate, type Position } from "../core/position.js";

/**
 * A position as stores keep it: plain JSON a person can read (`clusterTime` as ISO date
 * and `{ t, i }`), from which the position is rebuilt exactly.
 * @internal
 */
export interface PositionRecord {
  readonly resumeToken: string;
  readonly clusterTime: { readonly t: number; readonly i: number };
  readonly date: string;
}

/** @internal */
export function positionToRecord(position: Position): PositionRecord {
  return {
    resumeToken: position.resumeToken._data,
    clusterTime: { t: position.clusterTime.t, i: position.clusterTime.i },
    date: positionDate(position).toISOString(),
  };
}

/**
 * Rebuilds a position from what a store read; `where` names the store in the error when the
 * record is not one.
 * @internal
 */
export function positionFromRecord(record: unknown, where: string): Position {
  const value = record as Partial<PositionRecord> | null;
  const token = value?.resumeToken;
  const time = value?.clusterTime;
  if (typeof token !== "string" || token === "" || typeof time?.t !== "number" || typeof time.i !== "number") {
    throw new TributaryError(
      ErrorCode.ResumePointUnreadable,
      `The resume point stored in ${where} is not one Tributary wrote (expected resumeToken and clusterTime {t, i}); fix or remove it to start from now`,
      { context: { store: where } },
    );
  }
  return makePosition({ _data: token }, new Timestamp({ t: time.t, i: time.i }));
}

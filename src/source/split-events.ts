import type { Document } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";

/**
 * Whether a server of this version has `$changeStreamSplitLargeEvent`: 7.0 and later, and the
 * 6.0 series from 6.0.9 (the stage's page in the MongoDB manual: "New in version 7.0 (and
 * 6.0.9)"). The rapid releases 6.1 to 6.3 are left out: nothing says they have it.
 */
export function supportsSplitLargeEvent(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((part) => Number.parseInt(part, 10) || 0);
  return major >= 7 || (major === 6 && minor === 0 && patch >= 9);
}

/**
 * The stage that splits an event over 16 MB into fragments, each under the limit; it must be
 * the last stage of the change stream's pipeline (the server refuses it anywhere else).
 */
export const SPLIT_LARGE_EVENT_STAGE: Document = Object.freeze({ $changeStreamSplitLargeEvent: {} });

interface SplitEvent {
  readonly fragment: number;
  readonly of: number;
}

/**
 * Puts the fragments of a split event back together. The server cuts an event into fragments
 * of whole top-level fields, each fragment with its own `_id` (the event's resume token with the
 * fragment's number) and `splitEvent: { fragment, of }` (`change_stream_split_event_helpers.cpp`
 * in the server), and sends them one after the other. The whole event is handed on only with its
 * last fragment, under that fragment's `_id`: a stream resumed after it continues with the next
 * event, so no position is ever taken between fragments.
 */
export class FragmentAssembler {
  private readonly parts: Document[] = [];

  /** Whether fragments of an event have been read and its last has not. */
  get pending(): boolean {
    return this.parts.length > 0;
  }

  /** The whole event once `raw` completes it (at once for an event that is not split); otherwise `undefined`. */
  add(raw: Document): Document | undefined {
    const split = splitEventOf(raw);
    if (split === undefined) {
      if (this.pending) throw outOfOrder(`an unsplit event arrived after fragment ${this.parts.length} of a split one`);
      return raw;
    }
    const expected = this.parts.length + 1;
    const first = this.parts[0];
    if (split.fragment !== expected || (first !== undefined && splitEventOf(first)?.of !== split.of)) {
      throw outOfOrder(`fragment ${split.fragment} of ${split.of} arrived where fragment ${expected} was expected`);
    }
    this.parts.push(raw);
    if (split.fragment < split.of) return undefined;
    const whole: Document = {};
    for (const part of this.parts.splice(0)) {
      for (const [field, value] of Object.entries(part)) if (field !== "splitEvent") whole[field] = value;
    }
    return whole;
  }

  /** Forgets fragments read before the stream was reopened (it starts again at the event's first fragment). */
  reset(): void {
    this.parts.length = 0;
  }
}

function splitEventOf(raw: Document): SplitEvent | undefined {
  const split = raw.splitEvent as { fragment?: unknown; of?: unknown } | undefined;
  if (split === undefined || split === null) return undefined;
  const fragment = Number(split.fragment);
  const of = Number(split.of);
  if (!Number.isInteger(fragment) || !Number.isInteger(of) || fragment < 1 || of < fragment) throw outOfOrder(`splitEvent ${JSON.stringify(split)} is not { fragment, of }`);
  return { fragment, of };
}

function outOfOrder(detail: string): TributaryError {
  return new TributaryError(ErrorCode.ChangeStreamFailed, `The change stream sent the fragments of a split event out of order: ${detail}`);
}

import type { ResumePointStore } from "../core/resume-point-store.js";
import { ErrorCode } from "../core/error-codes.js";
import { redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import { comparePositions, type Position } from "../core/position.js";
import { ResumeCadence, type SaveEvery } from "./resume-cadence.js";

/**
 * The position held by `store`, if any; a store that cannot be read is a
 * `ResumePointUnreadable` error naming it.
 */
export async function loadResumePoint(store: ResumePointStore): Promise<Position | undefined> {
  try {
    return await store.load();
  } catch (error) {
    if (error instanceof TributaryError) throw error;
    const reason = redactedMessage(error);
    throw new TributaryError(ErrorCode.ResumePointUnreadable, `Cannot read the watch resume point from ${store.description}: ${reason}`, {
      cause: error,
      context: { store: store.description },
    });
  }
}

/**
 * Keeps a reader's completed position, and saves it to the resume point store (when there is
 * one) at the cadence's pace and on demand.
 */
export class ResumeKeeper {
  private readonly store: ResumePointStore | undefined;
  private readonly cadence: ResumeCadence;
  private completed: Position | undefined;

  /** @param stored the position loaded from the store, if any. */
  constructor(store: ResumePointStore | undefined, every: SaveEvery, stored: Position | undefined, now: () => number = Date.now) {
    this.store = store;
    this.cadence = new ResumeCadence(every, stored, now);
    this.completed = stored;
  }

  /** The last completed position: every change up to it was delivered and handled, or skipped. */
  position(): Position | undefined {
    return this.completed;
  }

  /** Records that everything up to `position` is done (`events` of it delivered events). */
  complete(position: Position, events: number): void {
    if (this.completed === undefined || comparePositions(position, this.completed) > 0) this.completed = position;
    this.cadence.complete(position, events);
  }

  /** Saves when the cadence says a save is due. */
  async saveIfDue(): Promise<void> {
    const position = this.store ? this.cadence.due() : undefined;
    if (position !== undefined) await this.save(position);
  }

  /** Saves the completed position if it is ahead of the saved one (on stop). */
  async saveNow(): Promise<void> {
    const position = this.store ? this.cadence.unsaved() : undefined;
    if (position !== undefined) await this.save(position);
  }

  private async save(position: Position): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.save(position);
    } catch (error) {
      if (error instanceof TributaryError) throw error;
      const reason = redactedMessage(error);
      throw new TributaryError(ErrorCode.ResumePointWriteFailed, `Cannot save the watch resume point to ${this.store.description}: ${reason}`, {
        cause: error,
        context: { store: this.store.description },
      });
    }
    this.cadence.markSaved(position);
  }
}

import { comparePositions, type Position } from "../core/position.js";

/** How often a completed position is saved. @public */
export interface SaveEvery {
  /** Save after this many completed events. */
  readonly events: number;
  /** Save when the position has moved and this long has passed since the last save (milliseconds). */
  readonly ms: number;
}

/**
 * Decides when the completed position is worth saving: every `events` completed events, or
 * `ms` after the last save when the position has moved since (quiet streams move too, with the
 * server's post-batch resume token). A position never saved before is due at once, so a new
 * reader's starting point is durable before its first event.
 */
export class ResumeCadence {
  private readonly every: SaveEvery;
  private readonly now: () => number;
  private reached: Position | undefined;
  private saved: Position | undefined;
  private savedAt: number;
  private eventsSinceSave = 0;

  /**
   * @param saved the position already in the store, if any.
   * @param savedAt when it was saved (epoch milliseconds); default now. `-Infinity` makes the
   *   first move past it due at once.
   */
  constructor(every: SaveEvery, saved: Position | undefined, now: () => number = Date.now, savedAt: number = now()) {
    this.every = every;
    this.now = now;
    this.saved = saved;
    this.reached = saved;
    this.savedAt = savedAt;
  }

  /** The furthest completed position. */
  position(): Position | undefined {
    return this.reached;
  }

  /** Records that everything up to `position` is done, `events` of them delivered events. */
  complete(position: Position, events: number): void {
    if (this.reached === undefined || comparePositions(position, this.reached) > 0) this.reached = position;
    this.eventsSinceSave += events;
  }

  /** The completed position, when it is ahead of the saved one. */
  unsaved(): Position | undefined {
    const reached = this.reached;
    if (reached === undefined) return undefined;
    return this.saved === undefined || comparePositions(reached, this.saved) > 0 ? reached : undefined;
  }

  /** The position to save now, if a save is due. */
  due(): Position | undefined {
    const position = this.unsaved();
    if (position === undefined) return undefined;
    if (this.saved === undefined) return position;
    if (this.eventsSinceSave >= this.every.events || this.now() - this.savedAt >= this.every.ms) return position;
    return undefined;
  }

  /** Records a successful save. */
  markSaved(position: Position): void {
    if (this.saved === undefined || comparePositions(position, this.saved) > 0) this.saved = position;
    this.savedAt = this.now();
    this.eventsSinceSave = 0;
  }
}

import type { Position } from "../core/position.js";

/** Where completed positions go once everything before them is done (a `ResumeKeeper`). */
export interface CompletionSink {
  complete(position: Position, events: number): void;
}

/** An event (or id batch) handed to a handler that has not finished with it yet. */
export interface Ticket {
  readonly open: boolean;
}

interface Entry {
  open: boolean;
  /** Reached once this entry and all before it are done; absent for a ticket or a copied document. */
  position: Position | undefined;
  events: number;
  /** Told when the entry is passed (everything up to it is done). */
  onPassed: (() => void) | undefined;
}

/**
 * Keeps the completed position behind every handler still at work: with handlers running in
 * parallel, a later change may finish before an earlier one, and the resume point must not move
 * past the earlier one until it is done — else a crash would lose it.
 *
 * The delivery loop reports what it reaches in stream order (`complete`); a consumer that hands a
 * delivery to a handler running in the background first takes a `hold()` ticket, which comes
 * before everything the loop reports afterwards, and `release`s it when the handler is done.
 * Entries are passed in order, each as soon as it and every entry before it are done; the
 * positions passed go to the sink. Without tickets, everything is passed at once.
 */
export class CompletionOrder {
  private readonly sink: CompletionSink;
  private readonly queue: Entry[] = [];

  constructor(sink: CompletionSink) {
    this.sink = sink;
  }

  /** A place in the order that stays open until released. */
  hold(): Ticket {
    const entry: Entry = { open: true, position: undefined, events: 0, onPassed: undefined };
    this.queue.push(entry);
    return entry;
  }

  /** The handler of this ticket is done. */
  release(ticket: Ticket): void {
    (ticket as Entry).open = false;
    this.drain();
  }

  /**
   * The loop reached `position` (absent for a copied document: the copy's position is reached
   * only once the whole copy is done), `events` of it delivered; `onPassed` is told when
   * everything up to here is done.
   */
  complete(position: Position | undefined, events: number, onPassed?: () => void): void {
    const last = this.queue.at(-1);
    if (last !== undefined && !last.open && last.onPassed === undefined && onPassed === undefined) {
      // Done entries behind a held ticket collapse into one, so the queue stays as short as the tickets out.
      last.position = position ?? last.position;
      last.events += events;
    } else {
      this.queue.push({ open: false, position, events, onPassed });
    }
    this.drain();
  }

  private drain(): void {
    while (this.queue.length > 0 && this.queue[0]?.open === false) {
      const entry = this.queue.shift() as Entry;
      if (entry.position !== undefined) this.sink.complete(entry.position, entry.events);
      entry.onPassed?.();
    }
  }
}

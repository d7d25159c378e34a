import { BSON, type Document } from "../core/bson.js";
import type { ChangeEvent } from "../core/change-event.js";

/**
 * On average one event in this many is measured. Measuring is a walk of the whole document (about
 * 5 µs for one of 1 KB with 50 fields, as much as a quarter of what the rest of the path costs
 * it); one in 32 costs next to nothing. The gap between two measured events is drawn at random
 * (1 to 63), so that no pattern in the stream (every 32nd change a large one) can stay unseen.
 */
const MEAN_GAP = 32;
/** The long-run mean follows the samples with this weight for the newest (1 in 16). */
const MEAN_WEIGHT = 1 / 16;
/** The largest of this many latest samples counts too: a stream whose documents grow is followed from its first large sample. */
const RECENT_SAMPLES = 4;

/**
 * A running estimate of the BSON bytes of one change event (its document, pre-image and update
 * description), from about one event in {@link MEAN_GAP}, the first included. It is the larger of
 * the long-run mean of the samples (which a mix of small and large documents needs) and the
 * largest of the last few (which a stream whose documents grow needs): underestimated, a batch
 * holds more memory than it should; overestimated, it is only smaller.
 */
export class EventBytesEstimate {
  private readonly random: () => number;
  private untilSample = 0;
  private mean: number | undefined;
  private readonly recent: number[] = [];
  private perEvent = 0;

  /** @param random a number in [0, 1), for the gaps between samples. */
  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  observe(event: ChangeEvent): void {
    if (this.untilSample > 0) {
      this.untilSample -= 1;
      return;
    }
    this.untilSample = Math.floor(this.random() * (2 * MEAN_GAP - 1));
    const bytes = eventBytes(event);
    this.mean = this.mean === undefined ? bytes : this.mean + (bytes - this.mean) * MEAN_WEIGHT;
    this.recent.push(bytes);
    if (this.recent.length > RECENT_SAMPLES) this.recent.shift();
    this.perEvent = Math.max(this.mean, ...this.recent);
  }

  /** The estimated bytes of `count` events. */
  of(count: number): number {
    return count * this.perEvent;
  }
}

/** The BSON bytes of an event's document, pre-image and update description. */
export function eventBytes(event: ChangeEvent): number {
  return sizeOf(event.doc) + sizeOf(event.before) + sizeOf(event.update as Document | undefined);
}

function sizeOf(document: Document | undefined): number {
  return document === undefined ? 0 : BSON.calculateObjectSize(document);
}

import { BSON, type Document } from "../core/bson.js";
import type { ChangeEvent } from "../core/change-event.js";

/**
 * One event in this many is measured. Measuring is a walk of the whole document (about 5 µs for
 * one of 1 KB, as much as a quarter of what the rest of the path costs it); one in 32 costs next
 * to nothing, and a batch's count times the mean of the samples still estimates its bytes without
 * bias, whatever the mix of sizes.
 */
const SAMPLE_EVERY = 32;
/** The mean follows the last this many samples, so that it follows a stream whose documents grow. */
const SAMPLES_KEPT = 16;

/**
 * A running estimate of the BSON bytes of one change event (its documents, pre-image and update
 * description), from one event in {@link SAMPLE_EVERY}, the first included: a stream of large
 * documents is known as such from its first event.
 */
export class EventBytesEstimate {
  private seen = 0;
  private samples = 0;
  private mean = 0;

  observe(event: ChangeEvent): void {
    const sampled = this.seen % SAMPLE_EVERY === 0;
    this.seen += 1;
    if (!sampled) return;
    this.samples = Math.min(this.samples + 1, SAMPLES_KEPT);
    this.mean += (eventBytes(event) - this.mean) / this.samples;
  }

  /** The estimated bytes of `count` events. */
  of(count: number): number {
    return count * this.mean;
  }
}

function eventBytes(event: ChangeEvent): number {
  return sizeOf(event.doc) + sizeOf(event.before) + sizeOf(event.update as Document | undefined);
}

function sizeOf(document: Document | undefined): number {
  return document === undefined ? 0 : BSON.calculateObjectSize(document);
}

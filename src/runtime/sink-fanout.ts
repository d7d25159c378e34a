import type { Logger } from "../core/logger.js";
import type { Batch, Sink } from "../core/sink.js";
import { comparePositions, positionDate, type Position } from "../core/position.js";

interface Lane {
  readonly sink: Sink;
  position: Position | undefined;
}

/**
 * Feeds one stream to several sinks, each with a position of its own. The stream starts at
 * the earliest stored position; a sink that is further along skips what it already has, so
 * a sink that fell behind (or failed) catches up without the others applying anything twice.
 * Batches go to every sink at once and the next batch waits for all of them: a slow sink
 * slows the pipeline down, it never makes another one lose changes.
 */
export class SinkFanOut implements Sink {
  readonly name: string;
  readonly transactional: boolean;
  private readonly lanes: readonly Lane[];
  private readonly logger: Logger;
  private failed: string | undefined;

  constructor(sinks: readonly Sink[], logger: Logger) {
    this.lanes = sinks.map((sink) => ({ sink, position: undefined }));
    this.name = sinks.map((sink) => sink.name).join(", ");
    this.transactional = sinks.every((sink) => sink.transactional);
    this.logger = logger;
  }

  /** Opens every sink; the stream must start at the earliest position any of them stored. */
  async open(signal?: AbortSignal): Promise<Position | undefined> {
    const opened: Lane[] = [];
    try {
      for (const lane of this.lanes) {
        lane.position = await lane.sink.open(signal);
        opened.push(lane);
      }
    } catch (error) {
      await Promise.allSettled(opened.map((lane) => lane.sink.close()));
      throw error;
    }
    if (this.lanes.length > 1) {
      for (const lane of this.lanes) {
        this.logger.info({ sink: lane.sink.name, resumeFrom: lane.position ? positionDate(lane.position).toISOString() : "start of the stream" }, "sink opened");
      }
    }
    return this.earliestPosition();
  }

  /** Each sink with the position it continues after, as `open()` found it or as set since. */
  positions(): { readonly sink: Sink; readonly position: Position | undefined }[] {
    return this.lanes.map((lane) => ({ sink: lane.sink, position: lane.position }));
  }

  /** Sets where a sink continues after (the hand-over of its initial snapshot). */
  continueAfter(sink: Sink, position: Position | undefined): void {
    const lane = this.lanes.find((each) => each.sink === sink);
    if (lane) lane.position = position;
  }

  /** The sinks that have not reached `position` yet (one further along already has what happened there). */
  sinksBefore(position: Position): Sink[] {
    return this.lanes.filter((lane) => lane.position === undefined || comparePositions(lane.position, position) < 0).map((lane) => lane.sink);
  }

  /** The earliest position any sink continues after: where the stream must start. */
  earliestPosition(): Position | undefined {
    return this.lanes.flatMap((lane) => (lane.position ? [lane.position] : [])).sort(comparePositions)[0];
  }

  async apply(batch: Batch, signal?: AbortSignal): Promise<void> {
    const results = await Promise.allSettled(this.lanes.map((lane) => this.applyTo(lane, batch, signal)));
    const failures = results.flatMap((result, index) => (result.status === "rejected" ? [{ sink: this.lanes[index]!.sink.name, error: result.reason as unknown }] : []));
    const [first, ...others] = failures;
    if (!first) return;
    this.failed = first.sink;
    for (const other of others) this.logger.error({ sink: other.sink, err: other.error }, "sink failed");
    throw first.error;
  }

  /** The name of the sink whose failure the last failed `apply` threw. */
  failedSink(): string | undefined {
    return this.failed;
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.lanes.map((lane) => lane.sink.close()));
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  private async applyTo(lane: Lane, batch: Batch, signal?: AbortSignal): Promise<void> {
    const from = lane.position;
    if (batch.position === undefined) return lane.sink.apply(batch, signal);
    if (from && comparePositions(batch.position, from) <= 0) return;
    const events = from ? batch.events.filter((event) => comparePositions(event.position, from) > 0) : batch.events;
    await lane.sink.apply(events.length === batch.events.length ? batch : { ...batch, events }, signal);
    lane.position = batch.position;
  }
}

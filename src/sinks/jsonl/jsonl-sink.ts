import { resolve } from "node:path";
import type { ChangeEvent } from "../../core/change-event.js";
import { atLeastOnceSink, type EventWriter } from "../at-least-once-sink.js";
import { eventToJson, type ExtendedJsonFormat } from "../event-json.js";
import type { Sink, SinkContext, SinkFactory } from "../../core/sink.js";
import { JsonlFileWriter } from "./jsonl-file-writer.js";
import { parseJsonlOptions } from "./jsonl-options.js";
import { JsonlStreamWriter } from "./jsonl-stream-writer.js";

const STDOUT = "-";

/**
 * The built-in `jsonl` sink: one line of JSON per event ({@link eventToJson}), appended to a
 * file (flushed to disk before the position is saved) or written to standard output (`path:
 * "-"`, the default). At-least-once: after a crash, the events since the last saved position
 * are written again.
 * @public
 */
export const createJsonlSink: SinkFactory = (options: Readonly<Record<string, unknown>>, context: SinkContext): Sink => {
  const { path, format } = parseJsonlOptions(options, context.sinkName);
  const output: LineOutput =
    path === STDOUT ? new JsonlStreamWriter(process.stdout, "standard output", context.sinkName) : new JsonlFileWriter(resolve(context.baseDir, path), context.sinkName, context.logger);
  return atLeastOnceSink(context.sinkName, linesWriter(output, format), context.positions, { retry: context.retry, logger: context.logger });
};

/** Where the lines go: a file or standard output. */
interface LineOutput {
  open(): void | Promise<void>;
  write(text: string): Promise<void>;
  close(): void | Promise<void>;
}

/** Writes each batch as its lines, one write per batch. */
function linesWriter(output: LineOutput, format: ExtendedJsonFormat): EventWriter {
  return {
    open: async () => output.open(),
    write: (events) => output.write(lines(events, format)),
    close: async () => output.close(),
  };
}

function lines(events: readonly ChangeEvent[], format: ExtendedJsonFormat): string {
  let text = "";
  for (const event of events) text += `${JSON.stringify(eventToJson(event, format))}\n`;
  return text;
}

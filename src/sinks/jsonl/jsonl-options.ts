import { z } from "zod";
import { parseSinkOptions } from "../sink-options.js";

const JsonlOptionsSchema = z.strictObject({
  path: z.string().min(1, "must name a file, or - for standard output").default("-"),
  format: z.enum(["relaxed", "canonical"]).default("relaxed"),
});

/**
 * Options of the `jsonl` sink.
 * @public
 */
export interface JsonlSinkOptions {
  /** The file to append to (relative to the config file's directory), or `-` for standard output. */
  readonly path: string;
  /** Extended JSON flavour of BSON values: `relaxed` (readable numbers) or `canonical` (lossless types). */
  readonly format: "relaxed" | "canonical";
}

/** Validates the `options` of a jsonl sink; `sinkName` names it in errors (`sinks.<name>.options.<field>`). */
export function parseJsonlOptions(options: Readonly<Record<string, unknown>>, sinkName: string): JsonlSinkOptions {
  return parseSinkOptions(JsonlOptionsSchema, options, "jsonl", sinkName);
}

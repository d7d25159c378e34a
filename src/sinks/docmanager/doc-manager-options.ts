import { z } from "zod";
import { parseSinkOptions } from "../sink-options.js";
import type { DocManagerOptions } from "./doc-manager.js";

/**
 * The options the adapter reads from a DocManager sink's `options`. Other keys are the
 * DocManager's own (its constructor gets them all, as mongo-connector's `args`), so they pass.
 */
const DocManagerOptionsSchema = z
  .object({
    uniqueKey: z.string().min(1).optional(),
    chunkSize: z.number().int().positive().optional(),
    autoCommitInterval: z.number().min(0).nullable().optional(),
    values: z.enum(["bson", "plain"]).optional(),
    largeLongs: z.enum(["bigint", "string"]).optional(),
    // Each entry is checked by docManagerSink, for callers from code too.
    namespaces: z.record(z.string(), z.string()).optional(),
  })
  .loose();

/** Validates the adapter's options of a DocManager sink; problems are named `sinks.<name>.options.<field>`. */
export function parseDocManagerOptions(options: Readonly<Record<string, unknown>>, sinkName: string): DocManagerOptions {
  const { autoCommitInterval, ...rest } = parseSinkOptions(DocManagerOptionsSchema, options, "DocManager", sinkName);
  const { uniqueKey, chunkSize, values, largeLongs, namespaces } = rest;
  return { uniqueKey, chunkSize, autoCommitInterval: autoCommitInterval ?? undefined, values, largeLongs, namespaces };
}

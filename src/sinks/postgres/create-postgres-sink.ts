import type { SinkContext, SinkFactory } from "../../core/sink.js";
import { parseSinkOptions } from "../sink-options.js";
import { loadMapping } from "./mapping/load-mapping.js";
import { PostgresSink } from "./postgres-sink.js";
import { PostgresTargetSchema } from "../../config/postgres-target-schema.js";

/**
 * The built-in `postgres` sink, as the config's `target` (or a `sinks` entry with `use:
 * postgres`) describes it: raw mode, or relational mode from a mapping file or inferred. It keeps
 * its position in its own database, in the same transaction as each batch.
 * @internal
 */
export const createPostgresSink: SinkFactory = async (options: Readonly<Record<string, unknown>>, context: SinkContext): Promise<PostgresSink> => {
  const settings = parseSinkOptions(PostgresTargetSchema, options, "postgres", context.sinkName);
  const mapping = settings.mapping ? await loadMapping(settings.mapping, { defaultSchema: settings.schema }) : undefined;
  return new PostgresSink({
    url: settings.url,
    schema: settings.schema,
    checkpointSchema: settings.checkpointSchema,
    tables: settings.tables,
    mapping,
    inferMapping: settings.inferMapping,
    strict: settings.strict,
    adoptTables: settings.adoptTables,
    queryTimeoutMs: settings.queryTimeoutMs,
    commands: settings.commands,
    pipeline: context.pipeline,
    retry: context.retry,
    logger: context.logger,
  });
};

import { openResumePointStore } from "./open-resume-point-store.js";
import type { PositionsConfig, SinkConfig, TributaryConfig } from "../config/config-schema.js";
import { loadMapping } from "../sinks/postgres/mapping/load-mapping.js";
import type { RelationalMapping } from "../sinks/postgres/mapping/table-mapping.js";
import type { Logger } from "../core/logger.js";
import { PostgresSink } from "../sinks/postgres/postgres-sink.js";
import { buildSink } from "../sinks/sink-resolver.js";
import type { Sink } from "../core/sink.js";

/** The sinks of a pipeline: the PostgreSQL target (when configured) first, then the listed sinks. */
export interface PipelineSinks {
  readonly sinks: readonly Sink[];
  readonly postgres: PostgresSink | undefined;
  readonly mapping: RelationalMapping | undefined;
}

/**
 * Builds every sink of the config without connecting anything: a wrong mapping, an unknown
 * sink or bad sink options are reported before the first connection.
 */
export async function buildPipelineSinks(config: TributaryConfig, logger: Logger, baseDir: string): Promise<PipelineSinks> {
  const target = config.target;
  const mapping = target?.mapping ? await loadMapping(target.mapping, { defaultSchema: target.schema }) : undefined;
  const postgres = target
    ? new PostgresSink({
        url: target.url,
        schema: target.schema,
        checkpointSchema: target.checkpointSchema,
        tables: target.tables,
        mapping,
        inferMapping: target.inferMapping,
        strict: target.strict,
        commands: target.commands,
        pipeline: config.name,
        retry: config.retry,
        logger,
      })
    : undefined;
  const extra: Sink[] = [];
  for (const entry of config.sinks) extra.push(await buildListedSink(entry, config, logger, baseDir));
  return { sinks: postgres ? [postgres, ...extra] : extra, postgres, mapping };
}

async function buildListedSink(entry: SinkConfig, config: TributaryConfig, logger: Logger, baseDir: string): Promise<Sink> {
  const key = `${config.name}/${entry.name}`;
  const positions = openResumePointStore(entry.positions ?? defaultPositions(config), key, baseDir);
  const context = { pipeline: config.name, sinkName: entry.name, logger: logger.child({ sink: entry.name }), baseDir, positions };
  try {
    return await buildSink(entry.use, entry.options, context, `sinks.${entry.name}`);
  } catch (error) {
    await positions.close();
    throw error;
  }
}

/** Next to the target's own position when there is a PostgreSQL target; otherwise a file under ./.tributary. */
function defaultPositions(config: TributaryConfig): PositionsConfig {
  const target = config.target;
  const defaults = { schema: target?.checkpointSchema ?? "tributary", database: "tributary", collection: "positions" };
  return target ? { ...defaults, postgres: target.url } : defaults;
}

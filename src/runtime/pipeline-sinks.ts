import type { PositionsConfig, SinkConfig, TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../core/logger.js";
import type { Sink } from "../core/sink.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import { buildSink } from "./sink-resolver.js";
import { openResumePointStore } from "./open-resume-point-store.js";

/** The name under which the config's `target` (PostgreSQL) is a sink of the pipeline. */
export const TARGET_SINK_NAME = "postgres";

/** The sinks of a pipeline: the config's `target` (a `postgres` sink) first, then the listed sinks. */
export interface PipelineSinks {
  readonly sinks: readonly Sink[];
}

/**
 * Builds every sink of the config without connecting anything: a wrong mapping, an unknown
 * sink or bad sink options are reported before the first connection. The `target` section is
 * one more sink entry (`use: postgres`), resolved like every other.
 */
export async function buildPipelineSinks(config: TributaryConfig, logger: Logger, baseDir: string): Promise<PipelineSinks> {
  const entries: SinkConfig[] = config.target ? [{ name: TARGET_SINK_NAME, use: "postgres", options: config.target }, ...config.sinks] : [...config.sinks];
  const sinks: Sink[] = [];
  try {
    for (const entry of entries) sinks.push(await buildListedSink(entry, config, logger, baseDir));
  } catch (error) {
    await Promise.allSettled(sinks.map((sink) => sink.close()));
    throw error;
  }
  return { sinks };
}

async function buildListedSink(entry: SinkConfig, config: TributaryConfig, logger: Logger, baseDir: string): Promise<Sink> {
  const key = `${config.name}/${entry.name}`;
  // Stores connect on first use: one a sink never uses (PostgreSQL keeps its own) costs nothing.
  const positions = await openResumePointStore(entry.positions ?? defaultPositions(config), key, baseDir);
  // The config reserves the name for its target: no listed sink has it.
  const where = entry.name === TARGET_SINK_NAME ? "target" : `sinks.${entry.name}`;
  const context = { pipeline: config.name, sinkName: entry.name, logger: logger.child({ sink: entry.name }), baseDir, positions, retry: config.retry };
  try {
    return await buildSink(entry.use, entry.options, context, where);
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

/**
 * The collections a pipeline reads: `source.include`, or when it is empty and a sink takes only
 * some collections (a mapping file), those (`mapped`: the collections the sinks say they take,
 * when any says so); less `source.exclude`.
 */
export function pipelineNamespaces(config: TributaryConfig, sinks: readonly Sink[]): { filter: NamespaceFilter; include: readonly string[]; mapped: ReadonlySet<string> | undefined } {
  const taken = sinks.flatMap((sink) => (sink.capabilities?.collections ? [sink.capabilities.collections] : []));
  const mapped = taken.length > 0 ? new Set(taken.flatMap((collections) => [...collections])) : undefined;
  const include = config.source.include.length > 0 || !mapped ? config.source.include : [...mapped];
  return { filter: new NamespaceFilter(include, config.source.exclude, mapped), include, mapped };
}

import { resolve } from "node:path";
import type { TributaryConfig } from "../config/config-schema.js";
import { ErrorCode } from "../core/error-codes.js";
import { positionDate, type Position, type WatchStart } from "../core/position.js";
import type { Sink } from "../core/sink.js";
import type { SnapshotSource } from "../core/snapshot-contract.js";
import { isStartPointFile, parseStartPoint } from "../core/start-point.js";
import { TributaryError } from "../core/tributary-error.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";
import { mongoConnectorStart, readMongoConnectorProgress } from "../checkpoint/mongo-connector-progress.js";
import type { Logger } from "../core/logger.js";
import { buildPipelineSinks, pipelineNamespaces } from "./pipeline-sinks.js";
import { SinkFanOut } from "./sink-fanout.js";

/**
 * The config's start point (`source.startAt`, `--start-at`), read before anything connects: a
 * progress file is read now (relative to `baseDir`), so a missing or malformed one is a usage
 * error that touches nothing.
 */
export async function startPointOfConfig(config: TributaryConfig, baseDir: string): Promise<WatchStart | undefined> {
  const text = config.source.startAt;
  if (text === undefined) return undefined;
  const start = parseStartPoint(text, "source.startAt");
  if (!isStartPointFile(start)) return start;
  return mongoConnectorStart(await readMongoConnectorProgress(resolve(baseDir, start.file)));
}

/**
 * A start point applies only to a pipeline none of whose sinks has stored a position: applied
 * on top of one, a restart with the same command would rewind (or skip) the stream every time.
 * Refused with a usage error (exit 2) that names each stored position; nothing was written, and
 * the sinks are closed.
 */
export async function refuseWhenStored(fanOut: SinkFanOut, config: TributaryConfig): Promise<void> {
  try {
    refuseStored(fanOut.positions(), config);
  } catch (error) {
    await fanOut.close();
    throw error;
  }
}

function refuseStored(positions: readonly SinkPosition[], config: TributaryConfig, importing = false): void {
  const stored = positions.flatMap(({ sink, position }) => (position ? [`${sink.name} at ${positionDate(position).toISOString()}`] : []));
  if (stored.length === 0) return;
  const what = importing ? "tributary positions import writes only where none is stored" : "a start point (--start-at, source.startAt) applies only to a pipeline with none";
  const instead = importing ? "The sync continues from the stored position" : "Leave --start-at out to continue from the stored position";
  throw new TributaryError(
    ErrorCode.ConfigInvalid,
    `Pipeline '${config.name}' already has a stored position (${stored.join(", ")}): ${what}. ` +
      `${instead}; to start over at the start point, give the pipeline another --name or delete its stored positions first (tributary status lists them)`,
    { context: { configPath: "source.startAt" } },
  );
}

/** A sink and the position it stored. */
export interface SinkPosition {
  readonly sink: Sink;
  readonly position: Position | undefined;
}

/** Where `storeStartPosition` reads and writes. */
export interface StoreStartOptions {
  readonly baseDir: string;
  /** Only this sink of the pipeline. */
  readonly sinkName?: string;
  /**
   * The collections the other tool copied, read with the pipeline's own filter: recorded as
   * copied (`recordOtherToolsCopy`), so that the next sync does not copy them again.
   */
  readonly otherToolsCopy?: (filter: NamespaceFilter, include: readonly string[]) => SnapshotSource;
}

/**
 * Stores `position` as where the pipeline's sinks (or only `sinkName`) stream from, as a
 * snapshot's hand-over is stored: with the sink's data when it keeps its position atomically
 * (PostgreSQL: its `positions` row), else as a batch of no events saved to its resume point
 * store; then records the other tool's copy when given. The sinks it is stored for (every one,
 * or only `sinkName`) are opened first, and nothing is written when one of them has a position
 * already; the pipeline's other sinks are not opened. Returns the names of the sinks written.
 */
export async function storeStartPosition(config: TributaryConfig, position: Position, logger: Logger, options: StoreStartOptions): Promise<string[]> {
  const { sinks } = await buildPipelineSinks(config, logger, options.baseDir);
  // Only the sinks the position is for are opened: another one's target is neither needed (it may be down) nor touched.
  const chosen = sinks.filter((sink) => options.sinkName === undefined || sink.name === options.sinkName);
  if (chosen.length === 0) {
    const names = sinks.map((sink) => sink.name).join(", ");
    throw new TributaryError(ErrorCode.ConfigInvalid, `Pipeline '${config.name}' has no sink named '${options.sinkName}' (it has ${names})`, { context: { configPath: "sinks" } });
  }
  const fanOut = new SinkFanOut(chosen, logger);
  try {
    await fanOut.open();
    refuseStored(fanOut.positions(), config, true);
    for (const sink of chosen) {
      const atomic = sink.capabilities?.atomicPosition;
      if (atomic) await atomic.startStreamAt(position);
      else await sink.apply({ events: [], position });
    }
    if (options.otherToolsCopy) {
      const { filter, include } = pipelineNamespaces(config, sinks);
      await recordOtherToolsCopy(chosen, options.otherToolsCopy(filter, include), position, config.snapshot.parallelism);
    }
    return chosen.map((sink) => sink.name);
  } finally {
    await fanOut.close();
  }
}

/**
 * After a cutover the other tool's copy is the copy. A sink that copies through a bulk target of
 * its own (PostgreSQL) records which collections it copied, and with `snapshot.mode: initial` a
 * later start would copy every collection missing there; so each included collection it has no
 * record of is recorded as copied (no ranges, done, at the start position). Collections that
 * appear later are still copied when they do.
 */
export async function recordOtherToolsCopy(sinks: readonly Sink[], source: SnapshotSource, startedAt: Position, parallelism: number): Promise<void> {
  const bulk = sinks.flatMap((sink) => (sink.capabilities?.bulkSnapshot ? [sink.capabilities.bulkSnapshot] : []));
  if (bulk.length === 0) return;
  const namespaces = await source.listCollections();
  for (const capability of bulk) {
    const target = capability.snapshotTarget(parallelism);
    try {
      const stored = await target.loadSnapshots();
      for (const namespace of namespaces.filter((each) => !stored.has(each))) {
        await target.startSnapshot({ namespace, startedAt, estimated: 0, ranges: [] });
        await target.finishSnapshot(namespace);
      }
    } finally {
      await target.close();
    }
  }
}

import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../core/logger.js";
import { isTributaryError } from "../core/tributary-error.js";

/** Keeps the target's record of the error the pipeline's sync last stopped on. */
export interface SyncErrorRecorder {
  /** The sync stops on `error` (thrown by `sink`, when one failed): record it. Never throws. */
  failed(error: unknown, sink: string | undefined): Promise<void>;
  /** The sync runs healthy (a batch of the stream was applied): mark a recorded error resolved, once. */
  healthy(): void;
  /** Waits for a `healthy()` mark still being written. */
  settled(): Promise<void>;
}

/**
 * Records in the PostgreSQL target (`<checkpointSchema>.sync_errors`) the error a sync stops on,
 * so that `tributary status` and the status page show it after the process has gone, and marks
 * it resolved once a later sync applies a batch. A pipeline without a PostgreSQL target records
 * nothing (its error is in the log). Recording is best effort: the error may be that PostgreSQL
 * is gone, and the sync's own error must come out either way.
 */
export function syncErrorRecorder(config: TributaryConfig, logger: Logger): SyncErrorRecorder {
  const target = config.target;
  let resolving: Promise<void> | undefined;
  if (!target) return { failed: () => Promise.resolve(), healthy: () => undefined, settled: () => Promise.resolve() };
  const postgres = () => import("../sinks/postgres/index.js");
  return {
    async failed(error, sink) {
      await resolving;
      const report = { pipeline: config.name, sink, code: errorCode(error), message: error instanceof Error ? error.message : String(error), namespace: namespaceOf(error) };
      try {
        await (await postgres()).recordSyncError(target.url, target.checkpointSchema, report);
      } catch (cause) {
        logger.warn({ err: (cause as Error).message }, "could not record the sync's error in the target; tributary status will not show it");
      }
    },
    healthy() {
      resolving ??= postgres()
        .then(({ resolveSyncError }) => resolveSyncError(target.url, target.checkpointSchema, config.name))
        .catch((cause: unknown) => logger.debug({ err: (cause as Error).message }, "could not mark the last recorded error resolved"));
    },
    settled: async () => resolving,
  };
}

function errorCode(error: unknown): string {
  if (isTributaryError(error)) return error.code;
  return error instanceof Error ? error.name : "Error";
}

function namespaceOf(error: unknown): string | undefined {
  return isTributaryError(error) && typeof error.context.namespace === "string" ? error.context.namespace : undefined;
}

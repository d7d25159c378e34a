import type { TributaryConfig } from "../config/config-schema.js";
import { splitNamespace } from "../core/change-event.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import type { Logger } from "../core/logger.js";
import type { Sink } from "../core/sink.js";
import { buildPipelineSinks, pipelineNamespaces } from "../runtime/pipeline-sinks.js";
import { connectMongo } from "../source/mongo-connection.js";
import { MongoVerifySource } from "../source/mongo-verify-source.js";
import { runVerify, type VerifyOutcome, type VerifyRun } from "../verify/run-verify.js";
import type { VerifySettings } from "../verify/verify-collection.js";

export interface PipelineVerifyOptions {
  readonly settings: VerifySettings;
  /** Of the pipeline's collections, only those these `db.collection` patterns match; all when empty. */
  readonly collections?: readonly string[];
  readonly signal: AbortSignal;
  readonly onProgress?: VerifyRun["onProgress"];
}

/**
 * One verify run of a pipeline: builds its sinks, opens those that can read back what they hold
 * (the others are named in the outcome, never opened), connects to MongoDB and verifies every
 * included collection; closes all it opened. Used by `tributary verify` and by the periodic
 * verify of a running sync.
 */
export async function verifyPipeline(config: TributaryConfig, logger: Logger, options: PipelineVerifyOptions): Promise<VerifyOutcome> {
  const { sinks } = await buildPipelineSinks(config, logger, process.cwd());
  const opened: Sink[] = [];
  try {
    for (const sink of sinks.filter((each) => each.capabilities?.verifiable)) {
      await sink.open(options.signal);
      opened.push(sink);
    }
    // The collections the sync reads, read the same way: verify compares what the sync was given.
    const { filter, include } = pipelineNamespaces(config, sinks);
    const deployment = await connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs });
    try {
      const source = new MongoVerifySource(deployment, { filter, include });
      const wanted = options.collections && options.collections.length > 0 ? new NamespaceFilter(options.collections, []) : undefined;
      return await runVerify({
        source,
        sinks,
        settings: options.settings,
        ...(wanted ? { collections: (namespace: string) => wanted.includes(splitNamespace(namespace)) } : {}),
        logger,
        signal: options.signal,
        onProgress: options.onProgress,
      });
    } finally {
      await deployment.client.close();
    }
  } finally {
    await Promise.allSettled(opened.map((sink) => sink.close()));
  }
}

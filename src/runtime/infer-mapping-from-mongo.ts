import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import type { MappingFile } from "../sinks/postgres/index.js";
import type { Logger } from "../core/logger.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import { connectMongo } from "../source/mongo-connection.js";
import { listIncludedCollections, sampleCollections } from "../source/sample-collections.js";

/** What `tributary mapping infer` samples. @public */
export interface InferMappingRequest {
  readonly uri: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Documents sampled per collection. */
  readonly sampleSize: number;
  readonly serverSelectionTimeoutMs: number;
}

/**
 * Samples every included collection of a deployment and infers a mapping file from the
 * documents (see {@link inferMapping}).
 * @public
 */
export async function inferMappingFromMongo(request: InferMappingRequest, logger: Logger): Promise<MappingFile> {
  const deployment = await connectMongo(request.uri, { serverSelectionTimeoutMs: request.serverSelectionTimeoutMs });
  try {
    const filter = new NamespaceFilter(request.include, request.exclude);
    const namespaces = await listIncludedCollections(deployment.client, filter, request.include, deployment.where);
    if (namespaces.length === 0) {
      const patterns = request.include.length > 0 ? `--include ${request.include.join(", ")}` : "any pattern";
      throw new TributaryError(ErrorCode.ConfigInvalid, `No collection of ${deployment.where} matches ${patterns}${request.exclude.length > 0 ? ` (minus --exclude ${request.exclude.join(", ")})` : ""}: nothing to infer a mapping from`, {
        context: { configPath: "source.include" },
      });
    }
    const samples = await sampleCollections(deployment.client, namespaces, request.sampleSize, deployment.where);
    for (const [namespace, documents] of samples) logger.info({ namespace, documents: documents.length }, "sampled");
    const { inferMapping } = await import("../sinks/postgres/index.js");
    return inferMapping(samples);
  } finally {
    await deployment.client.close();
  }
}

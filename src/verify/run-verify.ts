import type { Logger } from "../core/logger.js";
import type { Sink } from "../core/sink.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { verifyCollection, type VerifyContext, type VerifySettings } from "./verify-collection.js";
import type { CollectionVerification } from "./verify-report.js";
import type { VerifySource } from "./verify-source.js";

/** @internal */
export interface VerifyRun {
  readonly source: VerifySource;
  /** The pipeline's sinks, opened. */
  readonly sinks: readonly Sink[];
  readonly settings: VerifySettings;
  /** Of the source's collections, verify only those this says yes to; all when absent. */
  readonly collections?: (namespace: string) => boolean;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly onProgress?: VerifyContext["onProgress"];
}

/** What `tributary verify` found. @internal */
export interface VerifyOutcome {
  readonly collections: readonly CollectionVerification[];
  /** Sinks that cannot read back what they hold, so were not verified. */
  readonly notVerifiable: readonly string[];
  /** True when every collection of every verified sink is equal to the source. */
  readonly equal: boolean;
}

type VerifiableSink = VerifyContext["sink"];

function isVerifiable(sink: Sink): sink is VerifiableSink {
  return sink.capabilities?.verifiable !== undefined;
}

/**
 * Verifies every included collection against every sink that can read back what it holds
 * (the `verifiable` capability), one collection at a time, each read with the snapshot's
 * parallelism. A sink that cannot is named in the outcome; when none can, it is a usage error.
 * @internal
 */
export async function runVerify(run: VerifyRun): Promise<VerifyOutcome> {
  const verifiable = run.sinks.filter(isVerifiable);
  const notVerifiable = run.sinks.filter((sink) => !isVerifiable(sink)).map((sink) => sink.name);
  if (verifiable.length === 0) {
    throw new TributaryError(
      ErrorCode.ConfigInvalid,
      `None of the pipeline's sinks can be verified: ${notVerifiable.join(", ") || "there are none"} cannot read back what they hold. ` +
        "verify compares MongoDB with a sink that offers the 'verifiable' capability (the PostgreSQL target, raw or relational)",
      { context: { configPath: "target" } },
    );
  }
  for (const name of notVerifiable) run.logger.warn({ sink: name }, "this sink cannot read back what it holds: not verified");
  const namespaces = (await run.source.listCollections()).filter((namespace) => run.collections?.(namespace) ?? true);
  const collections: CollectionVerification[] = [];
  for (const sink of verifiable) {
    const taken: ReadonlySet<string> | undefined = sink.capabilities.collections;
    for (const namespace of namespaces) {
      if (run.signal.aborted) break;
      if (taken && !taken.has(namespace)) continue;
      collections.push(await verifyCollection(namespace, { source: run.source, sink, settings: run.settings, logger: run.logger, signal: run.signal, onProgress: run.onProgress }));
    }
  }
  return { collections, notVerifiable, equal: !run.signal.aborted && collections.every((each) => each.equal) };
}

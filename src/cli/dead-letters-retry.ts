import type { TributaryConfig } from "../config/config-schema.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { createLogger } from "../observability/logger.js";
import { buildPipelineSinks } from "../runtime/pipeline-sinks.js";
import { retryDeadLetters, type RetryOutcome } from "../runtime/retry-dead-letters.js";
import { connectMongo } from "../source/mongo-connection.js";
import { MongoVerifySource } from "../source/mongo-verify-source.js";
import type { CommandOutput } from "./images-command.js";
import { checkBeforeConnecting, logWarnings } from "./pipeline-command.js";
import { configFromFlags, type SyncFlags } from "./sync-options.js";

/** The flags of `tributary dead-letters retry`, as commander parses them. */
export interface RetryFlags extends Pick<SyncFlags, "from" | "to" | "name" | "schema" | "mapping" | "inferMapping" | "config" | "logLevel" | "verbose" | "prettyLogs"> {
  readonly collection?: string;
  readonly olderThan?: number;
  readonly yes?: boolean;
}

/**
 * `tributary dead-letters retry`: copies the documents of the selected dead letters of the
 * PostgreSQL target again from MongoDB as they are now, then deletes those dead letters. Without
 * `--yes` it only says what it would retry. Fails (exit 1) when some were set aside again.
 */
export async function retryDeadLetterAction(flags: RetryFlags, output: CommandOutput): Promise<void> {
  const { from, to, name, schema, mapping, inferMapping, config: configFile, logLevel, verbose, prettyLogs } = flags;
  // The sync's own config, so that the sink writes the same tables, in the same mode, as the sync.
  const config = retryConfig(await configFromFlags({ from, to, name, schema, mapping, inferMapping, config: configFile, logLevel, verbose, prettyLogs }));
  const target = config.target;
  if (!target) throw new TributaryError(ErrorCode.ConfigInvalid, "Invalid configuration: dead-letters retry writes to the PostgreSQL target: target.url is required (set it with --to or in a --config file)", { context: { configPath: "target.url" } });
  const logger = createLogger(config.log);
  logWarnings(checkBeforeConnecting(config), logger);
  const postgres = await import("../sinks/postgres/index.js");
  // Only this pipeline's: the sink sets documents aside (again) under the pipeline's name.
  const letters = await postgres.selectDeadLetters(target.url, target.checkpointSchema, { pipeline: config.name, collection: flags.collection, olderThanMs: flags.olderThan });
  if (!flags.yes) {
    output.write(letters.length === 0 ? "no dead letters to retry\n" : `${describe(letters)} would be retried from MongoDB as they are now; add --yes to retry them\n`);
    return;
  }
  if (letters.length === 0) {
    output.write("no dead letters to retry\n");
    return;
  }
  const { sinks } = await buildPipelineSinks(config, logger, process.cwd());
  // The target is the first sink; the listed ones keep no dead letters of this table.
  const [sink, ...others] = sinks;
  await Promise.allSettled(others.map((other) => other.close()));
  if (!sink) return;
  try {
    // MongoDB first: when it cannot be reached, nothing in the target is touched.
    const deployment = await connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs });
    try {
      await sink.open();
      const source = new MongoVerifySource(deployment, { filter: new NamespaceFilter([], []), include: [] });
      const settle = (namespace: string, retried: readonly (typeof letters)[number][]): Promise<number> => postgres.settleRetriedDeadLetters(target.url, target.checkpointSchema, config.name, namespace, retried);
      const outcome = await retryDeadLetters(letters, source, sink, settle);
      output.write(summary(outcome));
      if (outcome.setAsideAgain > 0) throw new Error(`${outcome.setAsideAgain} document(s) still cannot be written and were set aside again (see dead-letters list)`);
    } finally {
      await deployment.client.close();
    }
  } finally {
    await sink.close();
  }
}

/**
 * The sync's config as the retry writes with it: a document that still does not fit is set aside
 * again whatever `target.strict` says. Strict, the sink would stop on it instead, and the batch
 * would roll back with it every other document of the batch that now fits.
 */
export function retryConfig(config: TributaryConfig): TributaryConfig {
  return config.target ? { ...config, target: { ...config.target, strict: false } } : config;
}

function describe(letters: readonly { namespace: string; key: string }[]): string {
  const perCollection = new Map<string, Set<string>>();
  for (const letter of letters) perCollection.set(letter.namespace, (perCollection.get(letter.namespace) ?? new Set()).add(letter.key));
  const parts = [...perCollection].map(([namespace, keys]) => `${namespace}: ${keys.size}`);
  return `${letters.length} dead letter(s) (${parts.join(", ")} document(s))`;
}

function summary(outcome: RetryOutcome): string {
  return `retried ${outcome.letters} dead letter(s), ${outcome.documents} document(s): written ${outcome.written}, set aside again ${outcome.setAsideAgain}, gone from MongoDB ${outcome.gone}\n`;
}

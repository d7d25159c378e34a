import { readConfigFile, mergeConfig, validateConfig } from "../config/load-config.js";
import type { TributaryConfig } from "../config/config-schema.js";
import { envValue } from "../config/interpolate-env.js";
import type { CommonFlags } from "./command-options.js";
import { parseSinkFlag } from "./sink-flag.js";

/** The flags of `tributary sync`, as commander parses them. */
export interface SyncFlags extends CommonFlags {
  readonly from?: string;
  readonly to?: string;
  readonly include?: string[];
  readonly exclude?: string[];
  readonly name?: string;
  readonly schema?: string;
  readonly mapping?: string;
  readonly inferMapping?: boolean;
  readonly sample?: number;
  readonly strict?: boolean;
  readonly adoptTables?: boolean;
  readonly sink?: string[];
  readonly snapshot?: string;
  readonly startAt?: string;
  readonly snapshotParallelism?: number;
  readonly http?: string;
}

const FLAG_OF_PATH: Readonly<Record<string, string>> = {
  "source.uri": "--from",
  "target.url": "--to",
};

/**
 * Builds the validated config of a sync: the config file first (`${NAME}` filled from `env`),
 * then the flags on top (a flag wins over the file). Errors name the config path and the flag that sets it.
 */
export async function configFromFlags(flags: SyncFlags, env: NodeJS.ProcessEnv = process.env): Promise<TributaryConfig> {
  const fromFile = flags.config ? await readConfigFile(flags.config, env) : {};
  // Secrets can come from files: TRIBUTARY_MONGODB_URI_FILE, TRIBUTARY_POSTGRES_URL_FILE.
  const from = flags.from || envValue("TRIBUTARY_MONGODB_URI", env, "the environment");
  const to = flags.to || envValue("TRIBUTARY_POSTGRES_URL", env, "the environment");
  const fromFlags = {
    name: flags.name,
    // An empty value (e.g. an empty environment variable) counts as not given.
    source: { uri: from || undefined, include: flags.include, exclude: flags.exclude, sampleSize: flags.sample, startAt: flags.startAt },
    target: someDefined({ url: to || undefined, schema: flags.schema, mapping: flags.mapping, inferMapping: flags.inferMapping, strict: flags.strict, adoptTables: flags.adoptTables }),
    snapshot: someDefined({ mode: flags.snapshot, parallelism: flags.snapshotParallelism }),
    http: someDefined({ listen: flags.http }),
    log: { level: flags.verbose ? "debug" : flags.logLevel, pretty: flags.prettyLogs },
  };
  const merged = mergeConfig(fromFile, fromFlags);
  if (flags.sink) merged.sinks = [...(Array.isArray(merged.sinks) ? (merged.sinks as unknown[]) : []), ...flags.sink.map(parseSinkFlag)];
  try {
    return validateConfig(merged, flags.config);
  } catch (error) {
    const path = (error as { context?: { configPath?: string } }).context?.configPath ?? "";
    const flag = FLAG_OF_PATH[path];
    if (flag && error instanceof Error) error.message += ` (set it with ${flag}${flags.config ? "" : " or in a --config file"})`;
    throw error;
  }
}

/** The object, or `undefined` when none of its values is set, so an unused flag group adds nothing. */
function someDefined<T extends object>(values: T): T | undefined {
  return Object.values(values).some((value) => value !== undefined) ? values : undefined;
}

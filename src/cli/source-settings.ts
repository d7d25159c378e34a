import { filterWarnings } from "../config/filter-warnings.js";
import { mongoUriProblem } from "../config/connection-strings.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { mongoClientFor } from "../source/mongo-connection.js";
import type { CommonFlags } from "./command-options.js";
import { checkBeforeConnecting } from "./pipeline-command.js";
import { configFromFlags } from "./sync-options.js";

/** The MongoDB flags of the commands that only read MongoDB (`mapping infer`, `images`). */
export interface SourceFlags extends CommonFlags {
  readonly from?: string;
  readonly include?: string[];
  readonly exclude?: string[];
  readonly sample?: number;
}

/** Where and what to read, checked as sync checks it, before connecting. */
export interface SourceSettings {
  readonly uri: string;
  readonly include: string[];
  readonly exclude: string[];
  readonly sampleSize: number;
  readonly serverSelectionTimeoutMs: number;
  /** Filters that can match nothing. */
  readonly warnings: string[];
}

/**
 * The source settings of a command that reads MongoDB only. With --config, the whole config file
 * is read and checked as sync checks it (every section validated, `${NAME}` filled, the
 * connection strings parsed, filters that can match nothing found), the flags on top; its
 * `source` section is what the command uses. Without it, the flags alone, checked the same way.
 * Nothing connects before this returns.
 */
export async function sourceSettings(flags: SourceFlags): Promise<SourceSettings> {
  if (flags.config) return sourceOfConfig(flags);
  const uri = flags.from;
  if (!uri) throw new TributaryError(ErrorCode.ConfigInvalid, "Invalid configuration: source.uri is required (set it with --from, TRIBUTARY_MONGODB_URI or in a --config file)", { context: { configPath: "source.uri" } });
  const problem = mongoUriProblem(uri);
  if (problem) throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid configuration: source.uri: ${problem}`, { context: { configPath: "source.uri" } });
  const serverSelectionTimeoutMs = 10_000;
  void mongoClientFor(uri, serverSelectionTimeoutMs).close();
  const include = flags.include ?? [];
  const exclude = flags.exclude ?? [];
  return { uri, include, exclude, sampleSize: flags.sample ?? 1000, serverSelectionTimeoutMs, warnings: filterWarnings(include, exclude) };
}

async function sourceOfConfig(flags: SourceFlags): Promise<SourceSettings> {
  const config = await configFromFlags(flags);
  const warnings = checkBeforeConnecting(config);
  const { uri, include, exclude, sampleSize, serverSelectionTimeoutMs } = config.source;
  return { uri, include, exclude, sampleSize, serverSelectionTimeoutMs, warnings };
}

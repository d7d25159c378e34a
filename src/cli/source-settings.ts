import { filterWarnings } from "../config/filter-warnings.js";
import { mongoUriProblem } from "../config/connection-strings.js";
import { readConfigFile } from "../config/load-config.js";
import { ErrorCode } from "../core/error-codes.js";
import { isPlainObject } from "../core/plain-object.js";
import { TributaryError } from "../core/tributary-error.js";
import { mongoClientFor } from "../source/mongo-connection.js";
import type { CommonFlags } from "./command-options.js";

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
 * The source settings of a command that reads MongoDB only: its flags over the `source` section of
 * the --config file (`${NAME}` filled), the connection string parsed by the driver and the filters
 * checked before anything connects.
 */
export async function sourceSettings(flags: SourceFlags): Promise<SourceSettings> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const source = isPlainObject(file.source) ? file.source : {};
  const uri = flags.from || (typeof source.uri === "string" ? source.uri : undefined);
  if (!uri) throw new TributaryError(ErrorCode.ConfigInvalid, "Invalid configuration: source.uri is required (set it with --from, TRIBUTARY_MONGODB_URI or in a --config file)", { context: { configPath: "source.uri" } });
  const problem = mongoUriProblem(uri);
  if (problem) throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid configuration: source.uri: ${problem}`, { context: { configPath: "source.uri" } });
  const serverSelectionTimeoutMs = typeof source.serverSelectionTimeoutMs === "number" ? source.serverSelectionTimeoutMs : 10_000;
  void mongoClientFor(uri, serverSelectionTimeoutMs).close();
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []);
  const include = flags.include ?? strings(source.include);
  const exclude = flags.exclude ?? strings(source.exclude);
  const sampleSize = flags.sample ?? (typeof source.sampleSize === "number" ? source.sampleSize : 1000);
  return { uri, include, exclude, sampleSize, serverSelectionTimeoutMs, warnings: filterWarnings(include, exclude) };
}

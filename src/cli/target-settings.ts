import { postgresUrlProblem } from "../config/connection-strings.js";
import { envValue } from "../config/interpolate-env.js";
import { readConfigFile } from "../config/load-config.js";
import { ErrorCode } from "../core/error-codes.js";
import { isPlainObject } from "../core/plain-object.js";
import { TributaryError } from "../core/tributary-error.js";
import type { CommonFlags } from "./command-options.js";

/** The flags of the commands that read a PostgreSQL target's own tables (`status`, `dead-letters`). */
export interface TargetFlags extends CommonFlags {
  readonly to?: string;
  readonly name?: string;
}

/**
 * The target's URL, checkpoint schema and pipeline: the flags over the --config file (`${NAME}`
 * filled), the URL checked as sync checks it, before connecting.
 */
export async function targetSettings(flags: TargetFlags): Promise<{ url: string; schema: string; pipeline: string | undefined }> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const target = isPlainObject(file.target) ? file.target : {};
  const url = flags.to || envValue("TRIBUTARY_POSTGRES_URL", process.env, "the environment") || (typeof target.url === "string" ? target.url : undefined);
  if (!url) throw new TributaryError(ErrorCode.ConfigInvalid, "Invalid configuration: target.url is required (set it with --to, TRIBUTARY_POSTGRES_URL or in a --config file)", { context: { configPath: "target.url" } });
  const problem = postgresUrlProblem(url);
  if (problem) throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid configuration: target.url: ${problem}`, { context: { configPath: "target.url" } });
  const schema = typeof target.checkpointSchema === "string" ? target.checkpointSchema : "tributary";
  return { url, schema, pipeline: flags.name ?? (typeof file.name === "string" ? file.name : undefined) };
}

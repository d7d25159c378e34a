import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { describeIssue } from "../core/zod-issues.js";
import { isPlainObject } from "../core/plain-object.js";
import { readStructuredFile } from "../core/structured-file.js";
import { ConfigSchema, type TributaryConfig } from "./config-schema.js";
import { interpolateEnv } from "./interpolate-env.js";

type PlainObject = Record<string, unknown>;

/** Reads a YAML or JSON config file into a plain object (not yet validated), `${NAME}` references filled from `env`. */
export async function readConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<PlainObject> {
  return interpolateEnv(await readStructuredFile(path, "config file"), env, path) as PlainObject;
}

/** Deep-merges `override` onto `base`; arrays and scalars in `override` replace. */
export function mergeConfig(base: PlainObject, override: PlainObject): PlainObject {
  const merged: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

/**
 * Validates a raw config. Every problem is reported with its path (`source.uri`,
 * `batch.maxSize`), and the file it came from when there is one.
 * @public
 */
export function validateConfig(raw: unknown, origin?: string): TributaryConfig {
  const result = ConfigSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    describeIssue(issue, {
      unknown: "setting",
      root: "(root)",
      required: true,
      reword: (issue) => (issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : undefined),
    }),
  );
  const where = origin ? ` in ${origin}` : "";
  const first = result.error.issues[0];
  throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid configuration${where}: ${problems.join("; ")}`, {
    context: { configPath: first ? first.path.join(".") : "" },
  });
}

import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { describeIssue } from "../core/zod-issues.js";
import { isPlainObject } from "../core/plain-object.js";
import { ConfigSchema, type TributaryConfig } from "./config-schema.js";

type PlainObject = Record<string, unknown>;

/** Reads a YAML or JSON config file into a plain object (not yet validated). */
export function readConfigFile(path: string): Promise<PlainObject> {
  return readStructuredFile(path, "config file");
}

/**
 * Reads a YAML or JSON file (JSON when it ends in `.json`) into a plain object; `what` names
 * the file in errors ("config file", "mapping file").
 */
export async function readStructuredFile(path: string, what: string): Promise<PlainObject> {
  const What = what.charAt(0).toUpperCase() + what.slice(1);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String((cause as Error).message);
    throw new TributaryError(ErrorCode.ConfigFileUnreadable, `Cannot read ${what} ${path}: ${reason}`, { cause, context: { configPath: path } });
  }
  const format = extname(path) === ".json" ? "JSON" : "YAML";
  let parsed: unknown;
  try {
    parsed = format === "JSON" ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new TributaryError(ErrorCode.ConfigInvalid, `${What} ${path} is not valid ${format}: ${(cause as Error).message.split("\n")[0]}`, {
      cause,
      context: { configPath: path },
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TributaryError(ErrorCode.ConfigInvalid, `${What} ${path} must hold a mapping (key: value), not ${Array.isArray(parsed) ? "a list" : typeof parsed}`, {
      context: { configPath: path },
    });
  }
  return parsed as PlainObject;
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

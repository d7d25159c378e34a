import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { ErrorCode } from "./error-codes.js";
import { TributaryError } from "./tributary-error.js";

type PlainObject = Record<string, unknown>;

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

import { readFileSync } from "node:fs";
import { ErrorCode } from "../core/error-codes.js";
import { isPlainObject } from "../core/plain-object.js";
import { TributaryError } from "../core/tributary-error.js";

/** `${NAME}`, `${NAME:-default}`, and `$${` for a literal `${`. */
const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Fills `${NAME}` and `${NAME:-default}` in every string of a config file from the
 * environment, so secrets stay out of the file. When NAME is not set but `NAME_FILE` is, the
 * value is that file's content without its final line break (the Docker and Kubernetes secrets
 * convention). A reference that cannot be filled is a config error naming the setting.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, origin: string, path: readonly string[] = []): unknown {
  if (typeof value === "string") return interpolateString(value, env, origin, path);
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, origin, [...path, String(index)]));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, origin, [...path, key])]));
  return value;
}

function interpolateString(text: string, env: NodeJS.ProcessEnv, origin: string, path: readonly string[]): string {
  return text.replace(REFERENCE, (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
    if (escaped) return whole.slice(1);
    const value = envValue(name, env, origin, path);
    if (value !== undefined && value !== "") return value;
    if (fallback !== undefined) return fallback;
    const setting = path.join(".") || "(root)";
    throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid configuration in ${origin}: ${setting} uses \${${name}}, but neither ${name} nor ${name}_FILE is set in the environment`, {
      context: { configPath: setting },
    });
  });
}

/** NAME, else the content of the file NAME_FILE names. */
export function envValue(name: string, env: NodeJS.ProcessEnv, origin: string, path: readonly string[] = []): string | undefined {
  if (env[name] !== undefined && env[name] !== "") return env[name];
  const file = env[`${name}_FILE`];
  if (file === undefined || file === "") return undefined;
  try {
    return readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (cause) {
    const setting = path.length > 0 ? ` (for ${path.join(".")} in ${origin})` : "";
    throw new TributaryError(ErrorCode.ConfigFileUnreadable, `Cannot read ${name}_FILE ${file}${setting}: ${(cause as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (cause as Error).message}`, {
      cause,
      context: { configPath: `${name}_FILE` },
    });
  }
}

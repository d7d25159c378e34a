import { isTributaryError } from "../core/tributary-error.js";

/**
 * One line for users (`tributary: error: <what> [code]`); with `verbose`, the stack and the
 * chain of causes underneath.
 */
export function formatError(error: unknown, verbose: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = isTributaryError(error) ? ` [${error.code}]` : "";
  const line = `tributary: error: ${message.split("\n")[0]}${code}`;
  if (!verbose) return line;
  const details: string[] = [line];
  let current: unknown = error;
  while (current instanceof Error) {
    details.push(current.stack ?? `${current.name}: ${current.message}`);
    current = current.cause;
    if (current !== undefined) details.push("caused by:");
  }
  return details.join("\n");
}

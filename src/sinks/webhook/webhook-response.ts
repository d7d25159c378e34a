import { redactSecrets, redactedMessage } from "../../core/redact.js";

/** How much of a refusing receiver's answer goes into the error: enough to see why, not a whole HTML page. */
const SNIPPET_CHARS = 300;
/** Bytes read to get those characters (UTF-8 needs up to four per character); the rest is never downloaded. */
const SNIPPET_BYTES = SNIPPET_CHARS * 4;

/**
 * The first 300 characters of a response body on one line, in quotes, or a note saying why
 * there are none. Reading stops after a few kilobytes, however long the body.
 */
export async function readBodySnippet(response: Response, timeoutMs: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "empty body";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    if (size === 0) return `body unreadable: ${describeFetchFailure(error, timeoutMs)}`;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).toString("utf8").replace(/\s+/g, " ").trim();
  if (text === "") return "empty body";
  const snippet = text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
  return JSON.stringify(redactSecrets(snippet));
}

/**
 * Why fetch threw, in words: `timed out after 10000 ms`, or the network error underneath
 * fetch's generic "fetch failed" (`connect ECONNREFUSED 127.0.0.1:8080`).
 */
export function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError") return `timed out after ${timeoutMs} ms`;
  if (error instanceof Error && error.name === "AbortError") return "aborted";
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof AggregateError) {
    const inner = cause.errors[0] as unknown;
    if (inner instanceof Error && inner.message !== "") return redactSecrets(inner.message);
  }
  if (cause instanceof Error && cause.message !== "") return redactSecrets(cause.message);
  return redactedMessage(error);
}

import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ClientBase } from "pg";
import { from as copyFrom } from "pg-copy-streams";

/**
 * Rows of one table in a streaming batch from which they go through COPY instead of
 * jsonb_to_recordset: below it, the COPY's extra round trips (and the staging table's) cost more
 * than PostgreSQL's parsing of the JSON saves. Measured with the bench's orders (mapping file) at
 * batches of 100, 200, 500 and 2000: COPY was level at 200 and ahead from 500 (docs/benchmarks.md).
 */
export const COPY_FROM_ROWS = 200;

/** Rows are sent in pieces of about this many characters: fewer, larger writes to the socket. */
const PIECE_CHARS = 64 * 1024;
const COPY_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** The NULL marker of `COPY … FROM STDIN` in text format. */
export const COPY_NULL = "\\N";

/**
 * A field of `COPY … FROM STDIN` in text format: backslash, tab, newline and carriage return
 * escaped, everything else as is. With every backslash doubled, no field can read as the NULL
 * marker `\N` or the end-of-data line `\.`.
 */
export function copyText(value: string): string {
  // Most text has nothing to escape. Four scans for one character each take a quarter of the
  // time of a replace that finds nothing, and half that of a test of the same expression.
  const plain = !value.includes("\\") && !value.includes("\t") && !value.includes("\n") && !value.includes("\r");
  return plain ? value : value.replace(/[\\\t\n\r]/g, (char) => COPY_ESCAPES[char] ?? char);
}

/**
 * {@link copyText} of JSON text as `JSON.stringify` makes it (no indentation): JSON writes tab,
 * newline and carriage return inside strings as escapes, so only backslashes need doubling, and
 * most documents have none; a scan for one costs a thirtieth of the regular expression.
 */
export function copyJsonText(json: string): string {
  return json.includes("\\") ? json.replaceAll("\\", "\\\\") : json;
}

/**
 * Writes cluster times (whole seconds) as the timestamp text COPY reads. Consecutive rows mostly
 * share their cluster time's second (a snapshot chunk's rows all of it): its text is made once.
 */
export function clusterTimeText(): (seconds: number) => string {
  let last: number | undefined;
  let text = "";
  return (seconds) => {
    if (seconds !== last) {
      last = seconds;
      text = new Date(seconds * 1000).toISOString();
    }
    return text;
  };
}

/**
 * Lines (each ending in a newline) joined into pieces of about {@link PIECE_CHARS}. Gathered in an
 * array and joined once: a piece made by `+=` is a tree of its lines that the socket's write then
 * flattens, which took 1.9 µs per document of the bench's orders against 0.5 µs (docs/benchmarks.md,
 * fifteenth pass).
 */
export function* copyPieces(lines: Iterable<string>): Generator<string> {
  let piece: string[] = [];
  let chars = 0;
  for (const line of lines) {
    piece.push(line);
    chars += line.length;
    if (chars >= PIECE_CHARS) {
      yield piece.join("");
      piece = [];
      chars = 0;
    }
  }
  if (chars > 0) yield piece.join("");
}

/** `COPY <destination> FROM STDIN` (text format) of the lines, read as they are sent; returns the rows PostgreSQL read. */
export function copyLines(client: ClientBase, destination: string, lines: Iterable<string>): Promise<number> {
  return copyFromStdin(client, destination, "", copyPieces(lines));
}

/**
 * `COPY <destination> FROM STDIN<options>` of the chunks, read as they are sent; returns the rows
 * PostgreSQL inserted (those a `BEFORE INSERT` trigger kept out of the table are not counted).
 */
export async function copyFromStdin(client: ClientBase, destination: string, options: string, chunks: Iterable<string | Buffer>): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${destination} FROM STDIN${options}`));
  await pipeline(Readable.from(chunks), copy);
  return copy.rowCount;
}

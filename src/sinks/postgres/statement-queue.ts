import type { PoolClient } from "pg";

/**
 * What the row writers need of a connection: statements whose results they do not read. A
 * `PoolClient` runs each at once; a {@link StatementQueue} keeps them to send together.
 */
export interface Statements {
  query(text: string, values?: readonly unknown[]): Promise<unknown>;
}

/**
 * Statements kept in order, to be sent in one round trip as one simple-protocol query (several
 * statements, parameters written in as literals), instead of one round trip each. A batch of one
 * change thus costs a round trip for all its statements and one for COMMIT, rather than one per
 * statement. Sending fails as a whole on the first statement PostgreSQL refuses, with that error.
 */
export class StatementQueue implements Statements {
  private readonly texts: string[] = [];

  /** Queues a statement (its promise settles at once: nothing is sent yet). */
  query(text: string, values: readonly unknown[] = []): Promise<void> {
    this.add(text, values);
    return Promise.resolve();
  }

  add(text: string, values: readonly unknown[] = []): void {
    this.texts.push(inlineParameters(text, values));
  }

  /** Sends every queued statement in one round trip. */
  async send(client: PoolClient): Promise<void> {
    if (this.texts.length > 0) await client.query(this.texts.join(";\n"));
  }
}

/**
 * `$n` placeholders replaced by the literals of their values. Quoted identifiers and string
 * literals are copied as they are (a table may be named `"a$1"`); the statements the writers make
 * have no dollar-quoted strings.
 */
export function inlineParameters(text: string, values: readonly unknown[]): string {
  if (values.length === 0) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"' || char === "'") {
      const end = closingQuote(text, i);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    const placeholder = char === "$" ? /^\$(\d+)/.exec(text.slice(i, i + 12)) : null;
    if (placeholder) {
      const index = Number(placeholder[1]) - 1;
      if (index < 0 || index >= values.length) throw new Error(`statement refers to $${index + 1}, but has ${values.length} parameters`);
      out += sqlLiteral(values[index]);
      i += placeholder[0].length;
      continue;
    }
    out += char;
    i += 1;
  }
  return out;
}

/** The index just past the quote closing the one at `start` (a doubled quote is part of the text). */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  return i;
}

/**
 * A parameter value as a SQL literal, as node-postgres would send it: NULL, text (quoted, typed
 * by the statement's cast or column as a parameter is), a date in ISO-8601 UTC, an array as an
 * array literal, an object as its JSON.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  const text = literalText(value);
  // As node-postgres's escapeLiteral writes it (E'' with doubled backslashes, read the same with
  // any standard_conforming_strings), without its character-by-character loop: documents are large.
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes("\\") ? ` E${quoted.replace(/\\/g, "\\\\")}` : quoted;
}

function literalText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `{${value.map(arrayElement).join(",")}}`;
  if (typeof value === "object") return JSON.stringify(value);
  throw new Error(`no SQL literal for a ${typeof value}`);
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  return `"${literalText(value).replace(/[\\"]/g, "\\$&")}"`;
}

import { createHash } from "node:crypto";
import type { ClientBase } from "pg";
import { sendExtendedBatch, type BatchStatement } from "./extended-batch.js";

/**
 * What the row writers need of a connection: statements whose results they do not read. A
 * `PoolClient` runs each at once; a {@link StatementQueue} keeps them to send together.
 */
export interface Statements {
  query(text: string, values?: readonly unknown[]): Promise<unknown>;
}

/**
 * Statement texts a connection has prepared (a Parse of the protocol, named), by text; `"inline"`, for the
 * rest of its life, for a connection that cannot keep them (a pooler in transaction mode hands
 * each transaction another server connection).
 */
type PreparedState = Map<string, string> | "inline";
const preparedOn = new WeakMap<ClientBase, PreparedState>();

/**
 * Prepared statements one connection keeps at most; then it deallocates them all and starts over
 * (an inferred mapping's tables change shape, and leave statements no batch will run again).
 * Each costs the server, its generic plan included, about 20 KB (raw-mode statements) to 90 KB
 * (the bench's 18-column upsert of 2–4 rows): at most 20–90 MB on the sink's connection. Each new
 * one costs a round trip, so the limit holds what a stream keeps running over about 500 raw-mode
 * collections (2 statements each) or 80 mapped ones of a parent and a child table (up to 6 per
 * table: one for each count of rows up to 4, the JSON one and a delete). @internal
 */
export const MAX_PREPARED = 1024;

/** A Bind of a statement the server connection does not have (26000): a pooler moved the session. */
const STATEMENT_MISSING = "26000";
/** A Parse of a name the server connection already has (42P05): a pooler moved the session. */
const STATEMENT_EXISTS = "42P05";
/** A parameter whose type the statement does not say (42P18): such a statement is sent with its literals written in. */
const INDETERMINATE_TYPE = "42P18";
const unpreparable = new Set<string>();

/**
 * Statements kept in order, to be sent in one round trip. A statement with parameters is prepared
 * on the connection the first time (a named Parse of the protocol): PostgreSQL then skips parsing
 * and planning it, which measured 40% of the server's time for a batch of one change
 * (docs/benchmarks.md). The statements go in PostgreSQL's extended protocol, in one write (see
 * {@link sendExtendedBatch}): a Bind of each prepared one with its parameters as text, the text
 * of the others (their literals written in).
 *
 * A queue is one transaction: the implicit one that PostgreSQL makes of the statements before the
 * extended protocol's Sync (or of a simple-protocol query's statements, in the fallback below),
 * all or nothing, with no BEGIN or COMMIT to send (as statements of their own they took back most
 * of what the extended protocol saved: a change sent alone took 1–16% less time than as
 * `EXECUTE`s, against 24–37% without them; docs/benchmarks.md, fourteenth pass). A queue that
 * begins with BEGIN leaves its transaction open after the send, for the statements that follow
 * ({@link beginWith}). So a queued text must be one statement, and what it does must be allowed in
 * that implicit transaction: no SAVEPOINT, LOCK or COPY, nothing that cannot run in a transaction
 * block (the row writers queue none).
 *
 * The first time costs a round trip per new statement: each is prepared in a message of its own,
 * of nothing but its Parse. PostgreSQL keeps the text a statement was prepared from and copies it
 * on every execution (src/backend/commands/prepare.c; a Bind copies `plansource->query_string`
 * into its portal); prepared by SQL's PREPARE inside a batch, a statement carried that batch's
 * literals for the life of the connection, and every later change paid to copy them (after a
 * first batch of 150 changes, each later change took twice as long or more: docs/benchmarks.md,
 * eighth pass).
 *
 * Sending fails as a whole on the first statement PostgreSQL refuses, with that error; a
 * connection behind a transaction-mode pooler falls back to one simple-protocol query of the
 * statements with their literals written in.
 */
export class StatementQueue implements Statements {
  private readonly items: { readonly text: string; readonly values: readonly unknown[] }[] = [];

  /** Queues a statement (its promise settles at once: nothing is sent yet). */
  query(text: string, values: readonly unknown[] = []): Promise<void> {
    this.add(text, values);
    return Promise.resolve();
  }

  add(text: string, values: readonly unknown[] = []): void {
    this.items.push({ text, values });
  }

  /** Sends every queued statement in one round trip, after preparing those new to the connection. */
  async send(client: ClientBase): Promise<void> {
    if (this.items.length === 0) return;
    const prepared = await this.prepare(client);
    if (prepared === "inline") {
      await client.query(this.inlined());
      return;
    }
    const statements = this.items.map(({ text, values }): BatchStatement => {
      const name = values.length === 0 ? undefined : prepared.get(text);
      return name === undefined ? { text: inlineParameters(text, values) } : { prepared: name, parameters: values.map(parameterText) };
    });
    try {
      await sendExtendedBatch(client, statements);
    } catch (error) {
      if ((error as { code?: unknown } | undefined)?.code !== STATEMENT_MISSING) throw error;
      // The server connection lacks one of this connection's statements: a pooler moved the session.
      // The statements ran in a transaction the failure ended (or, after a BEGIN, aborted): again, with their literals written in.
      preparedOn.set(client, "inline");
      await client.query("ROLLBACK");
      await client.query(this.inlined());
    }
  }

  /** Prepares the queued statements the connection has not prepared yet, each in a message of its own; returns what it has prepared. */
  private async prepare(client: ClientBase): Promise<PreparedState> {
    let prepared = preparedOn.get(client);
    if (prepared === "inline") return prepared;
    const fresh = this.unprepared(prepared);
    if (prepared === undefined) preparedOn.set(client, (prepared = new Map()));
    else if (fresh.length > 0 && prepared.size + fresh.length > MAX_PREPARED) {
      // Forgotten first: should the DEALLOCATE fail, a PREPARE of a name still there falls back to literals.
      prepared.clear();
      await client.query("DEALLOCATE ALL");
    }
    for (const text of fresh) {
      const name = statementName(text);
      try {
        // A Parse of the protocol, not SQL's PREPARE: a pooler that keeps prepared statements
        // (PgBouncer 1.21+, max_prepared_statements) knows only those, and ends a client's
        // connection when it binds a name it does not know.
        await sendExtendedBatch(client, [{ prepare: name, text }]);
      } catch (error) {
        const code = (error as { code?: unknown } | undefined)?.code;
        if (code === INDETERMINATE_TYPE) {
          unpreparable.add(text);
          continue;
        }
        if (code !== STATEMENT_EXISTS) throw error;
        preparedOn.set(client, "inline");
        return "inline";
      }
      prepared.set(text, name);
    }
    return prepared;
  }

  /**
   * The queued statements with parameters that `prepared` lacks and that can be prepared before
   * the send: those queued before any statement without parameters but BEGIN. Such a statement may
   * change the tables (an inferred mapping's ALTER TABLE) that later ones name, so that those could
   * not be prepared before it runs; they go with their literals written in, and are prepared by
   * the next send that has them.
   */
  private unprepared(prepared: Map<string, string> | undefined): string[] {
    const texts = new Set<string>();
    for (const { text, values } of this.items) {
      if (values.length === 0) {
        if (text === "BEGIN") continue;
        break;
      }
      if (!unpreparable.has(text) && !prepared?.has(text)) texts.add(text);
    }
    return [...texts];
  }

  private inlined(): string {
    return this.items.map(({ text, values }) => inlineParameters(text, values)).join(";\n");
  }
}

/**
 * A transaction's start (for `inTransaction`) that sends `first` in the round trip of its BEGIN: a
 * statement whose result nobody reads, such as one that fails by itself. Its failure is passed
 * through `failed`, which says what to throw instead.
 */
export function beginWith(first: { readonly text: string; readonly values: readonly unknown[] }, failed: (error: unknown) => unknown): (client: ClientBase) => Promise<void> {
  return async (client) => {
    const statements = new StatementQueue();
    statements.add("BEGIN");
    statements.add(first.text, first.values);
    try {
      await statements.send(client);
    } catch (error) {
      throw failed(error);
    }
  };
}

/**
 * A prepared statement's name, from its text: a name means the same statement on every server
 * connection, so that behind a pooler, where another client (or an earlier connection of this one)
 * may have prepared names on the server connection a transaction lands on, an `EXECUTE` can
 * never run some other statement.
 */
function statementName(text: string): string {
  return `tributary_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
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

/** A parameter value as the text of a parameter, as {@link sqlLiteral} writes it in (NULL as null). */
function parameterText(value: unknown): string | null {
  return value === null || value === undefined ? null : literalText(value);
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

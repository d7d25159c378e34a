/**
 * libpq's keyword/value connection strings (`host=db port=5433 dbname=shop user=app
 * password='it\'s'`), read by the rules of
 * https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-KEYWORD-VALUE (as
 * libpq's `conninfo_parse` applies them): settings separated by white space, `keyword = value`
 * with optional blanks around `=`; a value is a run of non-blank characters, or single-quoted
 * (for blanks and the empty value); in both, a backslash takes the next character as it is
 * (`\'`, `\\`, `\ `).
 */

/** The keywords Tributary's driver (node-postgres) can honour, and how it is told them (sinks/postgres). */
export const SUPPORTED_KEYWORDS: readonly string[] = [
  "host",
  "port",
  "dbname",
  "user",
  "password",
  "connect_timeout",
  "client_encoding",
  "options",
  "application_name",
  "fallback_application_name",
  "keepalives",
  "keepalives_idle",
  "sslmode",
  "sslcert",
  "sslkey",
  "sslrootcert",
];

/** libpq's other keywords: real, but node-postgres has no equivalent, so they are refused rather than ignored. */
const UNSUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  "hostaddr",
  "passfile",
  "require_auth",
  "channel_binding",
  "keepalives_interval",
  "keepalives_count",
  "tcp_user_timeout",
  "replication",
  "gssencmode",
  "sslnegotiation",
  "sslcompression",
  "sslpassword",
  "sslcertmode",
  "sslcrl",
  "sslcrldir",
  "sslsni",
  "requirepeer",
  "ssl_min_protocol_version",
  "ssl_max_protocol_version",
  "min_protocol_version",
  "max_protocol_version",
  "krbsrvname",
  "gsslib",
  "gssdelegation",
  "service",
  "target_session_attrs",
  "load_balance_hosts",
]);

const SSL_MODES: ReadonlySet<string> = new Set(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]);
const SECRET_KEYWORDS: ReadonlySet<string> = new Set(["password"]);
/** libpq's `isspace` (conninfo_parse): ASCII blanks only; a no-break space is part of a value. */
const BLANK = /[ \t\n\v\f\r]/;

/** Whether a connection string is in keyword/value form rather than a URL: it starts with `keyword =`. */
export function isKeywordValue(text: string): boolean {
  return /^\s*[a-z_]+\s*=/i.test(text);
}

/**
 * The settings of a keyword/value string, or what is wrong with it (never showing a password).
 * `afterSecret`: the text went wrong right after an unquoted password, so what follows it is
 * probably the rest of a password holding a blank, and the string must not be shown at all.
 */
export type KeywordValueParse =
  | { readonly ok: true; readonly settings: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly problem: string; readonly afterSecret?: true };

/**
 * Reads a keyword/value connection string and checks what can be checked without connecting:
 * the syntax, keywords libpq does not know or the driver cannot honour, a keyword given twice,
 * the port (1 to 65535, one host), `connect_timeout` and `keepalives*` (whole numbers) and
 * `sslmode` (libpq's six).
 */
export function parseKeywordValue(text: string): KeywordValueParse {
  const settings: Record<string, string> = {};
  let at = 0;
  /** The unquoted secret whose value ended at the blank before `at`, if any. */
  let bareSecret: string | undefined;
  const skipBlanks = (): void => {
    while (at < text.length && BLANK.test(text.charAt(at))) at++;
  };
  // A word without "=" after an unquoted password is likely the rest of a password holding a blank: not echoed. (`word=` reads as a setting, as the redaction shows it.)
  const notASetting = (problem: string): KeywordValueParse =>
    bareSecret === undefined
      ? fail(problem)
      : { ok: false, problem: `the value of "${bareSecret}" is followed by text that is not a setting: a value holding blanks must be quoted (${bareSecret}='…') or its blanks escaped (\\ )`, afterSecret: true };
  for (skipBlanks(); at < text.length; skipBlanks()) {
    const keyword = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(at))?.[0];
    if (!keyword) return notASetting(`expected a keyword at character ${at + 1}`);
    at += keyword.length;
    skipBlanks();
    if (text.charAt(at) !== "=") return notASetting(`missing "=" after "${keyword}"`);
    at++;
    skipBlanks();
    const value = readValue(text, at);
    if (!value.ok) return fail(`${value.problem} in the value of "${keyword}"`);
    at = value.end;
    const problem = keywordProblem(keyword, value.text, settings);
    if (problem) return fail(problem);
    settings[keyword] = value.text;
    bareSecret = SECRET_KEYWORDS.has(keyword) && !value.quoted ? keyword : undefined;
  }
  return { ok: true, settings };
}

function fail(problem: string): KeywordValueParse {
  return { ok: false, problem };
}

function readValue(text: string, start: number): { ok: true; text: string; end: number; quoted: boolean } | { ok: false; problem: string } {
  const quoted = text.charAt(start) === "'";
  let at = quoted ? start + 1 : start;
  let value = "";
  while (at < text.length) {
    const char = text.charAt(at);
    if (char === "\\") {
      value += text.charAt(at + 1);
      at += 2;
      continue;
    }
    if (quoted ? char === "'" : BLANK.test(char)) break;
    value += char;
    at++;
  }
  if (quoted) {
    if (text.charAt(at) !== "'") return { ok: false, problem: "an unterminated quoted string" };
    at++;
  }
  return { ok: true, text: value, end: at, quoted };
}

function keywordProblem(keyword: string, value: string, settings: Readonly<Record<string, string>>): string | undefined {
  const shown = SECRET_KEYWORDS.has(keyword) ? "***" : JSON.stringify(value);
  if (UNSUPPORTED_KEYWORDS.has(keyword)) return `"${keyword}" is a libpq setting that Tributary's PostgreSQL driver cannot honour; leave it out (supported: ${SUPPORTED_KEYWORDS.join(", ")})`;
  if (!SUPPORTED_KEYWORDS.includes(keyword)) return `unknown setting "${keyword}" (supported: ${SUPPORTED_KEYWORDS.join(", ")})`;
  if (keyword in settings) return `"${keyword}" is given twice`;
  switch (keyword) {
    case "host":
      return value.includes(",") ? `host ${shown} lists several hosts, which Tributary's PostgreSQL driver does not support; give one` : undefined;
    case "port": {
      const port = /^\d+$/.test(value) ? Number(value) : NaN;
      return port >= 1 && port <= 65_535 ? undefined : `port ${shown} is not a port: a whole number between 1 and 65535 (one host, one port)`;
    }
    case "connect_timeout":
    case "keepalives":
    case "keepalives_idle":
      return /^\d+$/.test(value) ? undefined : `${keyword} ${shown} is not a whole number${keyword === "keepalives" ? " (1 on, 0 off)" : " of seconds"}`;
    case "sslmode":
      return SSL_MODES.has(value) ? undefined : `sslmode ${shown} is not one of ${[...SSL_MODES].join(", ")}`;
  }
  return undefined;
}

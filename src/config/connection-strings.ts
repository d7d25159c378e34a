import { isKeywordValue, parseKeywordValue } from "../core/libpq-keyword-value.js";
import { redactSecrets } from "../core/redact.js";

const UNINTERPOLATED = /\$\{[^}]*\}/;
const POSTGRES_SCHEMES = new Set(["postgres:", "postgresql:", "socket:"]);

/**
 * What is wrong with a PostgreSQL connection string, or `undefined`. Checked with the config so
 * that a mistake is a usage error (exit 2) before anything connects, instead of pg's
 * "getaddrinfo ENOTFOUND base". Accepted are URLs as pg parses them (pg-connection-string: `new
 * URL` after encoding blanks) and libpq's keyword/value strings (`host=db dbname=shop`), which
 * sinks/postgres hands to pg setting by setting (core/libpq-keyword-value.ts).
 */
export function postgresUrlProblem(url: string): string | undefined {
  const shown = redactSecrets(url);
  if (UNINTERPOLATED.test(url)) return `${shown} holds ${UNINTERPOLATED.exec(url)?.[0]}, an environment variable that was never filled in (config files fill \${NAME}; on the command line the shell does)`;
  if (isKeywordValue(url)) {
    const parsed = parseKeywordValue(url);
    if (parsed.ok) return undefined;
    return parsed.afterSecret ? `a keyword/value connection string with a password is not valid: ${parsed.problem}` : `${shown} is not a valid keyword/value connection string: ${parsed.problem}`;
  }
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return `${shown} is not a URL; write one such as postgres://app@db.example:5432/analytics`;
  if (!POSTGRES_SCHEMES.has(scheme)) return `${shown} is not a PostgreSQL URL: it must start with postgres:// or postgresql://, not ${scheme}//`;
  const port = portOf(url);
  if (port !== undefined && (port < 1 || port > 65_535)) return `${shown} has port ${port}; a port is between 1 and 65535`;
  if (!URL.canParse(/ |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url) ? encodeURI(url) : url)) {
    return `${shown} is not a valid URL (a user name or password holding / ? # or @ must be percent-encoded: %2F %3F %23 %40)`;
  }
  return undefined;
}

/**
 * What is plainly wrong with a MongoDB connection string, or `undefined`; the driver's own
 * parser (in the CLI's pre-flight check) judges the rest, still before any connection.
 */
export function mongoUriProblem(uri: string): string | undefined {
  const shown = redactSecrets(uri);
  if (UNINTERPOLATED.test(uri)) return `${shown} holds ${UNINTERPOLATED.exec(uri)?.[0]}, an environment variable that was never filled in (config files fill \${NAME}; on the command line the shell does)`;
  if (!/^mongodb(\+srv)?:\/\//i.test(uri)) return `${shown} must start with mongodb:// or mongodb+srv://`;
  return undefined;
}

/** The port written after the host (the part after the last `@` before the path), when there is one. */
function portOf(url: string): number | undefined {
  const rest = url.slice(url.indexOf("//") + 2);
  const authority = rest.split(/[/?#]/)[0] ?? "";
  const hosts = authority.slice(authority.lastIndexOf("@") + 1);
  const match = /:(\d+)$/.exec(hosts);
  return match ? Number(match[1]) : undefined;
}

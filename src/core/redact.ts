/**
 * The one redaction layer: every log line (core/redacting-logger.ts), error message,
 * status output and HTTP response goes through these functions, so that no password, token or
 * secret option leaves the process. They err on the side of hiding too much: a password may hold
 * characters its connection string should have escaped, and both drivers still accept it.
 */

const MASK = "***";

/**
 * `scheme://user:password@host` where the password may hold unescaped `/`, `@`, `:` or spaces
 * (the MongoDB driver reads the password up to the last `@`, pg URL-encodes spaces before parsing),
 * and the user may be empty (`mongodb://:pw@host`). The password runs to the last `@` on the line
 * that is followed by a host, without crossing into the next `scheme://` (and within 1024
 * characters, which bounds the work on long lines). A user name stops at the
 * first `:`, `/`, `?`, `#`, `@` or blank, so `mongodb://host:27017/db` has no credentials.
 */
const CREDENTIALS_IN_URI = /([a-z][a-z0-9+.-]*:\/\/)([^:/?#@\s]*):((?:(?![a-z][a-z0-9+.-]*:\/\/)[^\n]){0,1024})@(?=[\w[\]%.-])/gi;

/** `user@host` with no password but a user that is itself a token (`https://<token>@host`): the user is hidden only when it looks like a secret (long, no separators). */
const TOKEN_AS_USER = /([a-z][a-z0-9+.-]*:\/\/)([A-Za-z0-9_\-.~]{24,})@/gi;

/**
 * Secret-bearing option names: pg's `password`/`sslpassword`, the MongoDB driver's
 * `tlsCertificateKeyFilePassword`, `proxyPassword`, `sslPEMKeyPassword`, and URL query tokens.
 */
const SECRET_OPTION_NAMES = "password|passwd|pwd|sslpassword|tlsCertificateKeyFilePassword|sslPEMKeyPassword|proxyPassword|secret|token|access_token|api_?key|apikey";

/** `?password=…&` in a URL query (the value runs to the next `&`, `#` or blank). */
const SECRET_QUERY_PARAM = new RegExp(`([?&;](?:${SECRET_OPTION_NAMES})=)[^&#\\s]*`, "gi");

/**
 * libpq keyword/value strings, `host=db password='p w' sslpassword=x`: values are bare words or
 * single-quoted, a backslash taking the next character in both (`a\ b` is one value), with
 * optional blanks around `=` (a bare value ends at an ASCII blank only, as libpq's `isspace`
 * reads it: a no-break space is part of the password); an unterminated quote hides the rest of the text
 * (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-KEYWORD-VALUE).
 */
const SECRET_KEYWORD_VALUE = new RegExp(`((?:^|[\\s,(])(?:${SECRET_OPTION_NAMES})\\s*=\\s*)('(?:[^'\\\\]|\\\\.?)*'?|(?:\\\\.?|[^ \\t\\n\\v\\f\\r'\\\\])(?:\\\\.?|[^ \\t\\n\\v\\f\\r\\\\])*)`, "gi");

/**
 * `authMechanismProperties=AWS_SESSION_TOKEN:…` (MongoDB's MONGODB-AWS mechanism): the session
 * token is a credential, the other properties (SERVICE_NAME, …) are not. Also matches the token
 * written as an option object (`AWS_SESSION_TOKEN: "…"`).
 */
const AWS_SESSION_TOKEN = /(AWS_SESSION_TOKEN["']?\s*[:=]\s*["']?)[^,&\s"'}]+/gi;

/** `Authorization: Bearer …` / `Basic …` headers written out in a message. */
const AUTHORIZATION_HEADER = /(authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)?\s*)[^\s,"'}]+/gi;

/**
 * Replaces every secret inside `text` with `***`: passwords of connection strings in URL form
 * (any scheme) and libpq keyword/value form, secret query options, AWS session tokens and
 * authorization headers.
 * @internal
 */
export function redactSecrets(text: string): string {
  return text
    .replace(CREDENTIALS_IN_URI, `$1$2:${MASK}@`)
    .replace(TOKEN_AS_USER, `$1${MASK}@`)
    .replace(SECRET_QUERY_PARAM, `$1${MASK}`)
    .replace(SECRET_KEYWORD_VALUE, `$1${MASK}`)
    .replace(AWS_SESSION_TOKEN, `$1${MASK}`)
    .replace(AUTHORIZATION_HEADER, `$1${MASK}`);
}

/** An error's message (or the thrown value as text), passwords redacted: for messages and logs. */
export function redactedMessage(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

/** Keys whose value is a secret whatever it looks like (config settings, sink options, headers). */
const SECRET_KEY = new RegExp(`^(?:${SECRET_OPTION_NAMES}|authorization|cookie|x-api-key|privateKey|secretAccessKey|sessionToken|credentials)$`, "i");

/** A name that ends in a secret's (a plugin's `clientSecret`, `authToken`, `dbPassword`, `stripe_api_key`). */
const SECRET_KEY_SUFFIX = /(?:password|secret|token|api[_-]?key|private[_-]?key)$/i;

/** Whether a setting, option or header of this name holds a secret. @internal */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || SECRET_KEY_SUFFIX.test(key);
}

/**
 * A copy of `value` that is safe to print: strings redacted with {@link redactSecrets}, the
 * values of secret keys ({@link isSecretKey}) replaced by `***`, errors turned into plain
 * `{ type, message, code, stack }` objects with both redacted. Cycles and depth are bounded.
 * @internal
 */
export function redactValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value) || depth > 8) return "[…]";
  seen.add(value);
  if (value instanceof Error) return redactError(value, depth, seen);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, seen));
  // Leave BSON values, dates, buffers and the like as they are: they hold no connection strings.
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = isSecretKey(key) && item !== undefined && item !== null ? MASK : redactValue(item, depth + 1, seen);
  return copy;
}

function redactError(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const { code, context, cause } = error as Error & { code?: unknown; context?: unknown };
  const plain: Record<string, unknown> = { type: error.name, message: redactSecrets(error.message) };
  if (code !== undefined) plain.code = code;
  if (context !== undefined) plain.context = redactValue(context, depth + 1, seen);
  if (error.stack !== undefined) plain.stack = redactSecrets(error.stack);
  if (cause !== undefined) plain.cause = redactValue(cause, depth + 1, seen);
  return plain;
}

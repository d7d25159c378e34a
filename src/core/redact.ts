const CREDENTIALS_IN_URI = /([a-z][a-z0-9+.-]*:\/\/)([^:/?#@\s]+):([^@/\s]*)@/gi;
const PASSWORD_PARAM = /([?&](?:password|sslpassword|tlsCertificateKeyFilePassword)=)[^&\s]*/gi;

/**
 * Replaces the password of every connection string inside `text` with `***`, so that
 * messages, logs and status output never carry secrets.
 * @internal
 */
export function redactSecrets(text: string): string {
  return text.replace(CREDENTIALS_IN_URI, "$1$2:***@").replace(PASSWORD_PARAM, "$1***");
}

/** An error's message (or the thrown value as text), passwords redacted: for messages and logs. */
export function redactedMessage(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

import pg from "pg";
import { redactSecrets } from "../../core/redact.js";
import { connectionSettings } from "./connection-config.js";
import { mapPostgresApplyError, mapPostgresConnectError } from "./postgres-errors.js";

/** How long a one-off connection may take to connect, and each of its queries to answer (default: no limit). */
export interface OneOffLimits {
  readonly timeoutMs?: number;
}

/**
 * Runs `work` on a connection of its own, for the CLI's one-off reads and checks (`status`,
 * `dead-letters`, `config check --connect`): a failure to connect and a failure of `work` come
 * out as Tributary's clear errors (`what` names the work, given the redacted address), and the
 * connection is closed after either way.
 */
export async function withOneOffClient<T>(
  url: string,
  applicationName: string,
  what: (where: string) => string,
  work: (client: pg.Client, where: string) => Promise<T>,
  limits: OneOffLimits = {},
): Promise<T> {
  const where = redactSecrets(url);
  const client = new pg.Client(connectionSettings(url, { application_name: applicationName, connectionTimeoutMillis: limits.timeoutMs, query_timeout: limits.timeoutMs }));
  try {
    await client.connect();
  } catch (error) {
    throw mapPostgresConnectError(error, where);
  }
  try {
    return await work(client, where);
  } catch (error) {
    throw mapPostgresApplyError(error, what(where));
  } finally {
    await client.end().catch(() => undefined);
  }
}

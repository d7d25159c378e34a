import type pg from "pg";
import { parse } from "pg-connection-string";
import { isKeywordValue, parseKeywordValue } from "../../core/libpq-keyword-value.js";

const SSL_KEYWORDS = ["sslmode", "sslcert", "sslkey", "sslrootcert"] as const;

/**
 * The pg settings of a connection string: a URL goes to pg as it is (`connectionString`); a libpq
 * keyword/value string (checked with the config, config/connection-strings.ts) is turned into
 * pg's own settings, with the TLS ones (`sslmode`, `sslcert`, `sslkey`, `sslrootcert`) read by
 * pg-connection-string exactly as it reads them in a URL's query, so that both forms of one
 * connection behave the same. As with a URL, what the string sets wins over `defaults`.
 */
export function connectionSettings(connectionString: string, defaults: pg.ClientConfig): pg.ClientConfig {
  if (!isKeywordValue(connectionString)) return { ...defaults, connectionString };
  const parsed = parseKeywordValue(connectionString);
  if (!parsed.ok) throw new Error(`invalid PostgreSQL connection string: ${parsed.problem}`);
  const value = parsed.settings;
  const settings: pg.ClientConfig = { ...defaults };
  if (value.host !== undefined) settings.host = value.host;
  if (value.port !== undefined) settings.port = Number(value.port);
  if (value.dbname !== undefined) settings.database = value.dbname;
  if (value.user !== undefined) settings.user = value.user;
  if (value.password !== undefined) settings.password = value.password;
  if (value.connect_timeout !== undefined) settings.connectionTimeoutMillis = Number(value.connect_timeout) * 1000;
  if (value.client_encoding !== undefined) settings.client_encoding = value.client_encoding;
  if (value.options !== undefined) settings.options = value.options;
  if (value.application_name !== undefined) settings.application_name = value.application_name;
  if (value.fallback_application_name !== undefined) settings.fallback_application_name = value.fallback_application_name;
  if (value.keepalives !== undefined) settings.keepAlive = value.keepalives !== "0";
  if (value.keepalives_idle !== undefined) settings.keepAliveInitialDelayMillis = Number(value.keepalives_idle) * 1000;
  const ssl = SSL_KEYWORDS.flatMap((keyword): [string, string][] => {
    const setting = value[keyword];
    return setting === undefined ? [] : [[keyword, setting]];
  });
  if (ssl.length > 0) {
    const tls = parse(`postgres://localhost/?${new URLSearchParams(ssl).toString()}`).ssl;
    if (tls !== undefined) settings.ssl = tls as pg.ClientConfig["ssl"];
  }
  return settings;
}

import { ErrorCode } from "../../core/error-codes.js";
import { redactSecrets } from "../../core/redact.js";
import { TributaryError } from "../../core/tributary-error.js";

interface PgLikeError {
  readonly code?: string;
  readonly message?: string;
  readonly detail?: string;
}

const TRANSIENT_NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
/** SQLSTATE classes and codes after which the same transaction can simply be tried again. */
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P02", "57P03", "40001", "40P01", "53300"]);

/** Whether a failed apply can be retried as is: the server or the network, not the data. */
export function isTransientPostgresError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as PgLikeError;
  if (code !== undefined && (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || code.startsWith("08"))) return true;
  return /Connection terminated|connection not open|Client has encountered a connection error/i.test(message ?? "");
}

/** Maps a connection failure to an error that says what to fix. `where` is redacted. */
export function mapPostgresConnectError(error: unknown, where: string): TributaryError {
  const { code, message } = (error ?? {}) as PgLikeError;
  const detail = redactSecrets(message ?? String(error));
  if (code === "28P01" || code === "28000") {
    return new TributaryError(ErrorCode.PostgresAuthFailed, `PostgreSQL at ${where} rejected the credentials: ${detail}`, { cause: error });
  }
  if (code === "3D000") {
    return new TributaryError(ErrorCode.PostgresDatabaseMissing, `PostgreSQL at ${where}: ${detail}; create it first (CREATE DATABASE) or fix the URL`, { cause: error });
  }
  return new TributaryError(ErrorCode.PostgresUnreachable, `Cannot connect to PostgreSQL at ${where}: ${detail || code}`, { cause: error });
}

/** Maps a failure while applying a batch; `what` names the statement's target. */
export function mapPostgresApplyError(error: unknown, what: string): TributaryError {
  if (error instanceof TributaryError) return error;
  const { code, message, detail } = (error ?? {}) as PgLikeError;
  const text = [message, detail].filter(Boolean).join(" — ");
  return new TributaryError(ErrorCode.PostgresApplyFailed, `PostgreSQL refused ${what}: ${redactSecrets(text)}${code ? ` (SQLSTATE ${code})` : ""}`, { cause: error });
}

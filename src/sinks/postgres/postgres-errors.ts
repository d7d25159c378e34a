import { ErrorCode } from "../../core/error-codes.js";
import { redactSecrets } from "../../core/redact.js";
import { TributaryError } from "../../core/tributary-error.js";
import type { ErrorKind } from "../../core/retry.js";
import { PostgresConnectionLost } from "./connection-lost.js";

interface PgLikeError {
  readonly code?: string;
  readonly message?: string;
  readonly detail?: string;
}

/** Node's codes for a refused connection: nothing listens at the address right now. */
const REFUSED_NODE_CODES = new Set(["ECONNREFUSED"]);
/**
 * Node's codes for a network path that broke, timed out or cannot be found for now. A host name
 * that does not resolve (ENOTFOUND) is among them: in a container network the server's name
 * resolves only once its container runs, and each retry is logged with the name.
 */
const BROKEN_NODE_CODES = new Set(["ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "EHOSTDOWN", "ENETUNREACH", "ENETDOWN", "ENETRESET", "EAI_AGAIN", "ENOTFOUND"]);
/** `cannot_connect_now`: the server refuses sessions while it starts up, shuts down or recovers. */
const STARTING_OR_STOPPING = "57P03";
/**
 * `idle_session_timeout` (PostgreSQL 14+) ended a session that sat idle: the sink keeps its
 * connection through quiet spells, so this is expected where a DBA sets it.
 */
export const IDLE_SESSION_ENDED = "57P05";
/**
 * SQLSTATEs after which the same transaction can simply be tried again: the session was ended
 * (57P01 admin_shutdown, 57P02 crash_shutdown, 57P05 idle_session_timeout: a batch can meet the
 * end of a kept connection before its pool saw it), the transaction lost a race (40001
 * serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available), a statement timed
 * out (57014 query_canceled). Whole classes: 08 connection exception, 53 insufficient resources
 * (53300 too_many_connections, 53100 disk_full, 53200 out_of_memory).
 */
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P02", IDLE_SESSION_ENDED, "40001", "40P01", "55P03", "57014"]);
const TRANSIENT_SQLSTATE_CLASSES = new Set(["08", "53"]);

/**
 * The one classifier of the PostgreSQL boundary, by codes only (SQLSTATE, Node's system error
 * codes) and by {@link PostgresConnectionLost}, the type the sink gives a connection that broke
 * under it: whether work can be tried again, and how soon.
 */
export function classifyPostgresError(error: unknown): ErrorKind {
  if (error instanceof PostgresConnectionLost) return "transient";
  const { code } = (error ?? {}) as PgLikeError;
  if (typeof code !== "string") return "permanent";
  if (REFUSED_NODE_CODES.has(code) || code === STARTING_OR_STOPPING) return "unreachable";
  if (BROKEN_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2))) return "transient";
  return "permanent";
}

/** Whether a failed apply can be retried as is: the server or the network, not the data. */
export function isTransientPostgresError(error: unknown): boolean {
  return classifyPostgresError(error) !== "permanent";
}

/**
 * Maps a connection failure to an error that says what to fix: `TRIB_POSTGRES_UNREACHABLE` only
 * for what waiting can cure (start-up waits on it). `where` is redacted.
 */
export function mapPostgresConnectError(error: unknown, where: string): TributaryError {
  const { code, message } = (error ?? {}) as PgLikeError;
  const detail = redactSecrets(message ?? String(error));
  if (code === "28P01" || code === "28000") {
    return new TributaryError(ErrorCode.PostgresAuthFailed, `PostgreSQL at ${where} rejected the credentials: ${detail}`, { cause: error });
  }
  if (code === "3D000") {
    return new TributaryError(ErrorCode.PostgresDatabaseMissing, `PostgreSQL at ${where}: ${detail}; create it first (CREATE DATABASE) or fix the URL`, { cause: error });
  }
  if (classifyPostgresError(error) === "permanent") {
    return new TributaryError(ErrorCode.PostgresConnectFailed, `Cannot connect to PostgreSQL at ${where} (not retried: waiting would not cure it): ${detail}${code ? ` (code ${code})` : ""}`, { cause: error });
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

/**
 * Stable error codes. Each names what went wrong and, where the user can act, what to do.
 * @public
 */
export const ErrorCode = Object.freeze({
  ConfigInvalid: "TRIB_CONFIG_INVALID",
  ConfigFileUnreadable: "TRIB_CONFIG_FILE_UNREADABLE",
  MongoUnreachable: "TRIB_MONGO_UNREACHABLE",
  MongoNotReplicaSet: "TRIB_MONGO_NOT_REPLICA_SET",
  MongoAuthFailed: "TRIB_MONGO_AUTH_FAILED",
  MongoUnauthorized: "TRIB_MONGO_UNAUTHORIZED",
  ChangeStreamHistoryLost: "TRIB_CHANGE_STREAM_HISTORY_LOST",
  ChangeStreamFailed: "TRIB_CHANGE_STREAM_FAILED",
  PostgresUnreachable: "TRIB_POSTGRES_UNREACHABLE",
  PostgresConnectFailed: "TRIB_POSTGRES_CONNECT_FAILED",
  PostgresAuthFailed: "TRIB_POSTGRES_AUTH_FAILED",
  PostgresDatabaseMissing: "TRIB_POSTGRES_DATABASE_MISSING",
  PostgresApplyFailed: "TRIB_POSTGRES_APPLY_FAILED",
  TableNameConflict: "TRIB_TABLE_NAME_CONFLICT",
  TableMismatch: "TRIB_TABLE_MISMATCH",
  DocumentNotEncodable: "TRIB_DOCUMENT_NOT_ENCODABLE",
  CheckpointMismatch: "TRIB_CHECKPOINT_MISMATCH",
  MappingInvalid: "TRIB_MAPPING_INVALID",
  ValueDoesNotFit: "TRIB_VALUE_DOES_NOT_FIT",
  ResumePointUnreadable: "TRIB_RESUME_POINT_UNREADABLE",
  ResumePointWriteFailed: "TRIB_RESUME_POINT_WRITE_FAILED",
  SinkNotFound: "TRIB_SINK_NOT_FOUND",
  SinkInvalid: "TRIB_SINK_INVALID",
  SinkFailed: "TRIB_SINK_FAILED",
  WebhookRejected: "TRIB_WEBHOOK_REJECTED",
  HandlerFailed: "TRIB_HANDLER_FAILED",
  SnapshotFailed: "TRIB_SNAPSHOT_FAILED",
});

/** @public */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

// The face of the PostgreSQL room for the rest of Tributary: the runtime and the CLI import
// only this file, and only lazily, so that nothing loads `pg` until a pipeline writes to
// PostgreSQL.
export { createPostgresSink } from "./create-postgres-sink.js";
export { PostgresResumePointStore } from "./postgres-resume-point-store.js";
export { inferMapping } from "./mapping/infer/infer-mapping.js";
export type { MappingFile } from "./mapping/mapping-file-schema.js";
export { readTargetStatus, type TargetStatus } from "./target-status.js";
export { listDeadLetters, purgeDeadLetters, selectDeadLetters, settleRetriedDeadLetters, type DeadLetterFilter, type DeadLetterRow, type SelectedDeadLetter } from "./dead-letter-admin.js";
export { recordSyncError, resolveSyncError, type SyncErrorReport, type SyncErrorRow } from "./sync-errors.js";
export { probeTarget, slowLibcCollation, SLOW_COLLATION_COST, type DatabaseCollation, type TargetProbe } from "./target-probe.js";

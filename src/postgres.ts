// "tributary/postgres": the PostgreSQL sink (raw, relational and inferred modes), its table
// naming, reading rows back, the mapping tools and the PostgreSQL resume point store. This entry
// loads `pg`. See docs/library.md.

export { PostgresSink } from "./sinks/postgres/postgres-sink.js";
export { defaultTableName } from "./sinks/postgres/table-naming.js";
export { DEFAULT_COMMAND_POLICY } from "./sinks/postgres/command-applier.js";
export { PostgresResumePointStore } from "./sinks/postgres/postgres-resume-point-store.js";
export { loadMapping, parseMapping } from "./sinks/postgres/mapping/load-mapping.js";
export { inferMapping } from "./sinks/postgres/mapping/infer/infer-mapping.js";
export { inferMappingFromMongo } from "./runtime/infer-mapping-from-mongo.js";
export { decodeDocument, encodeDocument } from "./codec/document-codec.js";
export { keyText } from "./codec/key-text.js";
export { silentLogger } from "./core/logger.js";

export type { PostgresSinkOptions } from "./sinks/postgres/postgres-sink.js";
export type { StoredRow } from "./sinks/postgres/read-back.js";
export type { InferMappingRequest } from "./runtime/infer-mapping-from-mongo.js";
export type { JsonValue, JsonObject, DocumentLocation } from "./codec/document-codec.js";
export type { CommandPolicy } from "./sinks/postgres/command-applier.js";
export type { PostgresResumePointStoreOptions } from "./sinks/postgres/postgres-resume-point-store.js";
export type { DatabaseEntries } from "./sinks/postgres/mapping/infer/collection-entries.js";
export type { MappingFile, CollectionEntry, FieldEntry } from "./sinks/postgres/mapping/mapping-file-schema.js";
export type { CompileOptions } from "./sinks/postgres/mapping/compile-mapping.js";
export type { RelationalMapping, TableMapping, ColumnMapping, ChildMapping } from "./sinks/postgres/mapping/table-mapping.js";
export type { ColumnType, ColumnFamily } from "./sinks/postgres/mapping/column-type.js";
export type { BackoffOptions } from "./core/retry.js";
export type { Logger, LogFn } from "./core/logger.js";

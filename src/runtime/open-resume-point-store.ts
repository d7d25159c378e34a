import { resolve } from "node:path";
import type { PositionsConfig } from "../config/config-schema.js";
import { FileResumePointStore } from "../checkpoint/file-resume-point-store.js";
import { MongoResumePointStore } from "../checkpoint/mongodb-resume-point-store.js";
import { PostgresResumePointStore } from "../sinks/postgres/postgres-resume-point-store.js";
import type { ResumePointStore } from "../core/resume-point-store.js";

/** The store a `positions` config entry names; `key` tells this sink's position from others'. */
export function openResumePointStore(config: PositionsConfig, key: string, baseDir: string): ResumePointStore {
  if (config.postgres !== undefined) return new PostgresResumePointStore({ url: config.postgres, schema: config.schema, key });
  if (config.mongodb !== undefined) return new MongoResumePointStore({ uri: config.mongodb, database: config.database, collection: config.collection, key });
  return new FileResumePointStore(resolve(baseDir, config.file ?? `.tributary/${key.replaceAll("/", ".")}.position.json`));
}

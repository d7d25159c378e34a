import { resolve } from "node:path";
import type { PositionsConfig } from "../config/config-schema.js";
import { FileResumePointStore } from "../checkpoint/file-resume-point-store.js";
import { MongoResumePointStore } from "../checkpoint/mongodb-resume-point-store.js";
import type { ResumePointStore } from "../core/resume-point-store.js";

/** The store a `positions` config entry names; `key` tells this sink's position from others'. */
export async function openResumePointStore(config: PositionsConfig, key: string, baseDir: string): Promise<ResumePointStore> {
  if (config.postgres !== undefined) {
    // Loaded on use: a pipeline that keeps its positions elsewhere never loads the PostgreSQL driver.
    const { PostgresResumePointStore } = await import("../sinks/postgres/index.js");
    return new PostgresResumePointStore({ url: config.postgres, schema: config.schema, key });
  }
  if (config.mongodb !== undefined) return new MongoResumePointStore({ uri: config.mongodb, database: config.database, collection: config.collection, key });
  return new FileResumePointStore(resolve(baseDir, config.file ?? `.tributary/${key.replaceAll("/", ".")}.position.json`));
}

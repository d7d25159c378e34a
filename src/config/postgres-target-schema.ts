import { z } from "zod";
import { postgresUrlProblem } from "./connection-strings.js";

/** A PostgreSQL identifier as Tributary accepts it in settings (schemas, tables). */
export const identifier = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, "must be a PostgreSQL identifier (letters, digits, _ and $; 63 characters at most)");

/** A PostgreSQL URL that pg can read, checked without connecting (connection-strings.ts). */
export const postgresUrl = z
  .string()
  .min(1)
  .superRefine((url, context) => {
    const problem = postgresUrlProblem(url);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });

/**
 * The settings of the PostgreSQL target (`target` in the config file, `--to`, `--schema`,
 * `--mapping`, …). Only zod here: the config is validated without loading the driver.
 */
export const PostgresTargetSchema = z
  .object({
    url: postgresUrl.describe("PostgreSQL connection string."),
    schema: identifier.default("public").describe("Schema of the synced tables."),
    checkpointSchema: identifier.default("tributary").describe("Schema of Tributary's own tables (positions, table registry)."),
    tables: z
      .record(z.string().regex(/^[^.\s]+\.[^\s]+$/, "keys must be 'db.collection'"), identifier)
      .default({})
      .describe("Raw mode: table name per namespace; others get '<db>_<collection>'."),
    mapping: z
      .string()
      .min(1)
      .optional()
      .describe("Relational mode: a mappings.json (mongo-connector-postgresql format, JSON or YAML); only mapped collections are synced."),
    inferMapping: z
      .boolean()
      .default(false)
      .describe("Relational mode with tables inferred from the documents (sampled at start-up), evolving as new fields appear."),
    queryTimeoutMs: z
      .number()
      .int()
      .min(100)
      .optional()
      .describe("How long a query may wait for its answer before the connection is given up and the work retried (a network path that drops packets); default 300000."),
    adoptTables: z
      .boolean()
      .default(false)
      .describe("Tables that exist before a collection is first written (mongo-connector-postgresql's): add the columns and keys Tributary needs, keeping every row; without it such a table must already fit."),
    strict: z
      .boolean()
      .default(false)
      .describe("Stop on a document that cannot be written, instead of setting it aside in the dead_letters table."),
    commands: z
      .object({
        create: z.enum(["create", "ignore"]).default("create").describe("A collection created: create its tables at once, or when its first document arrives."),
        drop: z.enum(["drop", "truncate", "ignore"]).default("drop").describe("A collection dropped (or renamed out of the synced set): drop its tables, empty them, or leave them."),
        rename: z.enum(["rename", "drop", "ignore"]).default("rename").describe("A collection renamed: rename its tables (with a mapping file: drop them), drop them, or leave them."),
        dropDatabase: z.enum(["drop", "truncate", "ignore"]).default("drop").describe("A database dropped: drop the tables of its collections, empty them, or leave them."),
      })
      .strict()
      .default({ create: "create", drop: "drop", rename: "rename", dropDatabase: "drop" }),
  })
  .strict()
  .superRefine((target, context) => {
    // Two namespaces in one raw table would overwrite each other's rows of the same _id.
    const byTable = new Map<string, string>();
    for (const [namespace, table] of Object.entries(target.tables)) {
      const other = byTable.get(table);
      if (other) context.addIssue({ code: "custom", path: ["tables", namespace], message: `maps to table ${table}, as ${other} does; give each collection its own table` });
      else byTable.set(table, namespace);
    }
  })
  .refine((target) => !(target.inferMapping && target.mapping), {
    message: "choose one: a mapping file (target.mapping, --mapping) or an inferred mapping (target.inferMapping, --infer-mapping)",
    path: ["inferMapping"],
  });

/** @internal */
export type PostgresTargetSettings = z.infer<typeof PostgresTargetSchema>;

import { z } from "zod";
import { PostgresTargetSchema, identifier, postgresUrl } from "./postgres-target-schema.js";
import { mongoUriProblem } from "./connection-strings.js";
import {
  fullDocumentBeforeChangeMode,
  fullDocumentMode,
  namespacePatterns,
  positiveInt,
  syncRetry,
  serverSelectionTimeoutMs,
} from "../pipeline/stream-options-schema.js";
import { SnapshotModes } from "../snapshot/snapshot-mode.js";
import { parseStartPoint } from "../core/start-point.js";
import { verifySchema } from "./verify-schema.js";


const positionsSchema = z
  .object({
    file: z.string().min(1).optional().describe("Keep the position in this JSON file (written atomically)."),
    postgres: postgresUrl.optional().describe("Keep the position in this PostgreSQL database, table <schema>.positions."),
    schema: identifier.default("tributary").describe("With postgres: the schema of the positions table."),
    mongodb: z.string().min(1).optional().describe("Keep the position in this MongoDB deployment, collection <database>.<collection>."),
    database: z.string().min(1).default("tributary"),
    collection: z.string().min(1).default("positions"),
  })
  .strict()
  .refine((store) => [store.file, store.postgres, store.mongodb].filter((where) => where !== undefined).length === 1, {
    message: "name exactly one place: file, postgres or mongodb",
  });

const sinkSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z0-9_-]+$/, "may contain letters, digits, '_' and '-'")
      .describe("Unique within the pipeline: the sink's position is stored under it."),
    use: z.string().min(1).describe("A built-in sink (jsonl, webhook, mongodb), an installed package (tributary-sink-<use> or <use>), or a path (./my-sink.js)."),
    options: z.record(z.string(), z.unknown()).default({}).describe("Handed to the sink as they are; the sink validates them."),
    positions: positionsSchema.optional().describe("Where this sink's position is kept; default: the target's PostgreSQL, or a file in ./.tributary/ without one."),
  })
  .strict();

/**
 * The whole configuration. The config file (YAML or JSON) and the CLI flags fill the same
 * object; this schema is the single source of its type, defaults and validation errors. The
 * fragments it shares with `watch()` options (namespace globs, full document modes, retry
 * back-off, positive integers) come from pipeline/stream-options-schema.ts.
 * @internal
 */
export const ConfigSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.-]+$/, "may contain letters, digits, '_', '.' and '-'")
      .default("default")
      .describe("Pipeline name: its position is stored under this name, so two pipelines can share a target."),
    source: z
      .object({
        uri: z
          .string()
          .min(1)
          .superRefine((uri, context) => {
            const problem = mongoUriProblem(uri);
            if (problem) context.addIssue({ code: "custom", message: problem });
          })
          .describe("MongoDB connection string of a replica set or sharded cluster."),
        include: namespacePatterns("shop.*").describe("Namespaces to sync, as globs ('shop.*', '*.orders'). Empty means every non-system namespace."),
        exclude: namespacePatterns("shop.*").describe("Namespaces to leave out, as globs."),
        fullDocument: fullDocumentMode
          .exclude(["whenAvailable"])
          .default("updateLookup")
          .describe("How updates get their full document: looked up at read time, or post-images (MongoDB 6.0+, `tributary images enable` on every watched collection)."),
        fullDocumentBeforeChange: fullDocumentBeforeChangeMode
          .optional()
          .describe("Pre-images of updates and deletes (events' `before`, for sinks such as jsonl and webhook). Default: whenAvailable on MongoDB 6.0+, where collections have images enabled."),
        serverSelectionTimeoutMs,
        startAt: z
          // A token or a $timestamp written in YAML as a mapping is read as its JSON text.
          .preprocess((value) => (typeof value === "object" && value !== null ? JSON.stringify(value) : value), z.string())
          .superRefine((text, context) => {
            try {
              parseStartPoint(text, "source.startAt");
            } catch (error) {
              context.addIssue({ code: "custom", message: (error as Error).message.replace(/^source\.startAt: /, "") });
            }
          })
          .optional()
          .describe(
            "Cutover: where a pipeline with no stored position starts streaming, instead of a snapshot: an ISO time, a Timestamp (1700000000:5), a resume token, or mongo-connector's oplog.timestamp file. Refused once a position is stored.",
          ),
        sampleSize: positiveInt
          .max(1_000_000)
          .default(1_000)
          .describe("With an inferred mapping: documents sampled per collection at start-up to infer its tables."),
      })
      .strict(),
    target: PostgresTargetSchema.optional().describe("The PostgreSQL target. Optional when sinks are listed."),
    sinks: z.array(sinkSchema).default([]).describe("More places the same stream goes to, each with a position of its own."),
    batch: z
      .object({
        maxSize: positiveInt.max(100_000).default(2_000).describe("Most events applied in one transaction (a MongoDB transaction is not split, up to maxTransactionEvents and maxTransactionBytes)."),
        maxLatencyMs: positiveInt.max(60_000).default(250).describe("Longest an event waits before its batch is applied."),
        maxTransactionEvents: positiveInt
          .max(10_000_000)
          .default(50_000)
          .describe("Most events of one MongoDB transaction held in one batch; a larger transaction is applied in several batches, with a warning."),
        maxBytes: positiveInt
          .min(1_048_576)
          .default(67_108_864)
          .describe("About how many bytes of BSON a batch holds at most (estimated from about one event in 32): large documents make smaller batches. A MongoDB transaction is not split for this (see maxTransactionBytes)."),
        maxTransactionBytes: positiveInt
          .min(1_048_576)
          .default(1_073_741_824)
          .describe("About how many bytes of BSON of one MongoDB transaction are held in one batch; a larger transaction is applied in several batches, with a warning."),
      })
      .strict()
      .default({ maxSize: 2_000, maxLatencyMs: 250, maxTransactionEvents: 50_000, maxBytes: 67_108_864, maxTransactionBytes: 1_073_741_824 }),
    snapshot: z
      .object({
        mode: z
          .enum(SnapshotModes)
          .default("initial")
          .describe("initial: copy collections not yet copied, then stream; never: stream only; always: copy every collection on each start, then stream; only: copy, then exit."),
        parallelism: positiveInt.max(64).default(4).describe("Ranges copied at once, across all collections."),
        chunkSize: positiveInt.max(100_000).default(5_000).describe("Documents per chunk: read together, written and committed in one transaction (fewer when they come to more than MongoDB's 16 MiB batch)."),
        rangeSize: z.number().int().min(100).default(25_000).describe("About this many documents per _id range (collections are split into estimated / rangeSize ranges)."),
        progressIntervalMs: z.number().int().min(100).default(5_000).describe("When stderr is not a terminal, how often a progress line is logged."),
      })
      .strict()
      .default({ mode: "initial", parallelism: 4, chunkSize: 5_000, rangeSize: 25_000, progressIntervalMs: 5_000 }),
    checkpoint: z
      .object({
        idleIntervalMs: z
          .number()
          .int()
          .min(100)
          .default(10_000)
          .describe("On a quiet stream, how often the advancing resume point is saved."),
      })
      .strict()
      .default({ idleIntervalMs: 10_000 }),
    retry: syncRetry,
    http: z
      .object({
        listen: z
          .string()
          .regex(/^(?:\[[^\]]+\]|[^:[\]]*):\d{1,5}$/, "must be host:port, such as 127.0.0.1:9464, [::1]:9464 or :9464 (every interface)")
          .optional()
          .describe("Serve /healthz, /readyz, /metrics, /status and a live status page here (--http). Off by default."),
        readyMaxLagMs: positiveInt.default(60_000).describe("/readyz is ready while streaming with a lag of at most this many milliseconds."),
        oplogRunwayWarnMs: positiveInt
          .default(12 * 3_600_000)
          .describe("The oplog runway of the committed position is measured every minute (with or without http.listen); below this many milliseconds, a warning is logged."),
      })
      .strict()
      .default({ readyMaxLagMs: 60_000, oplogRunwayWarnMs: 12 * 3_600_000 }),
    verify: verifySchema.describe("Verify the copy periodically while sync streams (see docs/verify.md)."),
    log: z
      .object({
        level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
        pretty: z.boolean().optional().describe("Human-readable logs; default: when stderr is a terminal."),
      })
      .strict()
      .default({ level: "info" }),
  })
  .strict()
  .refine((config) => config.target !== undefined || config.sinks.length > 0, {
    message: "nowhere to write: set target.url (--to) for PostgreSQL, or list sinks (--sink)",
    path: ["target"],
  })
  .refine((config) => config.source.startAt === undefined || (config.snapshot.mode !== "only" && config.snapshot.mode !== "always"), {
    message: "a start point replaces the snapshot: leave startAt (--start-at) out to copy, or use --snapshot never/initial with it",
    path: ["source", "startAt"],
  })
  .refine((config) => new Set(["postgres", ...config.sinks.map((sink) => sink.name)]).size === config.sinks.length + 1, {
    message: "sink names must be unique, and 'postgres' is the target's",
    path: ["sinks"],
  });

/** A sink's entry in the config. @public */
export type SinkConfig = z.infer<typeof sinkSchema>;
/** Where a sink keeps its position. @public */
export type PositionsConfig = z.infer<typeof positionsSchema>;

/** The validated configuration, defaults applied. @public */
export type TributaryConfig = z.infer<typeof ConfigSchema>;
/** What a user may write: everything with a default is optional. @public */
export type TributaryConfigInput = z.input<typeof ConfigSchema>;

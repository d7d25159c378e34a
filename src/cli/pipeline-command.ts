import { Option, type Command } from "commander";
import type { Logger } from "../core/logger.js";
import type { TributaryConfig } from "../config/config-schema.js";
import { filterWarnings } from "../config/filter-warnings.js";
import { mongoClientFor } from "../source/mongo-connection.js";
import { SnapshotModes } from "../snapshot/snapshot-mode.js";
import { tributaryCommand, type CommandHelp } from "./command-options.js";
import { collect, positiveInteger } from "./option-parsers.js";

/**
 * A command that takes a pipeline's options (`sync`, `snapshot`, `config check`): where to
 * read, where to write, what to take.
 */
export function pipelineCommand(name: string, description: string, help: CommandHelp): Command {
  return withPipelineOptions(tributaryCommand(name, description, help), "sync")
    .option("--sample <n>", "with --infer-mapping: documents sampled per collection at start-up (default: 1000)", (value) => positiveInteger(value))
    .option("--snapshot-parallelism <n>", "snapshot: _id ranges copied at once, across all collections (default: 4)", (value) => positiveInteger(value, "--snapshot-parallelism"))
    .option(
      "--sink <sink[:key=value,…]>",
      'also send the changes to this sink: jsonl (stdout), a package (tributary-sink-<name>) or a path (./my-sink.js), with its options after a colon: jsonl:path=out.jsonl,format=canonical (quote a value holding a comma: key="a,b"); repeatable',
      collect,
    )
    .option("--http <host:port>", "serve /healthz, /readyz, /metrics (Prometheus), /status and a live status page at / on this address, e.g. 127.0.0.1:9464")
    .option(
      "--start-at <point>",
      "cutover from another tool: a pipeline with no stored position streams from here instead of copying: an ISO time (2024-05-01T12:00:00Z), a Timestamp (1700000000:5), a resume token, or mongo-connector's oplog.timestamp file",
    )
    .option("--strict", "stop on a document that cannot be written instead of setting it aside in tributary.dead_letters")
    .option("--adopt-tables", "tables that already exist (mongo-connector-postgresql's): add the columns and keys Tributary needs, keeping every row; without it such a table must already fit")
    .addOption(new Option("--snapshot <mode>", "initial: copy collections not yet copied, then stream (default); never; always: copy everything again, then stream; only: copy, then exit").choices(SnapshotModes));
}

/**
 * The options that say which pipeline a command works on: where it reads, where it writes, which
 * namespaces, its name, its tables' schema and mode (`sync`, `snapshot`, `config check`, `verify`).
 */
export function withPipelineOptions(command: Command, verb: string): Command {
  return command
    .addOption(new Option("--from <mongodb-uri>", "MongoDB connection string (a replica set or sharded cluster); or env TRIBUTARY_MONGODB_URI_FILE naming a file").env("TRIBUTARY_MONGODB_URI"))
    .addOption(new Option("--to <postgres-url>", "PostgreSQL connection string (postgres://…); or env TRIBUTARY_POSTGRES_URL_FILE naming a file").env("TRIBUTARY_POSTGRES_URL"))
    .option("--include <glob>", `namespace to ${verb}, e.g. 'shop.orders' or 'shop.*' (repeatable; default: every non-system namespace)`, collect)
    .option("--exclude <glob>", "namespace to leave out (repeatable)", collect)
    .option("--name <pipeline>", "pipeline name under which the position is stored (default: 'default')")
    .option("--schema <schema>", "PostgreSQL schema of the synced tables (default: public)")
    .option("--mapping <file>", "relational mode: typed tables as this mappings.json (or .yml) describes; without it, raw mode (one jsonb table per collection)")
    .option("--infer-mapping", "relational mode with tables inferred from the documents (sampled at start-up), new fields becoming new columns");
}

/**
 * What can be checked of a valid config without connecting: the MongoDB connection strings as
 * the driver parses them (the PostgreSQL ones were checked with the config), and filters that
 * can match nothing. Throws a usage error; returns the warnings.
 */
export function checkBeforeConnecting(config: TributaryConfig): string[] {
  const uris = [config.source.uri, ...config.sinks.flatMap((sink) => (sink.positions?.mongodb ? [sink.positions.mongodb] : []))];
  // Creating a client parses the string; it neither resolves nor connects, so closing it is free.
  for (const uri of uris) void mongoClientFor(uri, config.source.serverSelectionTimeoutMs).close();
  return filterWarnings(config.source.include, config.source.exclude);
}

/** Logs the warnings of {@link checkBeforeConnecting}. */
export function logWarnings(warnings: readonly string[], logger: Logger): void {
  for (const warning of warnings) logger.warn(warning);
}

import { writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { stringify } from "yaml";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import type { MappingFile } from "../sinks/postgres/index.js";
import { createLogger } from "../observability/logger.js";
import { collect, positiveInteger } from "./option-parsers.js";

/** The flags of `tributary mapping infer`, as commander parses them. */
export interface InferFlags {
  readonly from?: string;
  readonly include?: string[];
  readonly exclude?: string[];
  readonly sample: number;
  readonly out?: string;
  readonly logLevel?: string;
}

/** `tributary mapping infer`: sample collections, write a mapping file to edit. */
export function mappingCommand(): Command {
  const mapping = new Command("mapping").description("Work with relational mappings (mongo-connector-postgresql's mappings.json format)");
  mapping
    .command("infer")
    .description(
      "Sample collections and write a mapping file: sub-documents flattened, arrays of documents as child tables, arrays of scalars as arrays, " +
        "mixed types and maps keyed by data as jsonb. Edit it, then run sync --mapping <file>.",
    )
    .addOption(new Option("--from <mongodb-uri>", "MongoDB connection string (a replica set or sharded cluster)").env("TRIBUTARY_MONGODB_URI"))
    .option("--include <glob>", "namespace to sample, e.g. 'shop.orders' or 'shop.*' (repeatable; default: every non-system namespace)", collect)
    .option("--exclude <glob>", "namespace to leave out (repeatable)", collect)
    .option("--sample <n>", "documents sampled per collection", (value) => positiveInteger(value), 1000)
    .option("--out <file>", "write the mapping here (.json, or .yml/.yaml for YAML); default: standard output, JSON")
    .addOption(new Option("--log-level <level>", "log level").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"))
    .action(async (flags: InferFlags) => {
      if (!flags.from) {
        throw new TributaryError(ErrorCode.ConfigInvalid, "Invalid configuration: source.uri is required (set it with --from or TRIBUTARY_MONGODB_URI)", { context: { configPath: "source.uri" } });
      }
      const logger = createLogger({ level: flags.logLevel ?? "info" });
      const { inferMappingFromMongo } = await import("../runtime/infer-mapping-from-mongo.js");
      const file = await inferMappingFromMongo(
        { uri: flags.from, include: flags.include ?? [], exclude: flags.exclude ?? [], sampleSize: flags.sample, serverSelectionTimeoutMs: 10_000 },
        logger,
      );
      const text = formatMappingFile(file, flags.out);
      if (flags.out) {
        await writeFile(flags.out, text);
        logger.info({ file: flags.out, collections: Object.values(file).reduce((n, db) => n + Object.keys(db).length, 0) }, "mapping written");
      } else process.stdout.write(text);
    })
    .exitOverride();
  return mapping;
}

/** A mapping file as JSON, or as YAML when the path ends in `.yml`/`.yaml`. */
export function formatMappingFile(file: MappingFile, path?: string): string {
  return path && /\.ya?ml$/i.test(path) ? stringify(file) : `${JSON.stringify(file, null, 2)}\n`;
}

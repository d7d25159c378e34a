import { writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { tributaryCommand, withSharedBehaviour } from "./command-options.js";
import { sourceSettings, type SourceFlags } from "./source-settings.js";
import { stringify } from "yaml";
import type { MappingFile } from "../sinks/postgres/index.js";
import { createLogger } from "../observability/logger.js";
import { collect, positiveInteger } from "./option-parsers.js";

/** The flags of `tributary mapping infer`, as commander parses them. */
export interface InferFlags extends SourceFlags {
  readonly out?: string;
}

/** `tributary mapping infer`: sample collections, write a mapping file to edit. */
export function mappingCommand(): Command {
  const mapping = withSharedBehaviour(new Command("mapping").description("Work with relational mappings (mongo-connector-postgresql's mappings.json format)"));
  const infer = tributaryCommand(
    "infer",
    "Sample collections and write a mapping file: sub-documents flattened, arrays of documents as child tables, arrays of scalars as arrays, " +
      "mixed types and maps keyed by data as jsonb. Edit it, then run sync --mapping <file>. --config reads a sync's config file, checked as sync checks it, and samples what its source section includes.",
    { examples: ["tributary mapping infer --from 'mongodb://localhost/?replicaSet=rs0' --include 'shop.*' --out mappings.json", "tributary mapping infer --config tributary.yml --out mappings.yml"] },
  );
  mapping.addCommand(infer);
  infer
    .addOption(new Option("--from <mongodb-uri>", "MongoDB connection string (a replica set or sharded cluster)").env("TRIBUTARY_MONGODB_URI"))
    .option("--include <glob>", "namespace to sample, e.g. 'shop.orders' or 'shop.*' (repeatable; default: every non-system namespace)", collect)
    .option("--exclude <glob>", "namespace to leave out (repeatable)", collect)
    .option("--sample <n>", "documents sampled per collection (default: 1000)", (value) => positiveInteger(value))
    .option("--out <file>", "write the mapping here (.json, or .yml/.yaml for YAML); default: standard output, JSON")
    .action(async (flags: InferFlags) => {
      const source = await sourceSettings(flags);
      for (const warning of source.warnings) logger(flags).warn(warning);
      const { inferMappingFromMongo } = await import("../runtime/infer-mapping-from-mongo.js");
      const file = await inferMappingFromMongo(source, logger(flags));
      const text = formatMappingFile(file, flags.out);
      if (flags.out) {
        await writeFile(flags.out, text);
        logger(flags).info({ file: flags.out, collections: Object.values(file).reduce((n, db) => n + Object.keys(db).length, 0) }, "mapping written");
      } else process.stdout.write(text);
    });
  return mapping;
}

function logger(flags: InferFlags) {
  return createLogger({ level: flags.verbose ? "debug" : (flags.logLevel ?? "info"), pretty: flags.prettyLogs });
}

/** A mapping file as JSON, or as YAML when the path ends in `.yml`/`.yaml`. */
export function formatMappingFile(file: MappingFile, path?: string): string {
  return path && /\.ya?ml$/i.test(path) ? stringify(file) : `${JSON.stringify(file, null, 2)}\n`;
}

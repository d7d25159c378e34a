import { Command, CommanderError, Option } from "commander";
import { redactSecrets } from "../core/redact.js";
import type { Logger } from "../core/logger.js";
import { createLogger } from "../observability/logger.js";
import type { SnapshotProgress } from "../snapshot/snapshot-progress.js";
import { configFromFlags, type SyncFlags } from "./sync-options.js";
import { formatError } from "./format-error.js";
import { imagesCommand } from "./images-command.js";
import { mappingCommand } from "./mapping-command.js";
import { collect, positiveInteger } from "./option-parsers.js";
import { ErrorCode } from "../core/error-codes.js";
import { isTributaryError } from "../core/tributary-error.js";
import { SnapshotModes } from "../snapshot/snapshot-mode.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function buildProgram(run: (flags: SyncFlags) => Promise<void>): Command {
  const program = new Command("tributary")
    .description("Stream MongoDB into PostgreSQL in real time: every insert, update, replace, delete, drop and rename, nothing lost, nothing applied twice.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.addCommand(
    pipelineCommand(
      "sync",
      "Copy the collections not yet copied (see --snapshot), then follow MongoDB's change stream and apply every change to PostgreSQL until SIGINT/SIGTERM; " +
        "then finish the batch in flight, commit and exit 0. Resumes from the position stored in PostgreSQL.",
    )
      .addOption(new Option("--snapshot <mode>", "initial: copy collections not yet copied, then stream (default); never; always: copy everything again, then stream; only: copy, then exit").choices(SnapshotModes))
      .action(async (flags: SyncFlags) => run(flags)),
  );
  program.addCommand(
    pipelineCommand(
      "snapshot",
      "Copy the collections not yet copied into PostgreSQL, then exit 0 (the same as sync --snapshot only). A later sync streams from the moment the copy started. " +
        "Stopped or killed, it continues where it was on the next start.",
    ).action(async (flags: SyncFlags) => run({ ...flags, snapshot: "only" })),
  );
  program.addCommand(mappingCommand().exitOverride());
  program.addCommand(imagesCommand().exitOverride());
  return program;
}

/** A command that runs the pipeline: `sync` and `snapshot` take the same options. */
function pipelineCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .showHelpAfterError("(run with --help for usage)")
    .addOption(new Option("--from <mongodb-uri>", "MongoDB connection string (a replica set or sharded cluster)").env("TRIBUTARY_MONGODB_URI"))
    .addOption(new Option("--to <postgres-url>", "PostgreSQL connection string").env("TRIBUTARY_POSTGRES_URL"))
    .option("--include <glob>", "namespace to sync, e.g. 'shop.orders' or 'shop.*' (repeatable; default: every non-system namespace)", collect)
    .option("--exclude <glob>", "namespace to leave out (repeatable)", collect)
    .option("--name <pipeline>", "pipeline name under which the position is stored (default: 'default')")
    .option("--schema <schema>", "PostgreSQL schema of the synced tables (default: public)")
    .option("--mapping <file>", "relational mode: typed tables as this mappings.json (or .yml) describes; without it, raw mode (one jsonb table per collection)")
    .option("--infer-mapping", "relational mode with tables inferred from the documents (sampled at start-up), new fields becoming new columns")
    .option("--sample <n>", "with --infer-mapping: documents sampled per collection at start-up (default: 1000)", (value) => positiveInteger(value))
    .option("--snapshot-parallelism <n>", "snapshot: _id ranges copied at once, across all collections (default: 4)", (value) => positiveInteger(value, "--snapshot-parallelism"))
    .option("--sink <sink>", "also send the changes to this sink: jsonl (stdout), a package (tributary-sink-<name>) or a path (./my-sink.js); repeatable; configure sinks in --config", collect)
    .option("--strict", "stop on a document that cannot be written instead of setting it aside in tributary.dead_letters")
    .option("--config <file>", "YAML or JSON config file; flags override its settings")
    .addOption(new Option("--log-level <level>", "log level").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .option("--pretty-logs", "human-readable logs (default when stderr is a terminal)")
    .option("--no-pretty-logs", "JSON log lines")
    .option("--verbose", "debug logs, and stack traces on errors")
    .exitOverride();
}

function isUsageError(error: unknown): boolean {
  const usage: readonly string[] = [ErrorCode.ConfigInvalid, ErrorCode.ConfigFileUnreadable, ErrorCode.MappingInvalid, ErrorCode.SinkNotFound, ErrorCode.SinkInvalid];
  return isTributaryError(error) && usage.includes(error.code);
}

/**
 * The CLI: parses `argv`, runs the command, and returns the process exit code. Errors are
 * one clear line on stderr; `--verbose` adds the stack and causes.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes("--verbose");
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`tributary: second ${signal}, exiting without finishing the batch in flight\n`);
      process.exit(130);
    }
    process.stderr.write(`tributary: ${signal} received, finishing the batch in flight\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const program = buildProgram(async (flags) => {
      const config = await configFromFlags(flags);
      const logger = createLogger(config.log);
      // Loaded on demand so that --help and usage errors do not pay for the drivers.
      const { runSync } = await import("../runtime/sync-runner.js");
      const { startProgressReporter } = await import("./progress-display.js");
      // On a terminal the snapshot's progress is a live display on stderr; elsewhere, log lines.
      const onSnapshotProgress = (progress: SnapshotProgress, sinkLogger: Logger) =>
        startProgressReporter(progress, { output: process.stderr, logger: sinkLogger, intervalMs: config.snapshot.progressIntervalMs });
      await runSync(config, logger, controller.signal, { baseDir: process.cwd(), onSnapshotProgress });
    });
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with code 0 and have been printed already; usage errors too.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(`${redactSecrets(formatError(error, verbose))}\n`);
    return isUsageError(error) ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

import { Command } from "commander";
import { stringify } from "yaml";
import { redactValue } from "../core/redact.js";
import { silentLogger } from "../core/logger.js";
import { withSharedBehaviour } from "./command-options.js";
import type { CommandOutput } from "./images-command.js";
import { checkBeforeConnecting, pipelineCommand } from "./pipeline-command.js";
import { configFromFlags, type SyncFlags } from "./sync-options.js";
import { checkConnections } from "./connection-checks.js";

const STDOUT: CommandOutput = { write: (text) => void process.stdout.write(text) };
const STDERR: CommandOutput = { write: (text) => void process.stderr.write(text) };

/**
 * `tributary config check`: everything `sync` checks before its first connection (the config,
 * the PostgreSQL and MongoDB connection strings, the mappings, every sink's options, the
 * filters), then the resolved config with its secrets redacted on stdout. Connects to nothing.
 */
export function configCommand(output: CommandOutput = STDOUT, warnings: CommandOutput = STDERR): Command {
  const config = withSharedBehaviour(new Command("config").description("Check a configuration before running it"));
  config.addCommand(
    pipelineCommand(
      "check",
      "Validate the configuration as sync would (the same flags and config file): the settings, connection strings, mapping files, sink options and filters. " +
        "Prints the resolved configuration (defaults filled in, ${NAME} references resolved, secrets as ***) and warnings for filters that can match nothing. Connects to nothing and writes nothing.",
      {
        examples: [
          "tributary config check --config tributary.yml",
          "tributary config check --from 'mongodb://db1/?replicaSet=rs0' --to postgres://app@pg/analytics --mapping mappings.json",
          "tributary config check --config tributary.yml --connect",
        ],
      },
    )
      .option("--connect", "also connect (writing nothing): PostgreSQL version, user, the right to create the schemas and the database's collation; MongoDB topology, version, featureCompatibilityVersion and privileges")
      .action(async (flags: SyncFlags & { connect?: boolean }) => {
        const resolved = await configFromFlags(flags);
        for (const warning of checkBeforeConnecting(resolved)) warnings.write(`tributary: warning: ${warning}\n`);
        // Build every sink (mapping files, sink options, plugins found) and let it go unopened.
        const { buildPipelineSinks } = await import("../runtime/pipeline-sinks.js");
        const { sinks } = await buildPipelineSinks(resolved, silentLogger(), process.cwd());
        await Promise.allSettled(sinks.map((sink) => sink.close()));
        // A start point's progress file (mongo-connector's oplog.timestamp) is read as sync reads it.
        const { startPointOfConfig } = await import("../runtime/start-at.js");
        await startPointOfConfig(resolved, process.cwd());
        output.write(stringify(redactValue(resolved)));
        if (!flags.connect) return;
        const failure = await checkConnections(resolved, (status, text) => warnings.write(`tributary: check: ${status.padEnd(4)} ${text}\n`));
        if (failure !== undefined) throw failure;
      }),
  );
  return config;
}

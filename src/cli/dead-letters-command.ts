import { Command, Option } from "commander";
import { ErrorCode } from "../core/error-codes.js";
import { redactValue } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import type { DeadLetterFilter } from "../sinks/postgres/index.js";
import { tributaryCommand, withSharedBehaviour } from "./command-options.js";
import { retryDeadLetterAction, type RetryFlags } from "./dead-letters-retry.js";
import type { CommandOutput } from "./images-command.js";
import { targetSettings, type TargetFlags } from "./target-settings.js";

interface DeadLetterFlags extends TargetFlags {
  readonly collection?: string;
  readonly olderThan?: number;
  readonly limit?: number;
  readonly json?: boolean;
  readonly yes?: boolean;
}

const STDOUT: CommandOutput = { write: (text) => void process.stdout.write(text) };
const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `15m`, `2h`, `7d` in milliseconds. */
export function parseAge(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (!match) throw new TributaryError(ErrorCode.ConfigInvalid, `--older-than must be a number and a unit (s, m, h or d), such as 30m or 7d, not ${JSON.stringify(value)}`);
  return Number(match[1]) * (UNITS[match[2] ?? "s"] ?? 1000);
}

function limit(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new TributaryError(ErrorCode.ConfigInvalid, `--limit must be a whole number of at least 1, not ${JSON.stringify(value)}`);
  return number;
}

/** The filter options both subcommands take. */
function filtered(command: Command, nameHelp = "only this pipeline's (default: every pipeline's, or the --config file's name)"): Command {
  return command
    .addOption(new Option("--to <postgres-url>", "PostgreSQL connection string of the target").env("TRIBUTARY_POSTGRES_URL"))
    .option("--name <pipeline>", nameHelp)
    .option("--collection <db.collection>", "only this collection's")
    .option("--older-than <age>", "only those set aside at least this long ago: 30m, 12h, 7d", parseAge);
}

function filterOf(flags: DeadLetterFlags, pipeline: string | undefined): DeadLetterFilter {
  return { pipeline, collection: flags.collection, olderThanMs: flags.olderThan };
}

/**
 * `tributary dead-letters list|retry|purge`: the documents the PostgreSQL sink set aside in
 * `<checkpointSchema>.dead_letters` because they did not fit their columns.
 */
export function deadLettersCommand(output: CommandOutput = STDOUT): Command {
  const group = withSharedBehaviour(new Command("dead-letters").description("The documents set aside in the target's dead_letters table because they could not be written (see --strict)"));
  const list = filtered(
    tributaryCommand("list", "List dead letters, the oldest first: pipeline, collection, _id, field, reason, and when.", {
      examples: ["tributary dead-letters list --config tributary.yml", "tributary dead-letters list --to postgres://app@pg/analytics --collection shop.orders --json"],
    }),
  )
    .option("--limit <n>", "at most this many (default: 100)", limit)
    .option("--json", "print JSON instead of text")
    .action(async (flags: DeadLetterFlags) => {
      const { url, schema, pipeline } = await targetSettings(flags);
      const { listDeadLetters } = await import("../sinks/postgres/index.js");
      const rows = await listDeadLetters(url, schema, filterOf(flags, pipeline), flags.limit ?? 100);
      if (flags.json) output.write(`${JSON.stringify(redactValue(rows), null, 2)}\n`);
      else if (rows.length === 0) output.write("no dead letters\n");
      else for (const row of rows) output.write(`${row.createdAt.toISOString()}  ${row.pipeline}  ${row.namespace}  _id ${row.key}  field ${row.field}: ${row.reason}\n`);
    });
  const purge = filtered(
    tributaryCommand("purge", "Delete dead letters (all of them, or those the filters select). Asks for --yes.", {
      examples: ["tributary dead-letters purge --config tributary.yml --older-than 30d --yes", "tributary dead-letters purge --to postgres://app@pg/analytics --collection shop.orders --yes"],
    }),
  )
    .option("--yes", "really delete")
    .action(async (flags: DeadLetterFlags) => {
      if (!flags.yes) throw new TributaryError(ErrorCode.ConfigInvalid, "dead-letters purge deletes rows: add --yes to confirm (see what would go with dead-letters list and the same filters)");
      const { url, schema, pipeline } = await targetSettings(flags);
      const { purgeDeadLetters } = await import("../sinks/postgres/index.js");
      output.write(`${await purgeDeadLetters(url, schema, filterOf(flags, pipeline))} dead letters deleted\n`);
    });
  const retry = filtered(
    tributaryCommand(
      "retry",
      "Copy the documents of the selected dead letters again, read afresh from MongoDB by _id (never the stored copy, which may be stale), " +
        "through the PostgreSQL target as a snapshot copies them; delete from the target those MongoDB no longer has; then delete the retried dead letters. " +
        "A document that still does not fit is set aside again (a new dead letter). Only the config's pipeline's. Without --yes it only says what it would retry. " +
        "A change the running sync writes to one of these documents during the retry can be overwritten by the copy read just before it: retry while they are quiet, or run verify --repair after.",
      {
        examples: [
          "tributary dead-letters retry --config tributary.yml",
          "tributary dead-letters retry --config tributary.yml --collection shop.orders --yes",
          "tributary dead-letters retry --from 'mongodb://localhost:27017/?replicaSet=rs0' --to postgres://app@pg/analytics --mapping mappings.json --older-than 1h --yes",
        ],
        exitCodes: ["1  some documents were set aside again (still cannot be written), or a runtime error"],
      },
    ),
    "the pipeline whose dead letters to retry, as the sync names it (default: the --config file's name, else 'default')",
  )
    .addOption(new Option("--from <mongodb-uri>", "MongoDB connection string to read the documents from").env("TRIBUTARY_MONGODB_URI"))
    .option("--schema <schema>", "PostgreSQL schema of the synced tables (default: public)")
    .option("--mapping <file>", "relational mode: the mappings.json (or .yml) the sync uses")
    .option("--infer-mapping", "the sync's inferred relational mode")
    .option("--yes", "really retry (without it: say what would be retried)")
    .action(async (flags: RetryFlags) => retryDeadLetterAction(flags, output));
  group.addCommand(list);
  group.addCommand(retry);
  group.addCommand(purge);
  return group;
}

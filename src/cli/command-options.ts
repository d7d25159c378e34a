import { Command, Option } from "commander";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The flags every command takes. */
export interface CommonFlags {
  readonly config?: string;
  readonly logLevel?: string;
  readonly verbose?: boolean;
  readonly prettyLogs?: boolean;
}

/** What a command's `--help` shows after its options. */
export interface CommandHelp {
  readonly examples: readonly string[];
  /** Exit codes besides 0 (done), 1 (runtime error) and 2 (usage or configuration error). */
  readonly exitCodes?: readonly string[];
}

const EXIT_CODES = ["0  done (or --help)", "1  a runtime error: one line on stderr with what, where, what to do and a code such as [TRIB_POSTGRES_AUTH_FAILED]", "2  a usage or configuration error; nothing was connected to or written"];

/**
 * A command with the options and behaviour every tributary command shares: `--config`,
 * `--log-level`, `--verbose`, `--pretty-logs`; errors prefixed `tributary: ` like every other
 * error the CLI prints; help that ends with examples and exit codes; usage errors thrown
 * (exitOverride) so that main() turns them into exit code 2.
 */
export function tributaryCommand(name: string, description: string, help: CommandHelp): Command {
  const command = new Command(name).description(description);
  return withSharedBehaviour(command, help)
    .option("--config <file>", "YAML or JSON config file (${NAME} and ${NAME:-default} filled from the environment); flags override its settings")
    .addOption(new Option("--log-level <level>", "log level (default: info)").choices(LOG_LEVELS))
    .option("--verbose", "debug logs, and stack traces and causes on errors")
    .option("--pretty-logs", "human-readable logs (default when stderr is a terminal)")
    .option("--no-pretty-logs", "JSON log lines");
}

/** Error prefix, help text and exitOverride, for a command or a group of subcommands. */
export function withSharedBehaviour(command: Command, help?: CommandHelp): Command {
  command
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ outputError: (text, write) => write(`tributary: ${text}`) })
    .exitOverride();
  if (help) {
    const examples = help.examples.map((line) => `  $ ${line}`).join("\n");
    const codes = [...EXIT_CODES, ...(help.exitCodes ?? [])].map((line) => `  ${line}`).join("\n");
    command.addHelpText("after", `\nExamples:\n${examples}\n\nExit codes:\n${codes}\n`);
  }
  return command;
}

import { Command, CommanderError } from "commander";
import { redactSecrets } from "../core/redact.js";
import { ErrorCode } from "../core/error-codes.js";
import { isTributaryError } from "../core/tributary-error.js";
import { withSharedBehaviour } from "./command-options.js";
import { configCommand } from "./config-command.js";
import { formatError } from "./format-error.js";
import { imagesCommand } from "./images-command.js";
import { mappingCommand } from "./mapping-command.js";
import { verifyCommand } from "./verify-command.js";
import { deadLettersCommand } from "./dead-letters-command.js";
import { SignalHandling } from "./signal-handling.js";
import { statusCommand } from "./status-command.js";
import { positionsCommand } from "./positions-command.js";
import { syncCommands, type RunContext } from "./sync-command.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function buildProgram(context: RunContext): Command {
  const program = withSharedBehaviour(
    new Command("tributary")
      .description("Stream MongoDB into PostgreSQL in real time: every insert, update, replace, delete, drop and rename, nothing lost, nothing applied twice.")
      .version("0.1.0"),
    {
      examples: ["tributary sync --help", "tributary config check --config tributary.yml", "tributary sync --config tributary.yml"],
    },
  );
  for (const command of syncCommands(context)) program.addCommand(command);
  program.addCommand(configCommand());
  program.addCommand(statusCommand());
  program.addCommand(positionsCommand());
  program.addCommand(deadLettersCommand());
  program.addCommand(mappingCommand());
  program.addCommand(verifyCommand());
  program.addCommand(imagesCommand());
  return program;
}

function isUsageError(error: unknown): boolean {
  const usage: readonly string[] = [ErrorCode.ConfigInvalid, ErrorCode.ConfigFileUnreadable, ErrorCode.MappingInvalid, ErrorCode.SinkNotFound, ErrorCode.SinkInvalid];
  return isTributaryError(error) && usage.includes(error.code);
}

/**
 * The CLI: parses `argv`, runs the command, and returns the process exit code. Errors are
 * one clear line on stderr, redacted; `--verbose` adds the stack and causes.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes("--verbose");
  const signals = new SignalHandling({ write: (line) => void process.stderr.write(line), exit: (code) => process.exit(code) });
  process.on("SIGINT", signals.handle);
  process.on("SIGTERM", signals.handle);
  try {
    await buildProgram({ signal: signals.controller.signal, enter: signals.enter }).parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with code 0 and have been printed already; usage errors too.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(`${redactSecrets(formatError(error, verbose))}\n`);
    return isUsageError(error) ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    process.off("SIGINT", signals.handle);
    process.off("SIGTERM", signals.handle);
  }
}

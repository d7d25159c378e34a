import { describe, expect, it } from "vitest";
import { runCli } from "../../support/run-cli.js";

const COMMANDS: ReadonlyArray<readonly string[]> = [["sync"], ["snapshot"], ["config", "check"], ["status"], ["dead-letters", "list"], ["dead-letters", "retry"], ["dead-letters", "purge"], ["mapping", "infer"], ["images", "enable"], ["images", "status"], ["positions", "import"]];

describe("every command's --help", () => {
  it.each(COMMANDS.map((command) => [command.join(" "), command] as const))("%s: the shared options, examples and exit codes", async (_name, command) => {
    const result = await runCli([...command, "--help"]);
    expect(result.code).toBe(0);
    for (const flag of ["--config <file>", "--log-level <level>", "--verbose", "--pretty-logs"]) expect(result.stdout).toContain(flag);
    expect(result.stdout).toMatch(/\nExamples:\n {2}\$ tributary /);
    expect(result.stdout).toContain("\nExit codes:\n  0  done (or --help)\n  1  a runtime error");
    expect(result.stdout).toContain("  2  a usage or configuration error; nothing was connected to or written");
  });

  // One test per command: a dozen CLI starts in one test outlast its timeout on a busy machine.
  it.each(COMMANDS.map((command) => [command.join(" "), command] as const))("%s: prefixes a usage error with 'tributary: '", async (_name, command) => {
    const result = await runCli([...command, "--bogus"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tributary: error: unknown option '--bogus'\n(run with --help for usage)\n");
  });
});

import type { SyncPhase } from "../runtime/sync-runner.js";

/** The exit code of a process stopped by a signal, as shells report it: 128 + the signal number. */
export function exitCodeOf(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}

/** What the signal handling writes and how it leaves the process (a test passes its own). */
export interface SignalOutput {
  write(line: string): void;
  exit(code: number): void;
}

/**
 * What SIGINT and SIGTERM do, by phase. Before the first change is read (checking, opening the
 * sinks, connecting to MongoDB, or a command that is not a sync) there is nothing to finish:
 * the process exits at once with 130/143 instead of waiting out a server selection. During the
 * snapshot and the stream the first signal stops cleanly (the snapshot after the chunks in
 * flight, which the next start continues; the stream after applying and committing the batch in
 * flight) and a second one exits at once, losing nothing that was committed.
 */
export class SignalHandling {
  readonly controller = new AbortController();
  private phase: SyncPhase | undefined;

  constructor(private readonly output: SignalOutput) {}

  /** The sync reached this phase. */
  readonly enter = (phase: SyncPhase): void => {
    this.phase = phase;
  };

  readonly handle = (signal: NodeJS.Signals): void => {
    const phase = this.phase;
    if (phase !== "snapshot" && phase !== "streaming") {
      const during = phase === undefined ? "" : ` while ${phase}`;
      this.output.write(`tributary: ${signal} received${during}; exiting now (no change had been applied yet; the next start begins from the stored position)\n`);
      this.output.exit(exitCodeOf(signal));
      return;
    }
    if (this.controller.signal.aborted) {
      this.output.write(`tributary: second ${signal}; exiting now without finishing (what was committed stays; the rest is read again on the next start)\n`);
      this.output.exit(exitCodeOf(signal));
      return;
    }
    this.output.write(
      phase === "snapshot"
        ? `tributary: ${signal} received; stopping the snapshot after the chunks in flight (the next start continues it); again to exit at once\n`
        : `tributary: ${signal} received; applying and committing the batch in flight, then stopping; again to exit at once\n`,
    );
    this.controller.abort();
  };
}

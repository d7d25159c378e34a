import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { MachineInfo } from "./machine.js";
import type { BenchOptions, SectionName } from "./options.js";

/** One measured run. Rates are per second of wall-clock time of the measured work. */
export interface BenchResult {
  readonly section: SectionName;
  /** Short label other rows refer to: `a`, `b1`, … */
  readonly tag: string;
  readonly name: string;
  /** Documents copied or events applied. */
  readonly items: number;
  readonly unit: "docs" | "events";
  readonly seconds: number;
  readonly perSecond: number;
  /** BSON megabytes (10^6 bytes) of the documents per second. */
  readonly mbPerSecond?: number;
  /** Peak resident set size of the process that did the work (its own child process). */
  readonly peakRssMb?: number;
  /** Resident set size of that process once its modules were loaded, before the work: the floor under the peak. */
  readonly startRssMb?: number;
  /** This run against `ratioTo`: a rate ratio (above 1: faster), or in the memory section a peak-RSS ratio. */
  readonly ratio?: number;
  /** Tag of the run the ratio is taken against. */
  readonly ratioTo?: string;
  /** With `--repeat`: the ratio within each round, in round order (`ratio` is their median). */
  readonly ratioRounds?: readonly number[];
  /** This run's rate against the peer-equivalent baseline's (`peerTo`): above 1 is faster. */
  readonly peerRatio?: number;
  readonly peerTo?: string;
  /** With `--repeat`: the ratio to the peer within each round, in round order. */
  readonly peerRatioRounds?: readonly number[];
  /** End-to-end lag (source write → applied), milliseconds. */
  readonly lagMs?: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly note?: string;
  /** With `--repeat`: the rate of every run (the row shows the median run). */
  readonly runs?: readonly number[];
}

export interface SectionOutcome {
  readonly name: SectionName;
  readonly status: "ok" | "skipped" | "failed";
  /** Why a section was skipped or failed. */
  readonly reason?: string;
  readonly results: readonly BenchResult[];
}

export interface BenchReport {
  readonly generatedAt: string;
  readonly machine: MachineInfo;
  readonly options: BenchOptions;
  readonly sections: readonly SectionOutcome[];
}

const COLUMNS = [
  { title: "section", width: 14, align: "left" },
  { title: "run", width: 62, align: "left" },
  { title: "items", width: 9, align: "right" },
  { title: "seconds", width: 8, align: "right" },
  { title: "per s", width: 9, align: "right" },
  { title: "MB/s", width: 7, align: "right" },
  { title: "RSS MB", width: 7, align: "right" },
  { title: "ratio", width: 10, align: "right" },
  { title: "× peer", width: 9, align: "right" },
  { title: "lag p50/p99 ms", width: 15, align: "right" },
] as const;

/** The whole report as one fixed-width table (skipped and failed sections as one line each). */
export function formatTable(report: BenchReport): string {
  const line = (cells: readonly string[]): string =>
    COLUMNS.map((column, index) => {
      const cell = cells[index] ?? "";
      return column.align === "left" ? cell.padEnd(column.width) : cell.padStart(column.width);
    })
      .join(" ")
      .trimEnd();
  const lines = [line(COLUMNS.map((column) => column.title)), "-".repeat(COLUMNS.reduce((sum, column) => sum + column.width + 1, -1))];
  for (const section of report.sections) {
    if (section.status !== "ok") lines.push(`${section.name.padEnd(COLUMNS[0].width)} ${section.status.toUpperCase()}: ${section.reason ?? ""}`);
    for (const result of section.results) {
      lines.push(
        line([
          result.section,
          `${result.tag}  ${result.name}`,
          String(result.items),
          result.seconds.toFixed(2),
          result.perSecond.toFixed(0),
          result.mbPerSecond === undefined ? "" : result.mbPerSecond.toFixed(1),
          result.peakRssMb === undefined ? "" : result.peakRssMb.toFixed(0),
          result.ratio === undefined ? "" : `${result.ratio.toFixed(2)}×${result.ratioTo ?? ""}`,
          result.peerRatio === undefined ? "" : `${result.peerRatio.toFixed(2)}×${result.peerTo ?? ""}`,
          result.lagMs === undefined ? "" : `${result.lagMs.p50.toFixed(0)}/${result.lagMs.p99.toFixed(0)}`,
        ]),
      );
      const spread = roundSpread(result);
      if (spread) lines.push(`${"".padEnd(COLUMNS[0].width)}     ${spread}`);
      if (result.note) lines.push(`${"".padEnd(COLUMNS[0].width)}     ${result.note}`);
    }
  }
  return lines.join("\n");
}

/** The lowest and highest ratio of the rounds, so that a reader sees how far one round can be from the median. */
function roundSpread(result: BenchResult): string | undefined {
  const range = (rounds: readonly number[] | undefined, to: string | undefined): string | undefined =>
    rounds && rounds.length > 1 ? `${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)}×${to ?? ""}` : undefined;
  const parts = [range(result.ratioRounds, result.ratioTo), range(result.peerRatioRounds, result.peerTo)].filter((part) => part !== undefined);
  return parts.length > 0 ? `by round: ${parts.join(", ")}` : undefined;
}

/** A heading with the machine and the options, above the table. */
export function formatHeading(report: BenchReport): string {
  const { machine, options } = report;
  const mongo = "version" in machine.mongodb ? `MongoDB ${machine.mongodb.version}` : `MongoDB unavailable (${machine.mongodb.skipped})`;
  return [
    `${machine.cpuCount} × ${machine.cpuModel}, ${machine.totalMemoryMb} MB RAM, ${machine.platform}; Node ${machine.node}; PostgreSQL ${machine.postgres}; ${mongo}`,
    `docs ${options.docs} × ~${options.size} B (distinct ${options.distinct === 0 ? "all" : options.distinct}), parallelism ${options.parallelism}, large ${options.large}; sink-apply ${options.applyDocs} docs in batches of ${options.batch}; streaming ${options.events} events by ${options.writers} writers, paced run at ${options.rate}/s`,
    "per s: documents or events per second; ratio: rate against the tagged baseline (above 1 is faster), in memory: peak RSS against m1; × peer: rate against the peer-equivalent baseline; RSS: peak of the run's own process",
  ].join("\n");
}

export async function writeReport(path: string, report: BenchReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}

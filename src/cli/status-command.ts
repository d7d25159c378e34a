import { Option, type Command } from "commander";
import { redactValue } from "../core/redact.js";
import type { TargetStatus } from "../sinks/postgres/index.js";
import { tributaryCommand } from "./command-options.js";
import { targetSettings, type TargetFlags } from "./target-settings.js";
import type { CommandOutput } from "./images-command.js";

interface StatusFlags extends TargetFlags {
  readonly json?: boolean;
}

const STDOUT: CommandOutput = { write: (text) => void process.stdout.write(text) };

/** `tributary status`: what the PostgreSQL target holds for each pipeline: positions, snapshot state, dead letters. */
export function statusCommand(output: CommandOutput = STDOUT): Command {
  return tributaryCommand(
    "status",
    "Show what the PostgreSQL target holds for each pipeline and sink: the stored position (cluster time and age), the snapshot state of each collection, and the dead letters. Reads only.",
    { examples: ["tributary status --config tributary.yml", "tributary status --to postgres://app@pg/analytics --name default --json"] },
  )
    .addOption(new Option("--to <postgres-url>", "PostgreSQL connection string of the target").env("TRIBUTARY_POSTGRES_URL"))
    .option("--name <pipeline>", "only this pipeline (default: every pipeline the target holds)")
    .option("--json", "print JSON instead of text")
    .action(async (flags: StatusFlags) => {
      const { url, schema, pipeline } = await targetSettings(flags);
      const { readTargetStatus } = await import("../sinks/postgres/index.js");
      const status = onlyPipeline(await readTargetStatus(url, schema), pipeline);
      output.write(flags.json ? `${JSON.stringify(redactValue(status), null, 2)}\n` : formatStatus(status, Date.now()));
    });
}

function onlyPipeline(status: TargetStatus, pipeline: string | undefined): TargetStatus {
  if (pipeline === undefined) return status;
  return {
    ...status,
    positions: status.positions.filter((row) => row.key === pipeline || row.key.startsWith(`${pipeline}/`)),
    snapshots: status.snapshots.filter((row) => row.pipeline === pipeline),
    deadLetters: status.deadLetters.filter((row) => row.pipeline === pipeline),
  };
}

/** The status as text, one block per pipeline. */
export function formatStatus(status: TargetStatus, now: number): string {
  const pipelines = [...new Set([...status.positions.map((row) => row.key.split("/")[0] ?? row.key), ...status.snapshots.map((row) => row.pipeline), ...status.deadLetters.map((row) => row.pipeline)])].sort();
  const lines = [`PostgreSQL ${status.where}, schema ${status.schema}`];
  if (pipelines.length === 0) lines.push("", "no pipeline has run against this target yet");
  for (const pipeline of pipelines) {
    lines.push("", `pipeline ${pipeline}`);
    for (const row of status.positions.filter((each) => each.key === pipeline || each.key.startsWith(`${pipeline}/`))) {
      const sink = row.key === pipeline ? "postgres" : row.key.slice(pipeline.length + 1);
      lines.push(`  position  ${sink}: ${row.clusterTime.toISOString()} (${age(now - row.clusterTime.getTime())} behind now), saved ${row.updatedAt.toISOString()}`);
    }
    for (const row of status.snapshots.filter((each) => each.pipeline === pipeline)) {
      const percent = row.estimated > 0 ? ` (${Math.min(100, Math.floor((row.copied * 100) / row.estimated))}%)` : "";
      lines.push(`  snapshot  ${row.namespace}: ${row.status}, ${row.copied.toLocaleString("en-US")} of about ${row.estimated.toLocaleString("en-US")}${row.status === "done" ? "" : percent}`);
    }
    const letters = status.deadLetters.filter((each) => each.pipeline === pipeline);
    const total = letters.reduce((sum, row) => sum + row.count, 0);
    lines.push(`  dead letters: ${total}`);
    for (const row of letters) lines.push(`    ${row.namespace}: ${row.count}, latest ${row.latestAt.toISOString()}: ${row.latestReason}`);
  }
  return `${lines.join("\n")}\n`;
}

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

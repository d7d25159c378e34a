import { Option, type Command } from "commander";
import { redactValue } from "../core/redact.js";
import { formatDuration, oplogRunway, type OplogFigures } from "../observability/oplog-runway.js";
import { parseAge } from "./dead-letters-command.js";
import type { TargetStatus } from "../sinks/postgres/index.js";
import { tributaryCommand } from "./command-options.js";
import { targetSettings, type TargetFlags } from "./target-settings.js";
import type { CommandOutput } from "./images-command.js";

interface StatusFlags extends TargetFlags {
  readonly json?: boolean;
  readonly from?: string;
  readonly runwayWarn?: number;
}

/** The oplog the positions are compared with (`--from`), and below which runway to warn. */
export interface OplogContext {
  readonly oplog: OplogFigures | { readonly unavailable: string };
  readonly warnBelowMs: number;
}

const DEFAULT_RUNWAY_WARN = "12h";

const STDOUT: CommandOutput = { write: (text) => void process.stdout.write(text) };

/** `tributary status`: what the PostgreSQL target holds for each pipeline: positions, snapshot state, dead letters. */
export function statusCommand(output: CommandOutput = STDOUT): Command {
  return tributaryCommand(
    "status",
    "Show what the PostgreSQL target holds for each pipeline and sink: the stored position (cluster time and age), the snapshot state of each collection, the dead letters, and the error the sync last stopped on. Reads only.",
    { examples: ["tributary status --config tributary.yml", "tributary status --to postgres://app@pg/analytics --name default --json"] },
  )
    .addOption(new Option("--to <postgres-url>", "PostgreSQL connection string of the target").env("TRIBUTARY_POSTGRES_URL"))
    .option("--name <pipeline>", "only this pipeline (default: every pipeline the target holds)")
    .option("--json", "print JSON instead of text")
    .option("--from <mongodb-uri>", "also read MongoDB's oplog and show each position's runway: how long until the oplog no longer holds it")
    .option("--runway-warn <age>", `with --from: warn when a runway is shorter than this (default ${DEFAULT_RUNWAY_WARN})`, parseAge)
    .action(async (flags: StatusFlags) => {
      const { url, schema, pipeline } = await targetSettings(flags);
      const { readTargetStatus } = await import("../sinks/postgres/index.js");
      const status = onlyPipeline(await readTargetStatus(url, schema), pipeline);
      const oplog = flags.from ? { oplog: await readOplog(flags.from), warnBelowMs: flags.runwayWarn ?? parseAge(DEFAULT_RUNWAY_WARN) } : undefined;
      output.write(flags.json ? `${JSON.stringify(redactValue(withRunways(status, oplog)), null, 2)}\n` : formatStatus(status, Date.now(), oplog));
    });
}

/** The oplog's figures, or why they could not be read; the connection string is checked before connecting. */
async function readOplog(uri: string): Promise<OplogContext["oplog"]> {
  const { sourceSettings } = await import("./source-settings.js");
  const source = await sourceSettings({ from: uri });
  const { connectMongo } = await import("../source/mongo-connection.js");
  const { readOplogWindow } = await import("../source/oplog-window.js");
  const deployment = await connectMongo(source.uri, { serverSelectionTimeoutMs: source.serverSelectionTimeoutMs });
  try {
    return await readOplogWindow(deployment.client);
  } finally {
    await deployment.client.close();
  }
}

function withRunways(status: TargetStatus, context: OplogContext | undefined): object {
  if (!context) return status;
  const { oplog } = context;
  if ("unavailable" in oplog) return { ...status, oplog };
  return {
    ...status,
    oplog,
    positions: status.positions.map((row) => ({ ...row, runwaySeconds: Math.round(oplogRunway(oplog, row.clusterTime.getTime() / 1000).seconds) })),
  };
}

/** `oplog runway 2 h 10 min`, with a warning when short, for one stored position. */
function runwayNote(clusterTime: Date, context: OplogContext | undefined): string {
  if (!context || "unavailable" in context.oplog) return "";
  const runway = oplogRunway(context.oplog, clusterTime.getTime() / 1000);
  if (runway.seconds <= 0) return "; GONE from the oplog: the stream cannot resume from it (run a new snapshot)";
  const warning = runway.seconds * 1000 < context.warnBelowMs ? ` — WARNING: below ${formatDuration(context.warnBelowMs / 1000)}, the sync must catch up before the oplog drops it` : "";
  return `; oplog runway ${formatDuration(runway.seconds)}${warning}`;
}

function onlyPipeline(status: TargetStatus, pipeline: string | undefined): TargetStatus {
  if (pipeline === undefined) return status;
  return {
    ...status,
    positions: status.positions.filter((row) => row.key === pipeline || row.key.startsWith(`${pipeline}/`)),
    snapshots: status.snapshots.filter((row) => row.pipeline === pipeline),
    deadLetters: status.deadLetters.filter((row) => row.pipeline === pipeline),
    lastErrors: status.lastErrors.filter((row) => row.pipeline === pipeline),
  };
}

/** The status as text, one block per pipeline. */
export function formatStatus(status: TargetStatus, now: number, oplog?: OplogContext): string {
  const pipelines = [...new Set([...status.positions.map((row) => row.key.split("/")[0] ?? row.key), ...status.snapshots.map((row) => row.pipeline), ...status.deadLetters.map((row) => row.pipeline), ...status.lastErrors.map((row) => row.pipeline)])].sort();
  const lines = [`PostgreSQL ${status.where}, schema ${status.schema}`];
  if (oplog) lines.push(oplogLine(oplog.oplog));
  if (pipelines.length === 0) lines.push("", "no pipeline has run against this target yet");
  for (const pipeline of pipelines) {
    lines.push("", `pipeline ${pipeline}`);
    for (const row of status.positions.filter((each) => each.key === pipeline || each.key.startsWith(`${pipeline}/`))) {
      const sink = row.key === pipeline ? "postgres" : row.key.slice(pipeline.length + 1);
      lines.push(`  position  ${sink}: ${row.clusterTime.toISOString()} (${age(now - row.clusterTime.getTime())} behind now), saved ${row.updatedAt.toISOString()}${runwayNote(row.clusterTime, oplog)}`);
    }
    for (const row of status.snapshots.filter((each) => each.pipeline === pipeline)) {
      const percent = row.estimated > 0 ? ` (${Math.min(100, Math.floor((row.copied * 100) / row.estimated))}%)` : "";
      lines.push(`  snapshot  ${row.namespace}: ${row.status}, ${row.copied.toLocaleString("en-US")} of about ${row.estimated.toLocaleString("en-US")}${row.status === "done" ? "" : percent}`);
    }
    const letters = status.deadLetters.filter((each) => each.pipeline === pipeline);
    const total = letters.reduce((sum, row) => sum + row.count, 0);
    lines.push(`  dead letters: ${total}`);
    for (const row of letters) lines.push(`    ${row.namespace}: ${row.count}, latest ${row.latestAt.toISOString()}: ${row.latestReason}`);
    lines.push(lastErrorLine(status.lastErrors.find((row) => row.pipeline === pipeline)));
  }
  return `${lines.join("\n")}\n`;
}

/** `last error: none`, or the error the sync last stopped on, where, and whether a later sync has run healthy since. */
function lastErrorLine(row: TargetStatus["lastErrors"][number] | undefined): string {
  if (!row) return "  last error: none recorded";
  const where = [row.sink ? `sink ${row.sink}` : undefined, row.namespace ? `collection ${row.namespace}` : undefined].filter((part) => part !== undefined).join(", ");
  const state = row.resolvedAt ? `resolved ${row.resolvedAt.toISOString()} (a later sync ran healthy)` : "UNRESOLVED: the sync stopped on it and has not run healthy since";
  return `  last error: ${row.occurredAt.toISOString()} [${row.code}]${where ? ` ${where}` : ""}: ${row.message.split("\n")[0]}\n    ${state}`;
}

function oplogLine(oplog: OplogContext["oplog"]): string {
  if ("unavailable" in oplog) return `MongoDB oplog: ${oplog.unavailable}`;
  const { windowSeconds, bytesPerSecond } = oplogRunway(oplog, oplog.newestSeconds);
  const rate = bytesPerSecond === undefined ? "" : `, written at ${(bytesPerSecond / 1024).toFixed(1)} KiB/s`;
  return `MongoDB oplog: holds ${formatDuration(windowSeconds)} (oldest entry ${new Date(oplog.oldestSeconds * 1000).toISOString()})${rate}`;
}

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

import { Command, Option } from "commander";
import type { MongoClient } from "mongodb";
import type { TributaryConfig } from "../config/config-schema.js";
import { ErrorCode } from "../core/error-codes.js";
import { positionDate, type Position, type WatchStart } from "../core/position.js";
import { redactSecrets } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import { createLogger } from "../observability/logger.js";
import { tributaryCommand, withSharedBehaviour } from "./command-options.js";
import type { CommandOutput } from "./images-command.js";
import { configFromFlags } from "./sync-options.js";
import { checkBeforeConnecting } from "./pipeline-command.js";
import { connectMongo, mongoClientFor, type MongoDeployment } from "../source/mongo-connection.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";

const TOOLS = ["mongo-connector", "mongowatch"] as const;

interface ImportFlags {
  readonly from?: (typeof TOOLS)[number];
  readonly uri?: string;
  readonly collection?: string;
  readonly source?: string;
  readonly to?: string;
  readonly name?: string;
  readonly sink?: string;
  readonly dryRun?: boolean;
  readonly config?: string;
  readonly logLevel?: string;
  readonly verbose?: boolean;
  readonly prettyLogs?: boolean;
}

const STDOUT: CommandOutput = { write: (text) => void process.stdout.write(text) };

/** `tributary positions import`: where another tool stopped becomes where the pipeline's next sync starts. */
export function positionsCommand(output: CommandOutput = STDOUT): Command {
  const group = withSharedBehaviour(new Command("positions").description("A pipeline's stored positions: import where another tool stopped, for a cutover"));
  const importing = tributaryCommand(
    "import",
    "Store where mongo-connector (its oplog.timestamp file) or mongowatch (its resume point collection) stopped as the position of a pipeline that has none, " +
      "so that the next sync streams from there without a snapshot. The time is turned into a position by MongoDB (the pipeline's source) and refused when the oplog no longer reaches it. " +
      "Writes where sync keeps positions (the target's tributary.positions, or each sink's store); refuses a pipeline with a stored position.",
    {
      examples: [
        "tributary positions import --from mongo-connector /var/lib/mongo-connector/oplog.timestamp --config tributary.yml",
        "tributary positions import --from mongowatch --collection app.resume_points --config tributary.yml --dry-run",
      ],
    },
  )
    .argument("[file]", "mongo-connector: its progress file (oplog.timestamp)")
    .addOption(new Option("--from <tool>", "the tool that stopped (required)").choices(TOOLS))
    .option("--collection <db.collection>", "mongowatch: the collection of its resume points")
    .option("--uri <mongodb-uri>", "mongowatch: the deployment that holds that collection (default: the pipeline's source)")
    .addOption(new Option("--source <mongodb-uri>", "the pipeline's MongoDB (default: source.uri of --config)").env("TRIBUTARY_MONGODB_URI"))
    .addOption(new Option("--to <postgres-url>", "the pipeline's PostgreSQL target (default: target.url of --config)").env("TRIBUTARY_POSTGRES_URL"))
    .option("--name <pipeline>", "the pipeline (default: the --config file's name, else 'default')")
    .option("--sink <name>", "only this sink of the pipeline (default: every sink: postgres for the target, and each listed sink)")
    .option("--dry-run", "print what would be stored, write nothing")
    .action(async (file: string | undefined, flags: ImportFlags) => importPositions(file, flags, output));
  group.addCommand(importing);
  return group;
}

async function importPositions(file: string | undefined, flags: ImportFlags, output: CommandOutput): Promise<void> {
  const usage = (message: string): TributaryError => new TributaryError(ErrorCode.ConfigInvalid, message);
  if (flags.from === undefined) throw usage("--from is required: the tool that stopped, mongo-connector or mongowatch");
  if (flags.from === "mongo-connector" && file === undefined) throw usage("--from mongo-connector needs its progress file: tributary positions import --from mongo-connector <oplog.timestamp>");
  if (flags.from === "mongowatch" && (file !== undefined || !/^[^.]+\..+$/.test(flags.collection ?? ""))) {
    throw usage("--from mongowatch reads its resume points from MongoDB: give --collection <db.collection> (and --uri when they are not in the pipeline's source), and no file");
  }
  // Connection strings are parsed now: a wrong one touches nothing.
  if (flags.uri !== undefined) void mongoClientFor(flags.uri, 1_000).close();
  const config = await configFromFlags({ config: flags.config, from: flags.source, to: flags.to, name: flags.name, logLevel: flags.logLevel, verbose: flags.verbose, prettyLogs: flags.prettyLogs }).catch(
    (error: unknown) => {
      // Here --from names the tool; the pipeline's MongoDB is --source.
      if (error instanceof Error) error.message = error.message.replace("set it with --from", "set it with --source");
      throw error;
    },
  );
  checkBeforeConnecting(config);
  const { readMongoConnectorProgress, mongoConnectorStart } = await import("../checkpoint/mongo-connector-progress.js");
  // The file is read before anything connects: a missing or malformed one touches nothing.
  const fromFile = file === undefined ? undefined : mongoConnectorStart(await readMongoConnectorProgress(file));
  const deployment = await connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs });
  try {
    const position = await resolveImported(config, deployment, fromFile, flags);
    const at = `${positionDate(position).toISOString()} (Timestamp(${position.clusterTime.t}, ${position.clusterTime.i}))`;
    if (flags.dryRun) {
      output.write(`would store for pipeline '${config.name}' (${flags.sink ?? "every sink"}): the position at ${at}, resume token ${position.resumeToken._data}\n`);
      return;
    }
    const { storeStartPosition } = await import("../runtime/start-at.js");
    const { MongoSnapshotSource } = await import("../source/mongo-snapshot-source.js");
    const logger = createLogger(config.log);
    // The other tool's copy is the copy: its collections are recorded as copied, so the next sync does not copy them again.
    const otherToolsCopy = (filter: NamespaceFilter, include: readonly string[]) => new MongoSnapshotSource(deployment, { filter, include, logger, retry: config.retry });
    const stored = await storeStartPosition(config, position, logger, { baseDir: process.cwd(), sinkName: flags.sink, otherToolsCopy });
    output.write(`stored for pipeline '${config.name}' (${stored.join(", ")}): the position at ${at}; the next sync streams from there\n`);
  } finally {
    await deployment.client.close();
  }
}

/** Asks the pipeline's MongoDB for the position of the tool's start point (refused when the oplog no longer reaches it). */
async function resolveImported(config: TributaryConfig, deployment: MongoDeployment, fromFile: WatchStart | undefined, flags: ImportFlags): Promise<Position> {
  const { resolveStartPosition } = await import("../source/start-position.js");
  const { scopeForIncludes } = await import("../source/watch-scope.js");
  const timeout = { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs };
  const start = fromFile ?? (await readMongowatch(flags, flags.uri === undefined ? deployment.client : undefined, timeout));
  return resolveStartPosition(deployment, scopeForIncludes(config.source.include), start);
}

async function readMongowatch(flags: ImportFlags, sourceClient: MongoClient | undefined, timeout: { serverSelectionTimeoutMs: number }): Promise<WatchStart> {
  const { readMongowatchResumePoint } = await import("../checkpoint/mongowatch-resume-point.js");
  const namespace = flags.collection ?? "";
  if (sourceClient) return readMongowatchResumePoint(sourceClient, namespace, "the pipeline's source");
  const uri = flags.uri ?? "";
  const deployment = await connectMongo(uri, timeout);
  try {
    return await readMongowatchResumePoint(deployment.client, namespace, redactSecrets(uri));
  } finally {
    await deployment.client.close();
  }
}

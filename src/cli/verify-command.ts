import { Option, type Command } from "commander";
import type { Logger } from "../core/logger.js";
import { createLogger } from "../observability/logger.js";
import { formatVerifyJson, formatVerifyText } from "../verify/format-report.js";
import { MAX_DIFFERENCES } from "../verify/verify-collection.js";
import { positiveInteger } from "./option-parsers.js";
import { verifyPipeline } from "./verify-run.js";
import { configFromFlags, type SyncFlags } from "./sync-options.js";
import { tributaryCommand, type CommonFlags } from "./command-options.js";
import { checkBeforeConnecting, logWarnings, withPipelineOptions } from "./pipeline-command.js";

/** The flags of `tributary verify`, as commander parses them: the pipeline's, and verify's own. */
export interface VerifyFlags extends Pick<SyncFlags, "from" | "to" | "include" | "exclude" | "name" | "schema" | "mapping" | "inferMapping" | keyof CommonFlags> {
  readonly full?: boolean;
  readonly sample?: number;
  readonly repair?: boolean;
  readonly json?: boolean;
  readonly settleTimeout: number;
  readonly parallelism?: number;
  readonly maxDifferences: number;
}

const DEFAULT_SETTLE_SECONDS = 60;

/**
 * `tributary verify`: compares each included collection in MongoDB with its copy in every sink
 * that can read back what it holds, and with `--repair` copies what differs again. Exit 0 when
 * equal, 1 when differences remain (the report says which), 2 on usage errors.
 */
export function verifyCommand(): Command {
  const command = tributaryCommand(
    "verify",
    "Compare each included collection in MongoDB with its copy, _id range by _id range (counts and a hash of each document as the copy holds it), " +
      "narrow what differs down to keys (missing, extra, different), re-check keys that changed while it ran once the sync has caught up, " +
      "and with --repair copy them again. Safe while sync runs; SIGINT/SIGTERM exit at once (130/143), nothing to finish.",
    {
      examples: [
        "tributary verify --config tributary.yml",
        "tributary verify --from 'mongodb://localhost:27017/?replicaSet=rs0' --to postgres://app@localhost/analytics --include 'shop.*' --sample 10",
        "tributary verify --config tributary.yml --repair --json > verify.json",
      ],
      exitCodes: ["1  differences remain (the report lists them), or a runtime error"],
    },
  );
  return withPipelineOptions(command, "verify")
    .addOption(new Option("--full", "check every _id range of every collection (the default)").conflicts("sample"))
    .addOption(new Option("--sample <n>", "check only n _id ranges per collection, chosen at random").argParser((value) => positiveInteger(value, "--sample")))
    .option("--repair", "copy the keys that still differ again from MongoDB (upserts, and deletes of what MongoDB no longer has), then check them again")
    .option("--json", "print the report as JSON on standard output")
    .option("--settle-timeout <seconds>", "how long to wait for the sync to catch up before re-checking differing keys", (value) => positiveInteger(value, "--settle-timeout"), DEFAULT_SETTLE_SECONDS)
    .option("--parallelism <n>", "_id ranges read at once (default: the snapshot's parallelism)", (value) => positiveInteger(value, "--parallelism"))
    .option("--max-differences <n>", "list at most n differing keys per collection (more are counted; only the listed ones are re-checked and repaired)", (value) => positiveInteger(value, "--max-differences"), MAX_DIFFERENCES)
    .action(async (flags: VerifyFlags) => verify(flags));
}

async function verify(flags: VerifyFlags): Promise<void> {
  const { sample, repair, json, settleTimeout, parallelism, maxDifferences } = flags;
  const { from, to, include: includeFlags, exclude, name, schema, mapping, inferMapping, config: configFile, logLevel, verbose, prettyLogs } = flags;
  const config = await configFromFlags({ from, to, include: includeFlags, exclude, name, schema, mapping, inferMapping, config: configFile, logLevel, verbose, prettyLogs });
  const logger = createLogger(config.log);
  logWarnings(checkBeforeConnecting(config), logger);
  // Nothing to finish on a signal (main exits at once): verify only reads, and a repair's writes are idempotent.
  const never = new AbortController().signal;
  const progress = liveProgress(process.stderr, logger, config.snapshot.progressIntervalMs);
  const outcome = await verifyPipeline(config, logger, {
    settings: {
      parallelism: parallelism ?? config.snapshot.parallelism,
      chunkSize: config.snapshot.chunkSize,
      rangeSize: config.snapshot.rangeSize,
      ...(sample === undefined ? {} : { sampleRanges: sample }),
      settleTimeoutMs: settleTimeout * 1000,
      repair: repair === true,
      maxDifferences,
    },
    signal: never,
    onProgress: progress.update,
  }).finally(progress.end);
  process.stdout.write(json ? formatVerifyJson(outcome) : formatVerifyText(outcome));
  const left = outcome.collections.reduce((sum, each) => sum + each.differenceCount, 0);
  if (!outcome.equal) throw new Error(`verify found ${left} key(s) that differ from MongoDB (listed in the report)${repair ? "" : "; --repair copies them again"}`);
}

/**
 * Progress of the ranges read: on a terminal one line redrawn at most once a second; elsewhere
 * (service managers, CI) a log line every `intervalMs`, like the snapshot's.
 */
function liveProgress(output: NodeJS.WriteStream, logger: Logger, intervalMs: number): { update: (namespace: string, done: number, ranges: number, documents: number) => void; end: () => void } {
  let last = Date.now();
  let drawn = false;
  return {
    update: (namespace, done, ranges, documents) => {
      const every = output.isTTY ? 1_000 : intervalMs;
      if (Date.now() - last < every && done < ranges) return;
      last = Date.now();
      if (!output.isTTY) {
        logger.info({ collection: namespace, ranges: `${done}/${ranges}`, documents }, "verify progress");
        return;
      }
      drawn = true;
      output.write(`\r\u001b[2Kverify ${namespace}: ${done}/${ranges} ranges, ${documents.toLocaleString("en-US")} documents`);
    },
    end: () => {
      if (drawn) output.write("\r\u001b[2K");
    },
  };
}

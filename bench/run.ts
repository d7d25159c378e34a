// The benchmark: `npm run bench -- [options]` (`--help` lists them). Measures Tributary's snapshot
// and streaming against bare baselines measured in the same run, on the same servers, each
// scenario in a child process of its own (for its peak RSS); prints one table and writes every
// number to a JSON file. Nothing here fails on a timing: a run fails only when something breaks.

import { redactSecrets, redactedMessage } from "../src/core/redact.js";
import { startPostgres } from "../test/support/postgres-server.js";
import { describeMachine } from "./machine.js";
import { findMongo, type MongoAvailability } from "./mongo-setup.js";
import { parseBenchOptions, type SectionName } from "./options.js";
import { formatHeading, formatTable, writeReport, type BenchReport, type SectionOutcome } from "./report.js";
import { progress, type BenchContext } from "./sections/context.js";
import { memorySection } from "./sections/memory.js";
import { sinkApplySection } from "./sections/sink-apply.js";
import { snapshotMongoSection } from "./sections/snapshot-mongo.js";
import { snapshotWriteSection } from "./sections/snapshot-write.js";
import { streamingSection } from "./sections/streaming.js";
import { verifySection } from "./sections/verify.js";
import { watchSection } from "./sections/watch.js";

const SECTION_RUNNERS: Readonly<Record<SectionName, (context: BenchContext) => Promise<SectionOutcome>>> = {
  "sink-apply": sinkApplySection,
  "snapshot-write": snapshotWriteSection,
  snapshot: snapshotMongoSection,
  streaming: streamingSection,
  memory: memorySection,
  verify: verifySection,
  watch: watchSection,
};

const options = parseBenchOptions(process.argv.slice(2));
progress("starting PostgreSQL");
const postgres = await startPostgres();
let mongo: MongoAvailability = { skipped: "no MongoDB section selected" };
try {
  if (options.only.includes("snapshot") || options.only.includes("streaming")) {
    progress("looking for a MongoDB replica set");
    mongo = await findMongo(options.mongodbUri);
    progress("uri" in mongo ? `MongoDB ${mongo.version}` : `MongoDB sections skipped: ${mongo.skipped}`);
  }
  const machine = await describeMachine(postgres.url, "uri" in mongo ? { version: mongo.version } : { skipped: mongo.skipped });
  const context: BenchContext = { options, postgresUrl: postgres.url, mongo };
  const sections: SectionOutcome[] = [];
  for (const name of options.only) {
    try {
      sections.push(await SECTION_RUNNERS[name](context));
    } catch (error) {
      progress(`${name} failed: ${redactedMessage(error)}`);
      sections.push({ name, status: "failed", reason: redactedMessage(error), results: [] });
    }
  }
  const report: BenchReport = {
    generatedAt: new Date().toISOString(),
    machine,
    options: { ...options, mongodbUri: options.mongodbUri === undefined ? undefined : redactSecrets(options.mongodbUri) },
    sections,
  };
  await writeReport(options.out, report);
  process.stdout.write(`\n${formatHeading(report)}\n\n${formatTable(report)}\n\nwritten to ${options.out}\n`);
  // A section that broke is a failure; a slow one never is.
  if (sections.some((section) => section.status === "failed")) process.exitCode = 1;
} finally {
  if ("stop" in mongo) await mongo.stop();
  await postgres.stop();
}

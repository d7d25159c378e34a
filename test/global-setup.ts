// vitest globalSetup: starts the servers every test file shares.
// PostgreSQL must start; MongoDB may be unavailable (its tests are then skipped) unless
// TRIBUTARY_REQUIRE_MONGODB=1.

import type { TestProject } from "vitest/node";
import { describeMongoUnavailable, startMongoReplicaSet, type MongoHandle } from "./support/mongodb-server.js";
import { startPostgres, type PostgresHandle } from "./support/postgres-server.js";

let postgres: PostgresHandle | undefined;
let mongo: MongoHandle | undefined;

function banner(lines: string[]): string {
  const rule = "=".repeat(78);
  return `\n${rule}\n${lines.map((line) => `  ${line}`).join("\n")}\n${rule}\n\n`;
}

export async function setup(project: TestProject): Promise<void> {
  try {
    postgres = await startPostgres();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(banner(["PostgreSQL could not be started: the test run cannot continue.", ...reason.split("\n")]));
    throw error;
  }
  project.provide("postgresUrl", postgres.url);

  try {
    mongo = await startMongoReplicaSet();
    project.provide("mongoUri", mongo.uri);
    project.provide("mongoVersion", mongo.version);
    project.provide("mongoUnavailable", "");
  } catch (error) {
    const reason = describeMongoUnavailable(error);
    if (process.env.TRIBUTARY_REQUIRE_MONGODB === "1") {
      await teardown();
      throw new Error(`MongoDB is required (TRIBUTARY_REQUIRE_MONGODB=1) but is not available: ${reason}`, { cause: error });
    }
    process.stderr.write(
      banner([
        `MongoDB is not available (${reason}):`,
        "tests that need MongoDB are SKIPPED.",
        "Set TRIBUTARY_TEST_MONGODB_URI to a replica set, or MONGOMS_SYSTEM_BINARY to a mongod binary.",
      ]),
    );
    project.provide("mongoUri", "");
    project.provide("mongoVersion", "");
    project.provide("mongoUnavailable", reason);
  }
}

export async function teardown(): Promise<void> {
  const stopping = [mongo?.stop(), postgres?.stop()];
  mongo = undefined;
  postgres = undefined;
  const results = await Promise.allSettled(stopping);
  for (const result of results) {
    if (result.status === "rejected") {
      process.stderr.write(`[tributary tests] error while stopping a test server: ${String(result.reason)}\n`);
    }
  }
}

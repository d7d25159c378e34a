// The members of a replica set a test owns (startReplicaSetOf): what each is now, and how long
// a primary that loses sight of a majority stays primary.

import { MongoClient } from "mongodb";
import type { MongoMemoryReplSet, MongoMemoryServer } from "mongodb-memory-server-core";
import { afterAll, beforeAll, expect } from "vitest";
import { startReplicaSetOf } from "./mongodb-server.js";
import { describeWithMongo } from "./requirements.js";

/**
 * `describe` for tests that stop and start the members of a set of their own, which an external
 * deployment (TRIBUTARY_TEST_MONGODB_URI) cannot allow: skipped then, and where no mongod starts.
 */
export const describeWithOwnSet = process.env.TRIBUTARY_TEST_MONGODB_URI ? describeWithMongo.skip : describeWithMongo;

/** What a member is now; "other" when it does not answer (stopped, starting). */
export async function role(server: MongoMemoryServer): Promise<"primary" | "secondary" | "other"> {
  const client = new MongoClient(server.getUri(), { directConnection: true, serverSelectionTimeoutMS: 5_000 });
  try {
    const hello = await client.db("admin").command({ hello: 1 });
    return hello.isWritablePrimary === true ? "primary" : hello.secondary === true ? "secondary" : "other";
  } catch {
    return "other";
  } finally {
    await client.close();
  }
}

/** The set's primary now and its other members; the test fails unless exactly one member is primary. */
export async function membersByRole(replSet: MongoMemoryReplSet): Promise<{ readonly primary: MongoMemoryServer; readonly secondaries: MongoMemoryServer[] }> {
  const roles = await Promise.all(replSet.servers.map(role));
  expect(roles.filter((each) => each === "primary")).toHaveLength(1);
  const primary = replSet.servers[roles.indexOf("primary")] as MongoMemoryServer;
  return { primary, secondaries: replSet.servers.filter((server) => server !== primary) };
}

/** Sets the set's `electionTimeoutMillis`, once it has its first primary: a fresh set waits that long for its first election. */
async function setElectionTimeout(uri: string, electionTimeoutMillis: number): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 60_000 });
  try {
    const admin = client.db("admin");
    const { config } = (await admin.command({ replSetGetConfig: 1 })) as { config: { version: number; settings?: Record<string, unknown> } };
    await admin.command({ replSetReconfig: { ...config, version: config.version + 1, settings: { ...config.settings, electionTimeoutMillis } } });
  } finally {
    await client.close();
  }
}

/**
 * A three-member replica set of the describe block's own, started before its tests and stopped
 * after. A primary that loses sight of a majority steps down after `electionTimeoutMillis`; the
 * 5 s mongodb-memory-server sets can pass while two secondaries shut down, and a w:1 write would
 * then find no primary. A long timeout keeps it primary; a test asks for elections with
 * `replSetStepUp` instead of waiting for them.
 */
export function ownThreeMemberSet(): { readonly replSet: () => MongoMemoryReplSet; readonly uri: () => string } {
  let replSet: MongoMemoryReplSet | undefined;
  let uri = "";
  beforeAll(async () => {
    ({ replSet, uri } = await startReplicaSetOf(3));
    await setElectionTimeout(uri, 120_000);
  }, 300_000);
  afterAll(async () => {
    await replSet?.stop({ doCleanup: true, force: true });
  });
  return {
    replSet: () => {
      if (!replSet) throw new Error("the replica set is not started yet");
      return replSet;
    },
    uri: () => uri,
  };
}

// The members of a replica set a test owns (startReplicaSetOf): what each is now, and how long
// a primary that loses sight of a majority stays primary.

import { MongoClient } from "mongodb";
import type { MongoMemoryServer } from "mongodb-memory-server-core";

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

/**
 * Sets the set's `electionTimeoutMillis`. A primary that loses sight of a majority steps down
 * after it; the 5 s mongodb-memory-server sets can pass while secondaries shut down. Set it once
 * the set has its first primary: a fresh set waits that long for its first election.
 */
export async function setElectionTimeout(uri: string, electionTimeoutMillis: number): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 60_000 });
  try {
    const admin = client.db("admin");
    const { config } = (await admin.command({ replSetGetConfig: 1 })) as { config: { version: number; settings?: Record<string, unknown> } };
    await admin.command({ replSetReconfig: { ...config, version: config.version + 1, settings: { ...config.settings, electionTimeoutMillis } } });
  } finally {
    await client.close();
  }
}

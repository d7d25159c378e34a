import type { MongoClient } from "mongodb";
import { mapMongoError, notReplicaSetError } from "../errors/mongo-error-mapper.js";
import { redactSecrets } from "../errors/redact.js";
import { connectMongo, type MongoDeployment } from "../source/mongo-connection.js";

/** The deployment a watcher reads, and whether the watcher opened (and so closes) its client. */
export interface WatchedDeployment {
  readonly deployment: MongoDeployment;
  readonly ownsClient: boolean;
}

/**
 * Connects to a connection string (the watcher then owns the client), or describes a client
 * the caller already has (which the watcher uses but never closes). Either way the deployment
 * must be a replica set or a sharded cluster: a standalone server has no change streams.
 */
export async function openWatchedDeployment(source: string | MongoClient, serverSelectionTimeoutMs: number): Promise<WatchedDeployment> {
  if (typeof source === "string") return { deployment: await connectMongo(source, { serverSelectionTimeoutMs }), ownsClient: true };
  return { deployment: await describeClient(source), ownsClient: false };
}

async function describeClient(client: MongoClient): Promise<MongoDeployment> {
  const where = describeAddress(client);
  try {
    const admin = client.db("admin");
    const hello = await admin.command({ hello: 1 });
    if (typeof hello.setName !== "string" && hello.msg !== "isdbgrid") throw notReplicaSetError(where);
    const buildInfo = await admin.command({ buildInfo: 1 });
    const version = String(buildInfo.version);
    const major = Number.parseInt(version.split(".")[0] ?? "0", 10);
    return { client, where, version, supportsExpandedEvents: major >= 6 };
  } catch (error) {
    throw mapMongoError(error, where);
  }
}

/** The client's address for messages: its hosts (there are no credentials in them). */
function describeAddress(client: MongoClient): string {
  const hosts = client.options.hosts.map((host) => host.toString());
  if (hosts.length > 0) return redactSecrets(`mongodb://${hosts.join(",")}`);
  return client.options.srvHost ? `mongodb+srv://${client.options.srvHost}` : "the given MongoClient";
}

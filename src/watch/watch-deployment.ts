import type { MongoClient } from "mongodb";
import { redactSecrets } from "../core/redact.js";
import { connectMongo, describeDeployment, type MongoDeployment } from "../source/mongo-connection.js";

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
  return { deployment: await describeDeployment(source, describeAddress(source)), ownsClient: false };
}

/** The client's address for messages: its hosts (there are no credentials in them). */
function describeAddress(client: MongoClient): string {
  const hosts = client.options.hosts.map((host) => host.toString());
  if (hosts.length > 0) return redactSecrets(`mongodb://${hosts.join(",")}`);
  return client.options.srvHost ? `mongodb+srv://${client.options.srvHost}` : "the given MongoClient";
}

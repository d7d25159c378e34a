import { MongoClient, type MongoClientOptions } from "mongodb";
import { mapMongoError, notReplicaSetError } from "./mongo-error-mapper.js";
import { ErrorCode } from "../core/error-codes.js";
import { redactSecrets, redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import { atLeast, featureVersion, readFeatureCompatibilityVersion } from "./server-features.js";

/** What the source learned about the deployment when it connected. */
export interface MongoDeployment {
  readonly client: MongoClient;
  /** Redacted address, safe for messages. */
  readonly where: string;
  /** The server's release (mongos's own through a router). */
  readonly version: string;
  /** The featureCompatibilityVersion in force, when it could be read. */
  readonly featureCompatibilityVersion?: string;
  /** The version features are decided by: the lower of `version` and the FCV (server-features.ts). */
  readonly featureVersion: string;
  /** `showExpandedEvents` (6.0+, by `featureVersion`). */
  readonly supportsExpandedEvents: boolean;
}

/**
 * Documents are read with BSON type wrappers (`Int32`, `Double`, `Long`) kept, so that the
 * target can tell an integer from a double and a Long is never rounded.
 */
export const LOSSLESS_BSON_OPTIONS = Object.freeze({
  promoteValues: false,
  promoteLongs: false,
  promoteBuffers: false,
  bsonRegExp: true,
});

/**
 * Connects and checks that change streams can work here: the server is reachable, the
 * credentials are accepted, and it is a replica set or a sharded cluster.
 */
export async function connectMongo(uri: string, options: { serverSelectionTimeoutMs: number }): Promise<MongoDeployment> {
  const where = redactSecrets(uri);
  const client = mongoClientFor(uri, options.serverSelectionTimeoutMs);
  try {
    await client.connect();
    return await describeDeployment(client, where);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw mapMongoError(error, where);
  }
}

/**
 * A client for `uri`, not connected. The driver validates the string when the client is created
 * (no DNS lookup, no connection), so the CLI calls this before touching anything: a bad string
 * is a usage error, not a fault.
 */
export function mongoClientFor(uri: string, serverSelectionTimeoutMs: number): MongoClient {
  try {
    return new MongoClient(uri, mongoClientOptions(uri, serverSelectionTimeoutMs));
  } catch (error) {
    throw new TributaryError(ErrorCode.ConfigInvalid, `Invalid MongoDB connection string ${redactSecrets(uri)} (source.uri, --from): ${redactedMessage(error)}`, {
      cause: error,
      context: { configPath: "source.uri" },
    });
  }
}

/**
 * What a connected client reaches: its version, and a check that it is a replica set or a
 * sharded cluster (a standalone server has no change streams). Errors are mapped for `where`.
 */
export async function describeDeployment(client: MongoClient, where: string): Promise<MongoDeployment> {
  try {
    const admin = client.db("admin");
    const hello = await admin.command({ hello: 1 });
    const isReplicaSet = typeof hello.setName === "string";
    const isRouter = hello.msg === "isdbgrid";
    if (!isReplicaSet && !isRouter) throw notReplicaSetError(where);
    const buildInfo = await admin.command({ buildInfo: 1 });
    const version = String(buildInfo.version);
    const featureCompatibilityVersion = await readFeatureCompatibilityVersion(admin);
    const decidedBy = featureVersion(version, featureCompatibilityVersion);
    return {
      client,
      where,
      version,
      ...(featureCompatibilityVersion === undefined ? {} : { featureCompatibilityVersion }),
      featureVersion: decidedBy,
      supportsExpandedEvents: atLeast(decidedBy, 6, 0),
    };
  } catch (error) {
    throw mapMongoError(error, where);
  }
}

/** Tributary's client options; a `serverSelectionTimeoutMS` written in the connection string is the user's explicit choice and wins. */
export function mongoClientOptions(uri: string, serverSelectionTimeoutMs: number): MongoClientOptions {
  const options: MongoClientOptions = { appName: "tributary" };
  if (!/[?&]serverSelectionTimeoutMS=/i.test(uri)) options.serverSelectionTimeoutMS = serverSelectionTimeoutMs;
  return options;
}
